using System.Diagnostics;
using ActorQm.Channels;
using ActorQm.Cluster;
using ActorQm.Messages;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorQm.Tests.Cluster;

/// <summary>
/// Three nodes in an Akka.Cluster: a certificate revoked on node A is refused by node B's
/// handshakes, and the running channel that uses it on node C ends, within the gossip bound.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RevocationGossipSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private ClusterNodes? _cluster;
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task A_certificate_revoked_on_one_node_must_be_refused_and_cut_off_on_the_others()
    {
        _cluster = await ClusterNodes.StartAsync(3);
        var (a, b, c) = (_cluster.Nodes[0], _cluster.Nodes[1], _cluster.Nodes[2]);
        foreach (var node in _cluster.Nodes)
        {
            node.ActorOf(RevocationGossip.Props(), "revocation-gossip");
        }

        var pair = await QueueManagerPair.StartAsync(c, _dir);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Channel.ChannelFailed>();
        c.EventStream.Subscribe(c.ActorOf(Props.Create(() => new Collector(failures))), typeof(Channel.ChannelFailed));
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("flows", Persistence.Persistent));
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        Assert.Equal("flows", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));

        var qm1 = TestPki.Shared.Qm1;
        var chain = new[] { qm1, TestPki.Shared.Ca.Certificate, TestPki.Shared.Root.Certificate };
        var atB = RevocationSettings.None with { Revoked = RevokedCertificatesExtension.For(b) };
        Assert.Equal(RevocationStatus.Good, (await RevocationChecker.CheckAsync(chain, atB, DateTimeOffset.UtcNow, CancellationToken.None)).Status);

        var clock = Stopwatch.StartNew();
        RevokedCertificatesExtension.For(a).Add(new RevokedCertificate(PeerName.Issuer(qm1).ToString(), qm1.SerialNumber, "REVOKE CERT on node A"));

        await AwaitConditionAsync(() => Task.FromResult(failures.Any(f => f.QMgrName == "QM2" && f.AmqCode == "AMQ9633E")), TimeSpan.FromSeconds(15));
        var cut = failures.First(f => f.QMgrName == "QM2" && f.AmqCode == "AMQ9633E");
        _output.WriteLine($"channel on node C cut {clock.ElapsedMilliseconds} ms after the revocation on node A: {cut.Detail}");
        Assert.Contains("cluster", cut.Detail, StringComparison.Ordinal);
        await AwaitAssertAsync(async () =>
            Assert.Equal(RevocationStatus.Revoked, (await RevocationChecker.CheckAsync(chain, atB, DateTimeOffset.UtcNow, CancellationToken.None)).Status), TimeSpan.FromSeconds(15));
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(System.Collections.Concurrent.ConcurrentQueue<Channel.ChannelFailed> into) => Receive<Channel.ChannelFailed>(into.Enqueue);
    }

    public new void Dispose()
    {
        _cluster?.Dispose();
        base.Dispose();
        _dir.Dispose();
    }
}
