using ActorQm.Cluster;
using Akka.Hosting;

namespace ActorQm.Hosting;

/// <summary>ActorQm features that need Akka.Cluster (configure the cluster itself with Akka.Cluster.Hosting).</summary>
public static class ActorQmClusterExtensions
{
    /// <summary>
    /// Cluster-wide revocation: a certificate revoked on any node (REVOKE CERT) is refused by every
    /// node's handshakes and ends the running connections that use it, once the replicated list
    /// reaches that node (at once for reachable nodes, else within a gossip interval).
    /// </summary>
    public static AkkaConfigurationBuilder WithActorQmRevocationGossip(this AkkaConfigurationBuilder builder, RevocationGossip.Settings? settings = null) =>
        builder.WithActors((system, _) => system.ActorOf(RevocationGossip.Props(settings), "actorqm-revocation-gossip"));

    /// <summary>DISPLAY CHSTATUS on any node shows every node's channels (NODE, QMNAME), reported every <paramref name="interval"/>.</summary>
    public static AkkaConfigurationBuilder WithActorQmClusterStatus(this AkkaConfigurationBuilder builder, TimeSpan? interval = null) =>
        builder.WithActors((system, _) => system.ActorOf(ClusterStatus.Props(interval), "actorqm-cluster-status"));

    /// <summary>
    /// MQ clusters across nodes: queue managers on every node see each other's CLUSRCVR channels and cluster queues
    /// (replicated with Akka.DistributedData instead of MQ full repositories), define their cluster-senders and
    /// balance puts to cluster queues over the members wherever they run.
    /// </summary>
    public static AkkaConfigurationBuilder WithActorQmClusterQueues(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) => system.ActorOf(ClusterQueueDirectory.Props(), "actorqm-cluster-queues"));
}
