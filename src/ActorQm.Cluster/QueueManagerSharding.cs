using ActorQm.Configuration;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorQm.Cluster;

/// <summary>
/// Queue managers as cluster-sharded entities keyed by name: each runs on exactly one node, and
/// when that node leaves or is downed its queue managers start again on another node from the
/// shared journal (store.engine = postgresql). The journal's ownership lock is the second fence:
/// even a node that has not yet noticed it was downed cannot write a queue manager another node runs.
/// </summary>
public static class QueueManagerSharding
{
    public const string TypeName = "actorqm-queue-manager";

    /// <param name="KeepAlive">How often every node asks for each declared queue manager to be running, which is
    /// what starts them at cluster start and again after a re-home or a failed start.</param>
    /// <param name="Role">Only nodes with this cluster role host queue managers; empty: every node.</param>
    /// <param name="MinNodes">Queue managers are first placed once this many members are up, so they are not started
    /// on the first node and then moved as the others join. Only the first placement waits: after a node is lost,
    /// the survivors re-home at once, whatever their number.</param>
    public sealed record Settings(IReadOnlyList<QueueManagerSettings> QueueManagers, TimeSpan KeepAlive, string Role = "", int MinNodes = 1)
    {
        public static Settings Create(ActorQmSettings settings, Akka.Configuration.Config config)
        {
            var section = config.GetConfig("actorqm.cluster.sharding");
            var keepAlive = section?.GetTimeSpan("keep-alive-interval", TimeSpan.FromSeconds(2)) ?? TimeSpan.FromSeconds(2);
            if (keepAlive <= TimeSpan.Zero)
            {
                throw new Akka.Configuration.ConfigurationException("actorqm.cluster.sharding.keep-alive-interval must be positive.");
            }

            var shared = settings.QueueManagers.Where(q => q.Store.Engine != StoreEngine.PostgreSql).Select(q => q.Name).ToList();
            if (shared.Count > 0)
            {
                throw new Akka.Configuration.ConfigurationException(
                    $"actorqm.cluster: queue managers {string.Join(", ", shared)} keep their journal on one node (store.engine = sqlite); a sharded queue manager needs store.engine = postgresql so any node can recover it.");
            }

            var minNodes = section?.GetInt("min-nodes", 1) ?? 1;
            if (minNodes < 1)
            {
                throw new Akka.Configuration.ConfigurationException($"actorqm.cluster.sharding.min-nodes must be at least 1, not {minNodes}.");
            }

            return new Settings(settings.QueueManagers, keepAlive, section?.GetString("role", string.Empty) ?? string.Empty, minNodes);
        }
    }

    /// <summary>A message for the queue manager <see cref="QMgrName"/>, wherever it runs.</summary>
    public sealed record Envelope(string QMgrName, object Message);

    /// <summary>Published on the hosting node's EventStream once a queue manager runs there (never sent to other nodes).</summary>
    /// <param name="QueueManager">The queue manager actor on this node, for in-process connections.</param>
    /// <param name="Recovery">From the entity's start to the queue manager running: lock wait, recovery and start-up script.</param>
    public sealed record QueueManagerStarted(string QMgrName, Address Node, IActorRef QueueManager, TimeSpan Recovery, IReadOnlyList<string> StartupOutput);

    /// <summary>Published when a queue manager could not start on this node (it is tried again at the next keep-alive).</summary>
    public sealed record QueueManagerStartFailed(string QMgrName, Address Node, string Reason);

    /// <summary>Starts the shard region on this node, and the keeper that keeps every declared queue manager running.</summary>
    /// <returns>The region: send it <see cref="Envelope"/>s.</returns>
    public static IActorRef Start(ActorSystem system, Settings settings)
    {
        ClusterMessageSerializer.EnsureConfigured(system);
        var byName = settings.QueueManagers.ToDictionary(q => q.Name, StringComparer.Ordinal);
        // Getting the extension first loads sharding's reference config into the system.
        var extension = ClusterSharding.Get(system);
        // Where each queue manager runs must outlive the coordinator's node. Akka.NET's default keeps it in an event-sourced
        // coordinator whose default journal is in memory, so a coordinator that moved started knowing nothing and placed a
        // running queue manager a second time; Distributed Data replicates it to the other nodes (docs/reliability.md,
        // "Cluster chaos").
        var sharding = ClusterShardingSettings.Create(system).WithStateStoreMode(StateStoreMode.DData);
        if (settings.Role.Length > 0)
        {
            sharding = sharding.WithRole(settings.Role);
        }

        var region = extension.Start(
            TypeName,
            name => Props.Create(() => new QueueManagerEntityActor(byName.GetValueOrDefault(name))),
            sharding,
            new Extractor());
        system.ActorOf(Props.Create(() => new QueueManagerKeeperActor(region, settings.QueueManagers.Select(q => q.Name).ToList(), settings.KeepAlive, settings.MinNodes)), "actorqm-keeper");
        return region;
    }

    // One shard per queue manager: placement and re-homing decide per queue manager, not per hash bucket.
    // (ShardRegion.StartEntity is routed by sharding itself through ShardId(entityId).)
    private sealed class Extractor : IMessageExtractor
    {
        public string? EntityId(object message) => message switch
        {
            Envelope e => e.QMgrName,
            _ => null,
        };

        public object? EntityMessage(object message) => message switch
        {
            Envelope e => e.Message,
            _ => message,
        };

        public string? ShardId(object message) => EntityId(message);

        public string ShardId(string entityId, object? messageHint = null) => entityId;
    }
}
