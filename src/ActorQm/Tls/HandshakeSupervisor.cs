using System.Net.Sockets;
using ActorQm.Messages;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tls;

/// <summary>Settings and Props of <see cref="HandshakeSupervisorActor"/>.</summary>
public static class HandshakeSupervisor
{
    /// <param name="MaxConcurrent">Handshakes running at once, for each role (responder, initiator); more wait in a queue.</param>
    /// <param name="MaxQueued">Handshakes waiting, for each role; beyond that new connections are refused at once.</param>
    /// <param name="StepTimeout">Longest any one step may take (a stalled peer costs at most this per step).</param>
    /// <param name="MaxPerAddress">Responder handshakes one remote address may have pending at once; more are refused at once.</param>
    public sealed record Settings(int MaxConcurrent = 16, int MaxQueued = 256, TimeSpan? StepTimeout = null, int MaxPerAddress = 64)
    {
        public TimeSpan EffectiveStepTimeout => StepTimeout ?? TimeSpan.FromSeconds(30);
    }

    public static Props Props(Settings settings) => Akka.Actor.Props.Create(() => new HandshakeSupervisorActor(settings));

    /// <summary>Reply to <c>GetStatus</c>: how many handshakes run and wait.</summary>
    public sealed record Status(int Running, int Queued, long Refused, long Failed);

    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }
}

/// <summary>
/// One per listener and one per outbound side: spawns one <see cref="HandshakeActor"/> per
/// connection, bounds how many run at once (queueing, then refusing), and survives any of them
/// failing: the connection of a failed handshake actor is closed and reported as refused.
/// A responder's connection takes a running slot only once its peer has sent its first bytes
/// (the ClientHello): a silent peer waits outside the slots (counted with the queued ones) until
/// the step timeout, so silent or stalled connections cannot hold every slot, and two queue
/// managers starting many channels to each other cannot wait on each other's queued handshakes.
/// Responders and initiators have slots and queues of their own: an initiator waits for a responder, so initiators
/// holding every slot of a supervisor that also runs their responders (one queue manager calling itself, a cluster
/// node's routed listener beside its channels) would wait on them until the step timeout.
/// </summary>
internal sealed class HandshakeSupervisorActor : ReceiveActor
{
    private readonly HandshakeSupervisor.Settings _settings;
    private readonly Dictionary<IActorRef, StartHandshake> _running = new();
    // Running handshakes that have not answered their ReplyTo yet.
    private readonly HashSet<IActorRef> _unanswered = new();
    private readonly Dictionary<HandshakeRole, (int Running, Queue<StartHandshake> Queued)> _roles = new()
    {
        [HandshakeRole.Responder] = (0, new Queue<StartHandshake>()),
        [HandshakeRole.Initiator] = (0, new Queue<StartHandshake>()),
    };
    private int _silent;
    private readonly Dictionary<System.Net.IPAddress, int> _perAddress = new();
    // Keyed by the request itself: connection ids come from the caller and need not be unique.
    private readonly Dictionary<StartHandshake, System.Net.IPAddress> _addressOf = new(ReferenceEqualityComparer.Instance);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _refused;
    private long _failed;
    private long _sequence;

    public HandshakeSupervisorActor(HandshakeSupervisor.Settings settings)
    {
        _settings = settings;
        Receive<StartHandshake>(Admit);
        Receive<Terminated>(t =>
        {
            if (_running.Remove(t.ActorRef, out var ended))
            {
                Release(ended);
                if (_unanswered.Remove(t.ActorRef))
                {
                    // The handshake actor died without answering: refuse its peer here.
                    _failed++;
                    ended.Transport.Dispose();
                    ended.ReplyTo.Tell(new HandshakeFailed(ended.ConnectionId, HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.SslInitializationError,
                        "the handshake could not be carried out (internal failure); connection closed", null));
                }

                var role = _roles[ended.Role];
                _roles[ended.Role] = role with { Running = role.Running - 1 };
                while (_roles[ended.Role].Running < _settings.MaxConcurrent && role.Queued.TryDequeue(out var next))
                {
                    Spawn(next);
                }
            }
        });
        Receive<Answered>(_ => _unanswered.Remove(Sender));
        Receive<HandshakeSupervisor.GetStatus>(_ => Sender.Tell(new HandshakeSupervisor.Status(_running.Count, _roles.Values.Sum(r => r.Queued.Count) + _silent, _refused, _failed)));
        Receive<PeerSpoke>(spoke =>
        {
            _silent--;
            Run(spoke.Request);
        });
        Receive<PeerSilent>(silent =>
        {
            _silent--;
            Release(silent.Request);
            _failed++;
            silent.Request.Transport.Dispose();
            silent.Request.ReplyTo.Tell(new HandshakeFailed(silent.Request.ConnectionId, HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.SslInitializationError, silent.Reason, null));
        });
    }

    /// <summary>A handshake actor that throws is stopped (never restarted half-way through a handshake); everyone else goes on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "AMQ9638E: a handshake actor failed; its connection is closed, other handshakes continue.");
        return Directive.Stop;
    });

    private void Admit(StartHandshake request)
    {
        // Connections whose peer has not spoken yet count as waiting: running, waiting and silent together stay within the bounds.
        var (running, queued) = _roles[request.Role];
        if (running + queued.Count + (request.Role == HandshakeRole.Responder ? _silent : 0) >= _settings.MaxConcurrent + _settings.MaxQueued)
        {
            Refuse(request);
            return;
        }

        if (request.Role == HandshakeRole.Responder && request.Transport is NetworkStream network)
        {
            if (network.Socket.RemoteEndPoint is System.Net.IPEndPoint { Address: var address })
            {
                var pending = _perAddress.GetValueOrDefault(address);
                if (pending >= _settings.MaxPerAddress)
                {
                    Refuse(request, $"{address} already has {pending} handshakes pending (max-handshakes-per-address); connection refused");
                    return;
                }

                _perAddress[address] = pending + 1;
                _addressOf[request] = address;
            }

            _silent++;
            WaitForFirstBytes(network.Socket, request, _settings.EffectiveStepTimeout).PipeTo(Self);
            return;
        }

        Run(request);
    }

    private static async Task<object> WaitForFirstBytes(Socket socket, StartHandshake request, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            // Peeks: the bytes stay for the TLS handshake.
            var buffer = new byte[1];
            var n = await socket.ReceiveAsync(buffer, SocketFlags.Peek, cancel.Token).ConfigureAwait(false);
            return n > 0 ? new PeerSpoke(request) : new PeerSilent(request, "the remote end closed the connection before the TLS handshake");
        }
        catch (OperationCanceledException)
        {
            return new PeerSilent(request, $"the remote end sent nothing within {timeout.TotalSeconds:F1} s of connecting (no TLS ClientHello)");
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return new PeerSilent(request, $"the connection failed before the TLS handshake: {e.Message}");
        }
    }

    private void Run(StartHandshake request)
    {
        var (running, queued) = _roles[request.Role];
        if (running < _settings.MaxConcurrent)
        {
            Spawn(request);
        }
        else if (queued.Count < _settings.MaxQueued)
        {
            queued.Enqueue(request);
        }
        else
        {
            Refuse(request);
        }
    }

    private void Refuse(StartHandshake request, string? why = null)
    {
        _refused++;
        Release(request);
        request.Transport.Dispose();
        request.ReplyTo.Tell(new HandshakeFailed(request.ConnectionId, HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.QMgrNotAvailable,
            why ?? $"too many handshakes in progress ({_settings.MaxConcurrent} running, {_settings.MaxQueued} waiting); connection refused", null));
    }

    private void Release(StartHandshake request)
    {
        if (_addressOf.Remove(request, out var address) && --_perAddress[address] == 0)
        {
            _perAddress.Remove(address);
        }
    }

    private sealed record PeerSpoke(StartHandshake Request);

    private sealed record PeerSilent(StartHandshake Request, string Reason);

    private void Spawn(StartHandshake request)
    {
        var child = Context.ActorOf(Handshake.Props(request, _settings.EffectiveStepTimeout), $"handshake-{++_sequence}");
        Context.Watch(child);
        _running[child] = request;
        var role = _roles[request.Role];
        _roles[request.Role] = role with { Running = role.Running + 1 };
        _unanswered.Add(child);
    }
}
