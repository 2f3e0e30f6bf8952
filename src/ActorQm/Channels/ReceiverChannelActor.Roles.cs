using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>
/// The other roles a connection can take after the handshake: a client's server-connection
/// agent, a server channel sending to the requester that called it, and this actor as the
/// requester (RQSTR) that calls its server and receives on the connection it opened.
/// </summary>
internal sealed partial class ReceiverChannelActor
{
    /// <summary>A client on a SVRCONN channel: its own agent serves it from here on, on this connection.</summary>
    private State<ChannelState, ReceiverData> StartClient(Accepting accepting, ReceiverData data)
    {
        CancelTimer(InitialDataTimer);
        var (hello, def) = (accepting.Hello, accepting.Accepted.Definition);
        var session = data.Session!;
        var key = $"{def.Name}@{_connectionId}";
        _board.Set(key, new ChannelStatus(def.Name, "SVRCONN", ChannelState.Running)
        {
            ConName = _remote.ToString(), RemoteQMgr = hello.ApplicationName, Started = DateTimeOffset.UtcNow,
            McaUser = accepting.Accepted.Principal!.Name, SslCipherSpec = session.CipherSpec, SslPeer = session.Peer?.Subject.ToString() ?? string.Empty,
            SslCertIssuer = session.Peer?.Issuer.ToString() ?? string.Empty, SslCertSerial = session.Peer?.Serial ?? string.Empty,
        });
        var (transport, queueManager, sync, board, qmgr, applName, limits) = (data.Transport, _queueManager, _sync, _board, _qmgr, hello.ApplicationName, accepting.Accepted.Limits);
        var principal = accepting.Accepted.Principal!;
        var traced = hello.ReadsTraceContext;
        var client = Context.ActorOf(Props.Create(() => new ServerConnectionActor(transport, queueManager, sync, board, qmgr, def.Name, key, applName, limits, principal, traced)), "svrconn");
        Context.Watch(client);
        // Redirect first: the client's first call may be read as soon as the reply is written.
        data.Transport.Tell(new Transport.Redirect(client));
        // After the redirect, which resets it: calls read together reach the agent as one message.
        data.Transport.Tell(new Transport.ReadInBursts(static frame => ChannelFrames.IsClientRequest(frame)));
        // The accepting transport read only the initial data: the client's window starts here (docs/protocol.md).
        data.Transport.Tell(new Transport.ResumeReading(ServerConnectionActor.ReadWindow));
        // The longest message the client may put: the smallest of its own, the channel's and the queue manager's MAXMSGL.
        var maxMessageLength = Math.Min(Math.Min(hello.MaxMessageLength, def.MaxMessageLength), limits.MaxMessageLength);
        Send(data, new InitialDataReply(_qmgr, 1, maxMessageLength, Math.Max(hello.HeartbeatSeconds, (int)def.HeartbeatInterval.TotalSeconds), 0, ReadsTraceContext: hello.ReadsTraceContext));
        _log.Info("AMQ9002I: client '{0}' connected on channel {1} from {2}, peer '{3}'.", applName, def.Name, _remote, session.Peer?.Subject.ToString() ?? "none");
        return GoTo(ChannelState.Running).Using(data with { Definition = def, Client = client });
    }

    private State<ChannelState, ReceiverData> Forward(IActorRef client, StopChannel stop)
    {
        client.Tell(stop);
        return Stay();
    }

    /// <summary>A requester called this server channel: a sending agent runs on this connection from here on.</summary>
    private State<ChannelState, ReceiverData> StartServer(Accepting accepting, SenderStart start, ReceiverData data)
    {
        CancelTimer(InitialDataTimer);
        var inbound = new SenderChannelActor.Inbound(data.Transport, accepting.Hello, data.Session!);
        var (sync, board) = (_sync, _board);
        var server = Context.ActorOf(Props.Create(() => new SenderChannelActor(start, sync, board, ActorRefs.Nobody, inbound)), "server");
        Context.Watch(server);
        data.Transport.Tell(new Transport.Redirect(server));
        data.Transport.Tell(new Transport.ResumeReading(ReceiveWindow));
        _log.Info("AMQ9002I: requester {0} at {1} called server channel {2}.", accepting.Hello.QMgrName, _remote, start.Definition.Name);
        return GoTo(ChannelState.Running).Using(data with { Client = server });
    }

    /// <summary>As requester: the handshake accepted the server; ask it to start sending, reporting what this end last committed.</summary>
    private State<ChannelState, ReceiverData> CallServer(ReceiverData data)
    {
        var def = _requester!.Definition;
        Send(data, RequesterHello(def, _qmgr, _sync.Get(def.Name).LastSeq));
        return Stay().Using(data);
    }

    /// <summary>What a requester tells its server first: over TLS, or in the clear when it has no SSLCIPH (docs/tls.md).</summary>
    internal static InitialData RequesterHello(ChannelDefinition def, string qmgr, long lastSeq) =>
        new(def.Name, ChannelType.Requester, qmgr, def.BatchSize, def.MaxMessageLength, (int)def.HeartbeatInterval.TotalSeconds,
            def.SequenceWrap, def.SslCiph, lastSeq, 0, FastNonPersistent: def.FastNonPersistent, ReadsTraceContext: true, Pipelines: true);

    private State<ChannelState, ReceiverData> BeginRequester(InitialDataReply reply, ReceiverData data)
    {
        CancelTimer(InitialDataTimer);
        var def = _requester!.Definition;
        _name = def.Name;
        var record = _sync.Get(def.Name);
        var heartbeat = TimeSpan.FromSeconds(reply.HeartbeatSeconds);
        var next = data with
        {
            Definition = def,
            DeadQ = _requester.DeadLetterQueue,
            LastSeq = record.LastSeq,
            Heartbeat = heartbeat,
            BatchSize = reply.BatchSize,
            MaxMessageLength = reply.MaxMessageLength,
            Fast = def.FastNonPersistent && reply.FastNonPersistent,
        };
        var session = data.Session!;
        _board.Set(new ChannelStatus(def.Name, def.Kind.Keyword(), ChannelState.Running)
        {
            ConName = $"{def.Host}({def.Port})", RemoteQMgr = reply.QMgrName, LastSeq = record.LastSeq, CurrentSeq = record.LastSeq, Started = DateTimeOffset.UtcNow,
            NpmSpeed = ChannelStatus.NpmSpeedOf(next.Fast),
            SslCipherSpec = session.CipherSpec, SslPeer = session.Peer?.Subject.ToString() ?? string.Empty,
            SslCertIssuer = session.Peer?.Issuer.ToString() ?? string.Empty, SslCertSerial = session.Peer?.Serial ?? string.Empty,
        });
        ReadFastInBursts(next);
        RestartReceiveTimer(next);
        _log.Info("AMQ9002I: requester channel {0} is receiving from {1} at {2}({3}).", def.Name, reply.QMgrName, def.Host, def.Port);
        return GoTo(ChannelState.Running).Using(next);
    }
}
