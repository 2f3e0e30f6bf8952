using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Tests.Support;

/// <summary>In-process Akka.Cluster nodes on loopback (port 0), joined to the first; terminated when disposed.</summary>
internal sealed class ClusterNodes : IDisposable
{
    private readonly List<ActorSystem> _nodes = [];
    private readonly string _extraConfig;

    private ClusterNodes(string extraConfig) => _extraConfig = extraConfig;

    public IReadOnlyList<ActorSystem> Nodes => _nodes;

    public static async Task<ClusterNodes> StartAsync(int count, string extraConfig = "")
    {
        var cluster = new ClusterNodes(extraConfig);
        for (var i = 0; i < count; i++)
        {
            cluster._nodes.Add(cluster.Create());
        }

        var seed = Akka.Cluster.Cluster.Get(cluster._nodes[0]).SelfAddress;
        foreach (var node in cluster._nodes)
        {
            Akka.Cluster.Cluster.Get(node).Join(seed);
        }

        await cluster.AllUpAsync();
        return cluster;
    }

    /// <summary>Starts one more node, joined to the oldest, and waits until every node sees every member up.</summary>
    public async Task<ActorSystem> AddAsync()
    {
        var node = Create();
        _nodes.Add(node);
        Akka.Cluster.Cluster.Get(node).Join(Akka.Cluster.Cluster.Get(_nodes[0]).SelfAddress);
        await AllUpAsync();
        return node;
    }

    private ActorSystem Create() => ActorSystem.Create("cluster", ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster.distributed-data.gossip-interval = 500ms
        """).WithFallback(ConfigurationFactory.ParseString(_extraConfig)).WithFallback(ActorQm.Cluster.ClusterMessageSerializer.Configuration));

    private async Task AllUpAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!_nodes.All(n => Akka.Cluster.Cluster.Get(n).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == _nodes.Count))
        {
            if (DateTime.UtcNow > deadline)
            {
                Dispose();
                throw new TimeoutException($"{_nodes.Count} nodes did not all come up");
            }

            await Task.Delay(100);
        }
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
