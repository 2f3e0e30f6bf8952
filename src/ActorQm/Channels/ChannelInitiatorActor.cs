using System.Net;
using ActorQm.Configuration;
using ActorQm.Diagnostics;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>Props of <see cref="ChannelInitiatorActor"/>.</summary>
internal static class ChannelInitiator
{
    public static Props Props(string qmgr, ChannelSyncStore sync, ChannelStatusBoard board, HandshakeSupervisor.Settings handshakes) =>
        Akka.Actor.Props.Create(() => new ChannelInitiatorActor(qmgr, sync, board, handshakes));
}

/// <summary>
/// A queue manager's channel initiator: runs its listeners and one actor per running channel
/// instance, keeps one instance per channel name (a new inbound instance adopts the old one only
/// after the old one has settled its batch), and handles START/STOP/RESET/RESOLVE CHANNEL.
/// </summary>
internal sealed class ChannelInitiatorActor : ReceiveActor
{
    private readonly string _qmgr;
    private readonly ChannelSyncStore _sync;
    private readonly ChannelStatusBoard _board;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _handshakes;
    private readonly Dictionary<string, IActorRef> _senders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _receivers = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (string Name, System.Net.IPAddress? From)> _clients = new();
    private readonly Dictionary<string, (IActorRef Actor, IPEndPoint? Bound)> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (string Name, IActorRef ReplyTo)> _startingListeners = new();
    private readonly Dictionary<IActorRef, List<(RegisterInbound Request, IActorRef ReplyTo)>> _adopting = new();
    private volatile ResponderTls? _responder;
    private volatile IReadOnlyList<AddressBlock> _blocked = [];
    private long _instances;

    public ChannelInitiatorActor(string qmgr, ChannelSyncStore sync, ChannelStatusBoard board, HandshakeSupervisor.Settings handshakes)
    {
        _qmgr = qmgr;
        _sync = sync;
        _board = board;
        _handshakes = Context.ActorOf(HandshakeSupervisor.Props(handshakes), "handshakes");

        Receive<StartChannel>(start => StartSender(start.Start, Sender));
        Receive<StartRequester>(HandleStartRequester);
        Receive<RequesterConnected>(connected =>
        {
            var (start, client) = (connected.Start, connected.Client);
            var (qmgr, queueManager, self, sync, board) = (_qmgr, Context.Parent, Self, _sync, _board);
            var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
            var id = $"{start.Definition.Name}-{++_instances}";
            var transport = ReceiverChannelActor.Requesting(id, client.GetStream(), start, _handshakes);
            var requester = Context.ActorOf(Props.Create(() => new ReceiverChannelActor(id, transport, remote, qmgr, queueManager, self, sync, board, start)), $"rqstr-{_instances}");
            _receivers[start.Definition.Name] = requester;
            Context.Watch(requester);
        });
        Receive<RequesterFailed>(failed =>
        {
            _receivers.Remove(failed.Name);
            _log.Amq(failed.AmqCode, "requester channel {0}: {1}", failed.Name, failed.Reason);
            _board.Set(new ChannelStatus(failed.Name, "RQSTR", ChannelState.Stopped) { LastError = $"{failed.AmqCode}: {failed.Reason}", Started = DateTimeOffset.UtcNow });
            Context.System.EventStream.Publish(new ChannelFailed(_qmgr, failed.Name, failed.AmqCode, failed.Reason));
        });
        Receive<StopChannel>(HandleStop);
        Receive<SenderChannelActor.SenderEnded>(ended =>
        {
            _senders.Remove(ended.Name);
            if (ended.Inactive)
            {
                _board.Remove(ended.Name);
            }
        });
        Receive<ServeRoutedConnection>(route =>
        {
            // A connection another cluster node accepted and holds: served here like one of our listeners' connections.
            var (qmgr, queueManager, self, sync, board) = (_qmgr, Context.Parent, Self, _sync, _board);
            var (id, remote, transport) = (route.ConnectionId, route.Remote, route.Transport);
            Context.ActorOf(Props.Create(() => new ReceiverChannelActor(id, transport, remote, qmgr, queueManager, self, sync, board, null)), $"routed-{++_instances}");
        });
        Receive<RegisterInbound>(HandleRegister);
        Receive<Terminated>(HandleTerminated);
        Receive<UseResponderTls>(u => _responder = u.Tls);
        Receive<UseBlockedAddresses>(u => _blocked = u.Patterns);
        Receive<RefreshTls>(refresh =>
        {
            foreach (var sender in _senders.Values)
            {
                sender.Tell(refresh);
            }

            // Spec 7.5: other TLS channels are stopped (their partners retry and bind with the new material).
            foreach (var receiver in _receivers.Values.Concat(_clients.Keys))
            {
                receiver.Tell(new StopChannel(string.Empty));
            }
        });
        Receive<StartListener>(HandleStartListener);
        Receive<TlsListener.ListenerStarted>(started =>
        {
            if (_startingListeners.Remove(Sender, out var pending))
            {
                _listeners[pending.Name] = (Sender, started.Bound);
                _log.Info("AMQ5026I: listener {0} of {1} started on {2}.", pending.Name, _qmgr, started.Bound);
                pending.ReplyTo.Tell(new CommandAccepted($"AMQ8021I: Request to start listener {pending.Name} accepted ({started.Bound})."));
            }
        });
        Receive<TlsListener.ListenerFailed>(failed =>
        {
            if (_startingListeners.Remove(Sender, out var pending))
            {
                pending.ReplyTo.Tell(new CommandRefused("AMQ9228E", failed.Reason));
            }
        });
        Receive<StopListener>(stop =>
        {
            if (_listeners.Remove(stop.Name, out var listener))
            {
                Context.Stop(listener.Actor);
                Sender.Tell(new CommandAccepted($"AMQ8730I: Listener {stop.Name} stopped."));
            }
            else
            {
                Sender.Tell(new CommandRefused("AMQ8733E", $"Listener {stop.Name} is not running."));
            }
        });
        Receive<GetListeners>(_ => Sender.Tell(new Listeners(_listeners.Where(l => l.Value.Bound is not null).ToDictionary(l => l.Key, l => l.Value.Bound!))));
        Receive<ResetChannel>(HandleReset);
        Receive<ResolveChannel>(HandleResolve);
    }

    // A channel actor that throws is stopped (its connection with it); the others go on.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "AMQ9999E: a channel process of {0} ended abnormally.", _qmgr);
        return Directive.Stop;
    });

    private void StartSender(SenderStart start, IActorRef replyTo)
    {
        var name = start.Definition.Name;
        if (_senders.ContainsKey(name))
        {
            replyTo.Tell(new CommandRefused("AMQ9514E", $"Channel {name} is in use (already running)."));
            return;
        }

        var actor = Context.ActorOf(Akka.Actor.Props.Create(() => new SenderChannelActor(start, _sync, _board, _handshakes)), $"sdr-{++_instances}");
        _senders[name] = actor;
        replyTo.Tell(new CommandAccepted($"AMQ8018I: Start ActorQm channel accepted ({name})."));
    }

    /// <summary>A requester calls its server; it runs until the connection ends (MQ requesters do not retry).</summary>
    private void HandleStartRequester(StartRequester start)
    {
        var def = start.Start.Definition;
        if (_receivers.ContainsKey(def.Name))
        {
            Sender.Tell(new CommandRefused("AMQ9514E", $"Channel {def.Name} is in use (already running)."));
            return;
        }

        _receivers[def.Name] = ActorRefs.Nobody;
        _board.Set(new ChannelStatus(def.Name, "RQSTR", ChannelState.Requesting) { ConName = $"{def.Host}({def.Port})", Started = DateTimeOffset.UtcNow });
        var self = Self;
        var hello = ReceiverChannelActor.RequesterHello(def, start.Start.QMgrName, _sync.Get(def.Name).LastSeq);
        _ = Task.Run(async () =>
        {
            try
            {
                var connected = await ChannelConnector.ConnectAsync(def.ConnectAddresses, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                if (start.Start.Requirements is null)
                {
                    // No SSLCIPH here: the server is told in the clear and refuses (docs/tls.md, "Plaintext channels").
                    using var client = connected.Client;
                    var failure = await PlaintextChannel.CallAsync(client.GetStream(), hello, CancellationToken.None).ConfigureAwait(false);
                    self.Tell(new RequesterFailed(def.Name, failure.Detail, failure.AmqCode));
                    return;
                }

                self.Tell(new RequesterConnected(start.Start, connected.Client));
            }
            catch (ChannelConnector.ConnectFailedException e)
            {
                self.Tell(new RequesterFailed(def.Name, $"remote host not available: {e.Message}"));
            }
        });
        Sender.Tell(new CommandAccepted($"AMQ8018I: Start ActorQm channel accepted ({def.Name})."));
    }

    private void HandleStop(StopChannel stop)
    {
        foreach (var (client, _) in _clients.Where(c => c.Value.Name == stop.Name))
        {
            client.Tell(stop);
        }

        if (_senders.TryGetValue(stop.Name, out var sender))
        {
            sender.Tell(stop);
        }
        else if (_receivers.TryGetValue(stop.Name, out var receiver))
        {
            receiver.Tell(stop);
        }
        else if (_board.Find(stop.Name) is null)
        {
            _board.Set(new ChannelStatus(stop.Name, string.Empty, ChannelState.Stopped) { Started = DateTimeOffset.UtcNow });
        }

        Sender.Tell(new CommandAccepted($"AMQ8019I: Stop ActorQm channel accepted ({stop.Name})."));
    }

    private void HandleRegister(RegisterInbound register)
    {
        if (register.Client)
        {
            // Server-connection channels run one instance per client, within MAXINST and MAXINSTC.
            var instances = _clients.Values.Count(c => c.Name == register.Name);
            var fromClient = _clients.Values.Count(c => c.Name == register.Name && Equals(c.From, register.From));
            if (instances >= register.MaxInstances || fromClient >= register.MaxInstancesPerClient)
            {
                var limit = instances >= register.MaxInstances
                    ? $"MAXINST({register.MaxInstances}): {instances} instances running"
                    : $"MAXINSTC({register.MaxInstancesPerClient}): {fromClient} instances running from {register.From}";
                Sender.Tell(new InboundRegistered(false, $"channel {register.Name} is not available: {limit}", "AMQ9513E", Messages.MqReason.ChannelNotAvailable));
                return;
            }

            _clients[register.Channel] = (register.Name, register.From);
            Context.Watch(register.Channel);
            Sender.Tell(new InboundRegistered(true, string.Empty));
            return;
        }

        if (_board.Find(register.Name) is { State: ChannelState.Stopped })
        {
            Sender.Tell(new InboundRegistered(false, $"channel {register.Name} is STOPPED here (START CHANNEL to allow it)"));
            return;
        }

        if (_receivers.TryGetValue(register.Name, out var previous) && !previous.Equals(register.Channel))
        {
            // The partner reconnected while an older instance still holds the channel (a half-open connection):
            // the new one adopts it once the old one has settled its batch, so it starts from the right number.
            previous.Tell(new StopChannel(register.Name));
            if (!_adopting.TryGetValue(previous, out var waiting))
            {
                _adopting[previous] = waiting = [];
            }

            waiting.Add((register, Sender));
            return;
        }

        Adopt(register, Sender);
    }

    private void Adopt(RegisterInbound register, IActorRef replyTo)
    {
        _receivers[register.Name] = register.Channel;
        Context.Watch(register.Channel);
        replyTo.Tell(new InboundRegistered(true, string.Empty));
    }

    private void HandleTerminated(Terminated t)
    {
        _clients.Remove(t.ActorRef);
        foreach (var (name, actor) in _receivers.Where(r => r.Value.Equals(t.ActorRef)).ToList())
        {
            _receivers.Remove(name);
        }

        if (_adopting.Remove(t.ActorRef, out var waiting))
        {
            foreach (var (request, replyTo) in waiting)
            {
                Adopt(request, replyTo);
            }
        }
    }

    private void HandleStartListener(StartListener start)
    {
        if (_listeners.ContainsKey(start.Name))
        {
            Sender.Tell(new CommandRefused("AMQ9228E", $"Listener {start.Name} is already running."));
            return;
        }

        var self = Self;
        var queueManager = Context.Parent;
        var listener = Context.ActorOf(TlsListener.Props(
            new TlsListener.Settings(start.Address, start.Port, start.Backlog > 0 ? start.Backlog : 128),
            Self,
            (id, stream, remote) =>
            {
                var transport = ReceiverChannelActor.Accepted(id, stream, remote, CurrentResponder(), _handshakes);
                return Props.Create(() => new ReceiverChannelActor(id, transport, remote, _qmgr, queueManager, self, _sync, _board, null));
            },
            address => ChannelSecurity.BlockedBy(_blocked, address)), $"listener-{++_instances}");
        _listeners[start.Name] = (listener, null);
        _startingListeners[listener] = (start.Name, Sender);
    }

    private sealed record RequesterConnected(RequesterStart Start, System.Net.Sockets.TcpClient Client);

    private sealed record RequesterFailed(string Name, string Reason, string AmqCode = "AMQ9202E");

    private ResponderTls CurrentResponder() => _responder ?? new ResponderTls(null, RevocationSettings.None, null, true, new Transport.Settings().Accepting());

    private void HandleReset(ResetChannel reset)
    {
        if (_senders.ContainsKey(reset.Name) || _receivers.ContainsKey(reset.Name))
        {
            Sender.Tell(new CommandRefused("AMQ9514E", $"Channel {reset.Name} is in use; RESET CHANNEL needs it stopped or inactive."));
            return;
        }

        var record = _sync.Get(reset.Name);
        _sync.Save(record with { LastSeq = reset.NextSeq - 1 }, ActorRefs.Nobody, null);
        _board.Update(reset.Name, s => s with { LastSeq = reset.NextSeq - 1, CurrentSeq = reset.NextSeq - 1 });
        Sender.Tell(new CommandAccepted($"AMQ8023I: ActorQm channel {reset.Name} reset (next sequence number {reset.NextSeq})."));
    }

    private void HandleResolve(ResolveChannel resolve)
    {
        var record = _sync.Get(resolve.Name);
        if (_senders.ContainsKey(resolve.Name))
        {
            Sender.Tell(new CommandRefused("AMQ9514E", $"Channel {resolve.Name} is in use; RESOLVE CHANNEL needs it stopped."));
            return;
        }

        if (!record.IsInDoubt)
        {
            Sender.Tell(new CommandAccepted($"AMQ8024I: ActorQm channel {resolve.Name} resolved: nothing was in doubt."));
            return;
        }

        if (resolve.Commit)
        {
            resolve.XmitQueue?.Tell(new Queues.LocalQueue.Discard(record.InDoubtMessages));
            _sync.Save(new Store.ChannelSyncRecord(resolve.Name, record.InDoubtSeq, 0, []), ActorRefs.Nobody, null);
        }
        else
        {
            _sync.Save(record with { InDoubtSeq = 0, InDoubtMessages = [] }, ActorRefs.Nobody, null);
        }

        _board.Update(resolve.Name, s => s with { InDoubt = false });
        Sender.Tell(new CommandAccepted($"AMQ8024I: ActorQm channel {resolve.Name} resolved ({(resolve.Commit ? "COMMIT: the in-doubt batches are removed from the transmission queue" : "BACKOUT: the in-doubt batches will be sent again")})."));
    }
}
