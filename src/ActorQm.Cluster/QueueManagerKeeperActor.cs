using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorQm.Cluster;

/// <summary>
/// Asks the shard region, at every tick, for each declared queue manager to be running. Sharding
/// starts the ones not running anywhere on the node their shard is allocated to, so a queue
/// manager whose node is gone starts elsewhere within one tick of its shard being re-allocated.
/// </summary>
internal sealed class QueueManagerKeeperActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly IReadOnlyList<string> _names;
    private readonly TimeSpan _interval;

    public QueueManagerKeeperActor(IActorRef region, IReadOnlyList<string> names, TimeSpan interval)
    {
        _region = region;
        _names = names;
        _interval = interval;
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

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("keep-alive", Tick.Instance, TimeSpan.Zero, _interval);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
