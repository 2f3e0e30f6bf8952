using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace ActorQm.Cluster;

/// <summary>
/// Asks the shard region, at every tick, for each declared queue manager to be running. Sharding
/// starts the ones not running anywhere on the node their shard is allocated to, so a queue
/// manager whose node is gone starts elsewhere within one tick of its shard being re-allocated.
/// The first request waits until <c>minNodes</c> members are up (then never again); so does any start
/// of a queue manager on this node (<see cref="QueueManagerPlacement"/>).
/// </summary>
internal sealed class QueueManagerKeeperActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly IReadOnlyList<string> _names;
    private readonly TimeSpan _interval;
    private readonly int _minNodes;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public QueueManagerKeeperActor(IActorRef region, IReadOnlyList<string> names, TimeSpan interval, int minNodes)
    {
        _region = region;
        _names = names;
        _interval = interval;
        _minNodes = minNodes;
        Become(Waiting);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        if (_minNodes <= 1)
        {
            StartKeeping();
        }
        else
        {
            _log.Info("AMQ8024I: queue managers are placed once {0} cluster members are up.", _minNodes);
            _cluster.Subscribe(Self, ClusterEvent.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        }
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    // Counted from the events themselves: Cluster.State may not yet show the member an event announces,
    // and missing the last MemberUp would leave the queue managers unplaced for good.
    private void Waiting()
    {
        var up = new HashSet<Address>();
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            up.UnionWith(state.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address));
            CheckUp(up);
        });
        Receive<ClusterEvent.MemberUp>(e =>
        {
            up.Add(e.Member.Address);
            CheckUp(up);
        });
        Receive<ClusterEvent.IMemberEvent>(e => up.Remove(e.Member.Address));
    }

    private void Keeping()
    {
        Receive<Tick>(_ =>
        {
            foreach (var name in _names)
            {
                _region.Tell(new ShardRegion.StartEntity(name));
            }
        });
        // The region acknowledges each request; the next tick asks again anyway.
        ReceiveAny(_ => { });
    }

    private void CheckUp(HashSet<Address> up)
    {
        if (up.Count >= _minNodes)
        {
            _cluster.Unsubscribe(Self);
            StartKeeping();
        }
    }

    private void StartKeeping()
    {
        QueueManagerPlacement.For(Context.System).Opened();
        Become(Keeping);
        Timers.StartPeriodicTimer("keep-alive", Tick.Instance, TimeSpan.Zero, _interval);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
