using ActorQm.Messages;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tls;

/// <summary>Settings and Props of <see cref="HandshakeSupervisorActor"/>.</summary>
public static class HandshakeSupervisor
{
    /// <param name="maxConcurrent">Handshakes running at once; more wait in a queue.</param>
    /// <param name="maxQueued">Handshakes waiting; beyond that new connections are refused at once.</param>
    /// <param name="stepTimeout">Longest any one step may take (a stalled peer costs at most this per step).</param>
    public sealed record Settings(int MaxConcurrent = 16, int MaxQueued = 256, TimeSpan? StepTimeout = null)
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
/// </summary>
internal sealed class HandshakeSupervisorActor : ReceiveActor
{
    private readonly HandshakeSupervisor.Settings _settings;
    private readonly Dictionary<IActorRef, (StartHandshake Request, HandshakeOutcome Outcome)> _running = new();
    private readonly Queue<StartHandshake> _queued = new();
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
            if (_running.Remove(t.ActorRef, out var ended) && !ended.Outcome.Answered)
            {
                // The handshake actor died without answering: refuse its peer here.
                _failed++;
                ended.Request.Transport.Dispose();
                ended.Request.ReplyTo.Tell(new HandshakeFailed(ended.Request.ConnectionId, HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.SslInitializationError,
                    "the handshake could not be carried out (internal failure); connection closed", null));
            }

            while (_running.Count < _settings.MaxConcurrent && _queued.TryDequeue(out var next))
            {
                Spawn(next);
            }
        });
        Receive<HandshakeSupervisor.GetStatus>(_ => Sender.Tell(new HandshakeSupervisor.Status(_running.Count, _queued.Count, _refused, _failed)));
    }

    /// <summary>A handshake actor that throws is stopped (never restarted half-way through a handshake); everyone else goes on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "AMQ9638E: a handshake actor failed; its connection is closed, other handshakes continue.");
        return Directive.Stop;
    });

    private void Admit(StartHandshake request)
    {
        if (_running.Count < _settings.MaxConcurrent)
        {
            Spawn(request);
        }
        else if (_queued.Count < _settings.MaxQueued)
        {
            _queued.Enqueue(request);
        }
        else
        {
            _refused++;
            request.Transport.Dispose();
            request.ReplyTo.Tell(new HandshakeFailed(request.ConnectionId, HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.QMgrNotAvailable,
                $"too many handshakes in progress ({_settings.MaxConcurrent} running, {_settings.MaxQueued} waiting); connection refused", null));
        }
    }

    private void Spawn(StartHandshake request)
    {
        var outcome = new HandshakeOutcome();
        var child = Context.ActorOf(Handshake.Props(request, _settings.EffectiveStepTimeout, outcome), $"handshake-{++_sequence}");
        Context.Watch(child);
        _running[child] = (request, outcome);
    }
}
