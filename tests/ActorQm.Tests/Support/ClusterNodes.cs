using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Tests.Support;

/// <summary>In-process Akka.Cluster nodes on loopback (port 0), joined to the first; terminated when disposed.</summary>
internal sealed class ClusterNodes : IDisposable
{
    private readonly List<ActorSystem> _nodes = [];

    public IReadOnlyList<ActorSystem> Nodes => _nodes;

    public static async Task<ClusterNodes> StartAsync(int count)
    {
        var cluster = new ClusterNodes();
        for (var i = 0; i < count; i++)
        {
            cluster._nodes.Add(ActorSystem.Create("cluster", ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                akka.cluster.distributed-data.gossip-interval = 500ms
                """)));
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

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
    }
}
