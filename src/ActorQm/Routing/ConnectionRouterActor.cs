using System.Buffers;
using System.Net;
using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Routing;

/// <summary>
/// The accepting node's end of a routed connection: owns the TLS transport, and once the handshake has
/// accepted the peer asks the queue manager (wherever it runs) to serve it. Frames read before the queue
/// manager attaches wait here (the transport's read credit bounds them). The request is repeated until the
/// queue manager attaches, because a message to a queue manager that is moving (its node just died) can be
/// lost; a queue manager that does not attach in time gets the peer an MQ status (2059, queue manager not
/// available) and the connection closed. Only the first instance to attach serves the connection.
/// </summary>
internal sealed class ConnectionRouterActor : ReceiveActor, IWithTimers
{
    private const string AttachTimer = "attach";
    private const string RouteTimer = "route-again";
    private static readonly TimeSpan RouteAgain = TimeSpan.FromSeconds(2);
    private readonly string _connectionId;
    private readonly IPEndPoint _remote;
    private readonly string _qmgr;
    private readonly Action<object, IActorRef> _toQueueManager;
    private readonly TimeSpan _attachTimeout;
    private readonly IActorRef _transport;
    private readonly List<Transport.FrameReceived> _early = [];
    // Batches handed to the transport and not yet written: their buffers are the router's to return (docs/protocol.md).
    private readonly HashSet<IMemoryOwner<byte>> _unwritten = new(ReferenceEqualityComparer.Instance);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _routed = ActorRefs.Nobody;

    public ConnectionRouterActor(string connectionId, Stream stream, IPEndPoint remote, string qmgr, Channel.ResponderTls tls, IActorRef handshakes, Action<object, IActorRef> toQueueManager, TimeSpan attachTimeout)
    {
        _connectionId = connectionId;
        _remote = remote;
        _qmgr = qmgr;
        _toQueueManager = toQueueManager;
        _attachTimeout = attachTimeout;
        _transport = Context.ActorOf(Transport.Props(tls.Handshake(connectionId, stream, remote), handshakes, Self, tls.TransportSettings), "transport");
        Become(Handshaking);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PostStop()
    {
        // Frames that waited for a queue manager that never attached go back to the pool.
        foreach (var frame in _early)
        {
            frame.Dispose();
        }

        // So do batches the connection ended before writing: the transport, a child, has stopped and touches them no more.
        foreach (var buffer in _unwritten)
        {
            buffer.Dispose();
        }
    }

    private void Handshaking()
    {
        Receive<Transport.Connected>(connected =>
        {
            var route = new Route(_qmgr, _remote.Address.ToString(), _remote.Port, Session.From(connected.Session), Self);
            _toQueueManager(route, Self);
            Timers.StartPeriodicTimer(RouteTimer, new RouteRequest(route), RouteAgain);
            Timers.StartSingleTimer(AttachTimer, AttachTimedOut.Instance, _attachTimeout);
            Become(Attaching);
        });
        // The handshake actor has logged why; the transport has closed the socket.
        Receive<Handshake.HandshakeFailed>(_ => Context.Stop(Self));
        Receive<Transport.ConnectionClosed>(_ => Context.Stop(Self));
    }

    private void Attaching()
    {
        Receive<Transport.FrameReceived>(_early.Add);
        Receive<RouteRequest>(again => _toQueueManager(again.Route, Self));
        Receive<Attached>(attached =>
        {
            Timers.Cancel(AttachTimer);
            Timers.Cancel(RouteTimer);
            _routed = attached.Transport;
            Context.Watch(_routed);
            foreach (var frame in _early)
            {
                _routed.Tell(new InboundFrame(frame.Buffer, frame.Length));
            }

            _early.Clear();
            Become(Routing);
        });
        Receive<AttachTimedOut>(_ =>
        {
            Timers.Cancel(RouteTimer);
            var text = $"queue manager {_qmgr} did not take the connection from {_remote} within {_attachTimeout.TotalSeconds:0} s (it runs on no reachable node)";
            _log.Error("AMQ9202E: {0}", text);
            _transport.Tell(new Transport.Send(ChannelFrames.Encode(new StatusSegment("AMQ9202E", (int)MqReason.QMgrNotAvailable, text))));
            _transport.Tell(Transport.Close.Instance);
            Become(Refusing);
        });
        Receive<Transport.ConnectionClosed>(_ => Context.Stop(Self));
    }

    private void Refusing()
    {
        Receive<Transport.FrameReceived>(f => f.Dispose());
        Receive<OutboundFrames>(late => late.Buffer.Dispose());
        Receive<Attached>(late => late.Transport.Tell(new ConnectionEnded("AMQ9202E", "the queue manager took the connection too late; it was refused")));
        Receive<Transport.ConnectionClosed>(_ => Context.Stop(Self));
    }

    private void Routing()
    {
        // The pooled buffer travels on: its owner is now whoever receives the frame (docs/protocol.md).
        Receive<Transport.FrameReceived>(f => _routed.Tell(new InboundFrame(f.Buffer, f.Length)));
        Receive<OutboundFrame>(o => _transport.Tell(new Transport.Send(o.Frame, o.Ack ? Written.Frame : null)));
        // The batch is only lent to the transport: one told to a transport that has just stopped would be a dead letter,
        // its buffer never returned. The router returns it once written, or when it stops (PostStop).
        Receive<OutboundFrames>(o =>
        {
            _unwritten.Add(o.Buffer);
            _transport.Tell(new Transport.SendFrames(new Lent(o.Buffer), o.Length, new Written(o.Buffer, o.Ack)));
        });
        // A repeated request that reached the queue manager too: that instance goes, the first one serves.
        Receive<Attached>(late => !late.Transport.Equals(_routed), late => late.Transport.Tell(new ConnectionEnded(null, "the connection is served by an earlier instance")));
        Receive<Written>(written =>
        {
            if (written.Buffer is { } buffer && _unwritten.Remove(buffer))
            {
                buffer.Dispose();
            }

            if (written.Ack)
            {
                _routed.Tell(new FramesWritten(1));
            }
        });
        Receive<ResumeReading>(r => _transport.Tell(new Transport.ResumeReading(r.Frames)));
        // Over its send-queue bound the transport itself reads no more, so the agent on the queue manager's node gets no
        // new call; it is not told, and may answer the few calls its window let in (docs/protocol.md).
        Receive<Transport.SendQueueFull>(_ => { });
        Receive<Transport.SendQueueDrained>(_ => { });
        Receive<CloseConnection>(_ => _transport.Tell(Transport.Close.Instance));
        Receive<Transport.ConnectionClosed>(closed =>
        {
            _routed.Tell(new ConnectionEnded(closed.AmqCode, closed.Reason));
            Context.Stop(Self);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_routed), _ =>
        {
            _log.Info("connection {0} from {1}: queue manager {2} no longer serves it; closing", _connectionId, _remote, _qmgr);
            _transport.Tell(Transport.Close.Instance);
        });
    }

    private sealed record AttachTimedOut
    {
        public static readonly AttachTimedOut Instance = new();
    }

    private sealed record RouteRequest(Route Route);

    /// <summary>The transport's ack of a relayed write: the batch's buffer to return, and whether the queue manager asked to know.</summary>
    private sealed record Written(IMemoryOwner<byte>? Buffer, bool Ack)
    {
        public static readonly Written Frame = new(null, Ack: true);
    }

    /// <summary>A batch's buffer as the transport sees it: the transport's dispose leaves it with the router.</summary>
    private sealed class Lent(IMemoryOwner<byte> buffer) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => buffer.Memory;

        public void Dispose()
        {
        }
    }
}
