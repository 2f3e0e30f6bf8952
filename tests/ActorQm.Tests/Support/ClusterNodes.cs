using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Tests.Support;

/// <summary>In-process Akka.Cluster nodes on loopback (port 0), joined to the first; terminated when disposed.</summary>
internal sealed class ClusterNodes : IDisposable
{
    private readonly List<ActorSystem> _nodes = [];

    public IReadOnlyList<ActorSystem> Nodes => _nodes;

    public static async Task<ClusterNodes> StartAsync(int count, string extraConfig = "")
    {
        var cluster = new ClusterNodes();
        for (var i = 0; i < count; i++)
        {
            cluster._nodes.Add(ActorSystem.Create("cluster", ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                akka.cluster.distributed-data.gossip-interval = 500ms
                """).WithFallback(ConfigurationFactory.ParseString(extraConfig)).WithFallback(ActorQm.Cluster.ClusterMessageSerializer.Configuration)));
        }

        var seed = Akka.Cluster.Cluster.Get(cluster._nodes[0]).SelfAddress;
        foreach (var node in cluster._nodes)
        {
            Akka.Cluster.Cluster.Get(node).Join(seed);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!cluster._nodes.All(n => Akka.Cluster.Cluster.Get(n).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == count))
        {
            if (DateTime.UtcNow > deadline)
            {
                cluster.Dispose();
                throw new TimeoutException($"{count} nodes did not all come up");
            }

            await Task.Delay(100);
        }

        return cluster;
    }

    /// <summary>Leaves the cluster gracefully (its shards are handed off) and terminates the node.</summary>
    public async Task LeaveAsync(ActorSystem node)
    {
        await Akka.Cluster.Cluster.Get(node).LeaveAsync();
        await node.Terminate();
        _nodes.Remove(node);
    }

    // All at once: one by one, each leaving node waits for the others to take over its shards.
    public void Dispose() => Task.WhenAll(_nodes.Select(n => n.Terminate())).Wait(TimeSpan.FromSeconds(20));
}
