using ActorQm.Cluster;
using ActorQm.Messages;
using ActorQm.QueueClusters;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Cluster;

/// <summary>
/// MQ cluster membership replicated through Akka.DistributedData: a queue manager on one node puts to a
/// cluster queue hosted on another node, and the member drops out when its node leaves.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterQueueDirectorySpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task ClusterQueueDirectory_must_let_a_queue_manager_put_to_a_cluster_queue_hosted_on_another_node()
    {
        using var cluster = await ClusterNodes.StartAsync(2);
        foreach (var node in cluster.Nodes)
        {
            node.ActorOf(ClusterQueueDirectory.Props());
        }

        var qma = await MqClusterMember.StartAsync(cluster.Nodes[0], _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(cluster.Nodes[1], _dir, "QMB", hostsQueue: true);
        await AwaitConditionAsync(() => Task.FromResult(ClusterDirectory.For(cluster.Nodes[0]).All.Any(m => m.QMgrName == "QMB" && m.Queues.Contains("APP.CQ"))),
            TimeSpan.FromSeconds(20));

        var app = new QueueManagerConnection(qma, "spec");
        for (var i = 0; i < 5; i++)
        {
            await app.PutAsync("APP.CQ", Text("across-" + i, Persistence.Persistent));
        }

        var got = await TestMessages.ReceiveAsync(qmb, "APP.CQ", 5, TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "across-" + i), got);

        await cluster.LeaveAsync(cluster.Nodes[1]);

        await AwaitConditionAsync(() => Task.FromResult(!ClusterDirectory.For(cluster.Nodes[0]).All.Any(m => m.QMgrName == "QMB")), TimeSpan.FromSeconds(20));
        var gone = await Assert.ThrowsAsync<MqException>(() => app.PutAsync("APP.CQ", Text("nowhere")));
        Assert.Equal(MqReason.UnknownObjectName, gone.Reason);
    }

    /// <summary>
    /// Distributed Data's replicator takes the serializer of its envelopes when it starts: on a node whose configuration
    /// lacked Distributed Data's bindings that was the JSON fallback, which failed on some envelopes after a node left
    /// and restarted the replicator, losing every subscription (a node's directory then never changed again).
    /// </summary>
    [Fact]
    public async Task ClusterQueueDirectory_must_replicate_with_distributed_datas_own_serializers()
    {
        using var cluster = await ClusterNodes.StartAsync(1);
        var node = cluster.Nodes[0];
        node.ActorOf(ClusterQueueDirectory.Props());

        foreach (var type in new[] { typeof(Akka.DistributedData.Internal.DataEnvelope), typeof(Akka.DistributedData.LWWDictionary<string, string>), typeof(Akka.Cluster.Sharding.ShardRegion.StartEntity) })
        {
            Assert.IsNotType<Akka.Serialization.NewtonSoftJsonSerializer>(node.Serialization.FindSerializerForType(type));
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
