using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace ActorQm.Cluster;

/// <summary>
/// Where the shard coordinator has placed a queue manager's shard, asked of the coordinator itself. A shard region
/// that believes it hosts a shard never asks again, so after the coordinator moved it can go on running an entity
/// the coordinator has placed on another node (docs/reliability.md, "Cluster chaos": the second start then failed
/// with AMQ8146E every minute). The entity asks before it takes the journal and while it runs, and gives way when
/// the answer names another node (<see cref="QueueManagerEntityActor"/>).
/// Akka.NET keeps the coordinator's GetShardHome/ShardHome protocol internal: it is reached by reflection, and when
/// the types are not found (another Akka.NET release) the answer is always "unknown" and nothing changes.
/// </summary>
internal static class QueueManagerHome
{
    private static readonly Assembly Sharding = typeof(ClusterSharding).Assembly;
    private static readonly Type? GetShardHome = Sharding.GetType("Akka.Cluster.Sharding.ShardCoordinator+GetShardHome");
    private static readonly Type? ShardHome = Sharding.GetType("Akka.Cluster.Sharding.ShardCoordinator+ShardHome");
    private static readonly FieldInfo? ShardHomeRef = ShardHome?.GetField("Ref");

    /// <summary>The node hosting the shard and its region there; null when not known (no coordinator yet, no answer in time).</summary>
    public sealed record Answer(Address Node, IActorRef Region);

    public static bool Available => GetShardHome is not null && ShardHomeRef is not null;

    public static async Task<Answer?> AskAsync(ActorSystem system, string shard, string role, TimeSpan timeout)
    {
        if (!Available)
        {
            return null;
        }

        var cluster = Akka.Cluster.Cluster.Get(system);
        // The coordinator is a cluster singleton: it runs on the oldest member (of the role).
        var oldest = cluster.State.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving && (role.Length == 0 || m.HasRole(role)))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (oldest is null)
        {
            return null;
        }

        var coordinator = system.ActorSelection($"{oldest.Address}/system/sharding/{Uri.EscapeDataString(QueueManagerSharding.TypeName)}Coordinator/singleton/coordinator");
        try
        {
            var answer = await coordinator.Ask(Activator.CreateInstance(GetShardHome!, shard)!, timeout).ConfigureAwait(false);
            if (answer.GetType() == ShardHome && ShardHomeRef!.GetValue(answer) is IActorRef region)
            {
                var node = region.Path.Address.HasGlobalScope ? region.Path.Address : cluster.SelfAddress;
                return new Answer(node, region);
            }
        }
        catch (AskTimeoutException)
        {
            // The coordinator is moving, defers the question (a hand-off in progress) or is not reachable: unknown.
        }

        return null;
    }
}
