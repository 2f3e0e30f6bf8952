using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace ActorQm.Cluster;

/// <summary>
/// Has this node's shard region ask the shard coordinator where a queue manager's shard lives. A region that believes
/// it hosts a shard never asks again, so after the coordinator moved (and did not know its predecessor's last placement)
/// it can go on running an entity the coordinator has placed on another node: both then start the queue manager, and
/// the second start fails with AMQ8146E every minute (docs/reliability.md, "Cluster chaos"). Asked on the region's
/// behalf, the coordinator's answer goes to the region, which checks it against what it hosts: Akka.NET treats a shard
/// placed elsewhere than a region believes as an inconsistency and restarts the region, stopping its entities, so the
/// stale queue manager ends and lets go of its journal, and the region learns the placement again from the coordinator.
/// The GetShardHome message is internal to Akka.NET: it is made by reflection, and not sent when the type is not found
/// (another Akka.NET release; <c>QueueManagerShardingSpec</c> fails then).
/// </summary>
internal static class QueueManagerHome
{
    private static readonly Type? GetShardHome = typeof(ClusterSharding).Assembly.GetType("Akka.Cluster.Sharding.ShardCoordinator+GetShardHome");

    public static void Check(ActorSystem system, string shard, string role)
    {
        if (GetShardHome is null)
        {
            return;
        }

        // Not from a node on its way out: its region is handing its shards off, and an answer that names the new home
        // would restart it in the middle of the hand-off.
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (cluster.SelfMember.Status != MemberStatus.Up)
        {
            return;
        }

        // The coordinator is a cluster singleton: it runs on the oldest member (of the role).
        var oldest = cluster.State.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving && (role.Length == 0 || m.HasRole(role)))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (oldest is null)
        {
            return;
        }

        var region = ClusterSharding.Get(system).ShardRegion(QueueManagerSharding.TypeName);
        var coordinator = system.ActorSelection($"{oldest.Address}/system/sharding/{Uri.EscapeDataString(QueueManagerSharding.TypeName)}Coordinator/singleton/coordinator");
        coordinator.Tell(Activator.CreateInstance(GetShardHome, shard)!, region);
    }
}
