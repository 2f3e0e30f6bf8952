using ActorQm.Cluster;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Cluster;

/// <summary>DISPLAY CHSTATUS on a queue manager of one node shows the channels of the others, with their node.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterStatusSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;
    private ClusterNodes? _cluster;

    [Fact]
    public async Task DISPLAY_CHSTATUS_and_QMSTATUS_must_show_every_nodes_channels_and_queue_managers_with_their_node()
    {
        _cluster = await ClusterNodes.StartAsync(2);
        var (a, c) = (_cluster.Nodes[0], _cluster.Nodes[1]);
        foreach (var node in _cluster.Nodes)
        {
            node.ActorOf(ClusterStatus.Props(TimeSpan.FromMilliseconds(200)), "actorqm-cluster-status");
        }

        var pair = await QueueManagerPair.StartAsync(c, _dir);
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("x", Persistence.Persistent));
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        Assert.Equal("x", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));

        var qmA = await QueueManagerBootstrap.StartAsync(a, TestMessages.Settings("QMA", _dir.Path));
        var connA = new QueueManagerConnection(qmA.Actor);
        var nodeC = Akka.Cluster.Cluster.Get(c).SelfAddress.ToString();
        await AwaitAssertAsync(async () =>
        {
            var lines = (await connA.RunMqscAsync("DISPLAY CHSTATUS(*)")).Lines;
            Assert.Contains(lines, l => l.Contains("QMNAME(QM1)", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains($"NODE('{nodeC}')", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("QMNAME(QM2)", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("STATUS(RUNNING)", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(15));
        var qmstatus = (await connA.RunMqscAsync("DISPLAY QMSTATUS")).Lines;
        Assert.Contains(qmstatus, l => l.Contains("QMNAME(QMA)", StringComparison.Ordinal));
        Assert.Contains(qmstatus, l => l.Contains("QMNAME(QM1)", StringComparison.Ordinal));
        Assert.Contains(qmstatus, l => l.Contains("QMNAME(QM2)", StringComparison.Ordinal));
        Assert.Contains(qmstatus, l => l.Contains($"NODE('{nodeC}')", StringComparison.Ordinal));
    }

    public new void Dispose()
    {
        _cluster?.Dispose();
        base.Dispose();
        _dir.Dispose();
    }
}
