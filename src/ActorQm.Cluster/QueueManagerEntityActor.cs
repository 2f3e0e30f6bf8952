using System.Diagnostics;
using ActorQm.Configuration;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Cluster.QueueManagerSharding;

namespace ActorQm.Cluster;

/// <summary>
/// One queue manager as a sharded entity: on the node its shard lives on, it takes the journal
/// (waiting for a previous owner's lock to go, see store.lock-wait), recovers the queue manager
/// as its child and forwards every message to it. If the start fails or the queue manager stops,
/// the entity stops too and the keeper's next request starts it again.
/// Before it takes the journal, and every few seconds while it runs, it asks the shard coordinator where
/// the shard lives (<see cref="QueueManagerHome"/>): a region can go on believing it hosts a shard the
/// coordinator has placed elsewhere. Then the entity does not start (it forwards what it is sent to the
/// shard's home for a while, then stops) or its running queue manager ends, so that the journal lock goes
/// to the home (docs/reliability.md, "Cluster chaos").
/// </summary>
internal sealed class QueueManagerEntityActor : ReceiveActor, IWithStash, IWithTimers
{
    private static readonly TimeSpan HomeAskTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan HomeCheckEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ForwardFor = TimeSpan.FromSeconds(20);

    private readonly QueueManagerSettings? _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Address _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private IActorRef _queueManager = ActorRefs.Nobody;
    private Task<PreparedQueueManager>? _prepare;

    public QueueManagerEntityActor(QueueManagerSettings? settings)
    {
        _settings = settings;
        Become(Starting);
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        if (_settings is null)
        {
            _log.Error("AMQ8118E: queue manager {0} is not declared on node {1}; not started here.", Self.Path.Name, _node);
            Context.Stop(Self);
            return;
        }

        if (!QueueManagerPlacement.For(Context.System).Open)
        {
            // Asked for (by a routed connection, say) before this node has seen min-nodes members up: not here, not yet.
            _log.Debug("queue manager {0} not started on node {1}: the node has not yet seen actorqm.cluster.sharding.min-nodes members up.", _settings.Name, _node);
            Context.Stop(Self);
            return;
        }

        AskHome();
    }

    private void AskHome() =>
        QueueManagerHome.AskAsync(Context.System, _settings!.Name, QueueManagerPlacement.For(Context.System).Role, HomeAskTimeout)
            .PipeTo(Self, success: answer => new HomeAnswer(answer), failure: _ => new HomeAnswer(null));

    private bool Elsewhere(HomeAnswer home) => home.Answer is { } answer && answer.Node != _node;

    private void Start()
    {
        _log.Info("AMQ8024I: starting queue manager {0} on node {1}.", _settings!.Name, _node);
        _prepare = QueueManagerBootstrap.PrepareAsync(Context.System, _settings);
        _prepare.PipeTo(Self, success: p => p, failure: e => new Status.Failure(e));
    }

    // Stopped (a shard hand-off, a node leaving) before the queue manager was spawned: the journal
    // opened for it, now or later, must be let go, or its lock would hold off the next owner.
    protected override void PostStop()
    {
        if (_queueManager.IsNobody())
        {
            _prepare?.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Abandon();
                }
            }, TaskScheduler.Default);
        }
    }

    private void Starting()
    {
        Receive<HomeAnswer>(home =>
        {
            if (_prepare is not null)
            {
                return;
            }

            if (Elsewhere(home))
            {
                // This node's region believes it hosts the shard; the coordinator placed it elsewhere. Not started here:
                // what reaches this entity goes on to the shard's home until it stops.
                _log.Warning("AMQ8119W: queue manager {0} not started on node {1}: the shard coordinator has placed it on {2}.", _settings!.Name, _node, home.Answer!.Node);
                Timers.StartSingleTimer("forward-for", StopForwarding.Instance, ForwardFor);
                Become(() => Forwarding(home.Answer.Region));
                Stash.UnstashAll();
                return;
            }

            // Here, or not known (the coordinator moving or not answering): start; the journal lock still fences.
            Start();
        });
        Receive<PreparedQueueManager>(prepared =>
        {
            _queueManager = Context.ActorOf(prepared.Props, QueueManager.ActorName(prepared.Name));
            Context.Watch(_queueManager);
            prepared.RunStartupScriptAsync(_queueManager).PipeTo(Self, success: output => new ScriptApplied(output), failure: e => new Status.Failure(e));
        });
        Receive<ScriptApplied>(applied =>
        {
            _log.Info("AMQ8003I: queue manager {0} started on node {1} in {2} ms.", _settings!.Name, _node, _clock.ElapsedMilliseconds);
            Context.System.EventStream.Publish(new QueueManagerStarted(_settings.Name, _node, _queueManager, _clock.Elapsed, applied.Output?.Lines ?? []));
            Become(Running);
            Timers.StartPeriodicTimer("home-check", CheckHome.Instance, HomeCheckEvery);
            Stash.UnstashAll();
        });
        Receive<Status.Failure>(failure =>
        {
            // Our own exceptions carry the AMQ code and what failed; only the task's wrapper is peeled off.
            var reason = ((failure.Cause as AggregateException)?.InnerExceptions.FirstOrDefault() ?? failure.Cause).Message;
            _log.Error("AMQ8101E: queue manager {0} did not start on node {1}: {2}", _settings!.Name, _node, reason);
            Context.System.EventStream.Publish(new QueueManagerStartFailed(_settings.Name, _node, reason));
            Context.Stop(Self);
        });
        Receive<Terminated>(_ => Context.Stop(Self));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Running()
    {
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_queueManager))
            {
                _log.Info("AMQ8004I: queue manager {0} ended on node {1}.", _settings!.Name, _node);
                Context.Stop(Self);
            }
        });
        Receive<CheckHome>(_ => AskHome());
        Receive<HomeAnswer>(home =>
        {
            if (Elsewhere(home))
            {
                // Still running here while the coordinator has placed it elsewhere: end, so the home can take the journal.
                _log.Warning("AMQ8119W: queue manager {0} ends on node {1}: the shard coordinator has placed it on {2}.", _settings!.Name, _node, home.Answer!.Node);
                Timers.Cancel("home-check");
                Context.Stop(_queueManager);
            }
        });
        ReceiveAny(message => _queueManager.Forward(message));
    }

    private void Forwarding(IActorRef home)
    {
        Receive<StopForwarding>(_ => Context.Stop(Self));
        Receive<HomeAnswer>(_ => { });
        ReceiveAny(message => home.Forward(new QueueManagerSharding.Envelope(_settings!.Name, message)));
    }

    private sealed record HomeAnswer(QueueManagerHome.Answer? Answer);

    private sealed record CheckHome
    {
        public static readonly CheckHome Instance = new();
    }

    private sealed record StopForwarding
    {
        public static readonly StopForwarding Instance = new();
    }

    private sealed record ScriptApplied(Mqi.QueueManagerApi.MqscCompleted? Output);
}
