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
/// </summary>
internal sealed class QueueManagerEntityActor : ReceiveActor, IWithStash
{
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

        _log.Info("AMQ8024I: starting queue manager {0} on node {1}.", _settings.Name, _node);
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
        ReceiveAny(message => _queueManager.Forward(message));
    }

    private sealed record ScriptApplied(Mqi.QueueManagerApi.MqscCompleted? Output);
}
