using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.QueueClusters;

/// <summary>
/// Three queue managers of one MQ cluster in one actor system, over real TLS on loopback: QMB and
/// QMC host the cluster queue APP.CQ, QMA puts to it without defining it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterQueuesSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private static async Task<ChannelState?> StateOf(IActorRef qm, string channel) =>
        (await qm.Ask<IReadOnlyList<ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5))).FirstOrDefault(s => s.Name == channel)?.State;

    [Fact]
    public async Task ClusterQueues_must_balance_puts_across_the_members_hosting_the_queue_over_auto_defined_tls_channels()
    {
        var qma = await MqClusterMember.StartAsync(Sys, _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(Sys, _dir, "QMB", hostsQueue: true);
        var qmc = await MqClusterMember.StartAsync(Sys, _dir, "QMC", hostsQueue: true);
        var app = new QueueManagerConnection(qma, "spec");

        for (var i = 0; i < 20; i++)
        {
            await app.PutAsync("APP.CQ", Text("m" + i, Persistence.Persistent));
        }

        var (atB, atC) = (0, 0);
        await AwaitAssertAsync(async () =>
        {
            atB += (await DrainAsync(qmb, "APP.CQ")).Count;
            atC += (await DrainAsync(qmc, "APP.CQ")).Count;
            Assert.Equal(20, atB + atC);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        Assert.Equal((10, 10), (atB, atC));
        Assert.Equal(ChannelState.Running, await StateOf(qma, "C1.QMB"));
        Assert.Equal(ChannelState.Running, await StateOf(qma, "C1.QMC"));

        var display = string.Join("\n", (await app.RunMqscAsync("DISPLAY CLUSQMGR(*)")).Lines);
        Assert.Contains("CLUSQMGR(QMA)", display, StringComparison.Ordinal);
        Assert.Matches(@"CLUSQMGR\(QMB\)\s+CLUSTER\(C1\)\s+CHANNEL\(C1\.QMB\)", display);
        Assert.Contains("STATUS(RUNNING)", display, StringComparison.Ordinal);
        var instances = (await app.RunMqscAsync("DISPLAY QCLUSTER(APP.*)")).Lines.Where(l => l.Contains("CLUSQMGR(", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, instances.Count);
    }

    [Fact]
    public async Task ClusterQueues_must_skip_a_member_whose_channel_is_not_running()
    {
        var qma = await MqClusterMember.StartAsync(Sys, _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(Sys, _dir, "QMB", hostsQueue: true);
        var qmc = await MqClusterMember.StartAsync(Sys, _dir, "QMC", hostsQueue: true);
        var app = new QueueManagerConnection(qma, "spec");
        await app.PutAsync("APP.CQ", Text("warm-up b"));
        await app.PutAsync("APP.CQ", Text("warm-up c"));
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Running, await StateOf(qma, "C1.QMC")), TimeSpan.FromSeconds(15));

        // QMC refuses its cluster channel: QMA's sender to it retries, and QMA stops choosing QMC.
        await new QueueManagerConnection(qmc, "spec").RunMqscAsync("STOP CHANNEL('C1.QMC')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Retrying, await StateOf(qma, "C1.QMC")), TimeSpan.FromSeconds(15));
        for (var i = 0; i < 10; i++)
        {
            await app.PutAsync("APP.CQ", Text("while-c-is-down-" + i, Persistence.Persistent));
        }

        var atB = 0;
        await AwaitAssertAsync(async () =>
        {
            atB += (await DrainAsync(qmb, "APP.CQ")).Count;
            Assert.Equal(11, atB);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        Assert.Single(await DrainAsync(qmc, "APP.CQ"));
    }

    [Fact]
    public async Task ClusterQueues_must_let_STOP_and_START_CHANNEL_act_on_an_auto_defined_cluster_sender()
    {
        var qma = await MqClusterMember.StartAsync(Sys, _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(Sys, _dir, "QMB", hostsQueue: true);
        var app = new QueueManagerConnection(qma, "spec");
        await app.PutAsync("APP.CQ", Text("before", Persistence.Persistent));
        // Running comes before the batch is committed at QMB: the message is awaited, not assumed.
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Running, await StateOf(qma, "C1.QMB")), TimeSpan.FromSeconds(15));
        await AwaitAssertAsync(async () => Assert.Single(await DrainAsync(qmb, "APP.CQ")), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));

        // The cluster-sender is no defined object here, yet STOP CHANNEL names it as in MQ; stopped, it stays stopped.
        var stop = await app.RunMqscAsync("STOP CHANNEL('C1.QMB')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Stopped, await StateOf(qma, "C1.QMB")), TimeSpan.FromSeconds(15));
        await app.PutAsync("APP.CQ", Text("while stopped", Persistence.Persistent));
        var (display, _, _) = await app.RunMqscAsync("DISPLAY QSTATUS('SYSTEM.CLUSTER.TRANSMIT.C1.QMB') CURDEPTH");
        Assert.Empty(await DrainAsync(qmb, "APP.CQ"));

        var start = await app.RunMqscAsync("START CHANNEL('C1.QMB')");
        var after = 0;
        await AwaitAssertAsync(async () =>
        {
            after += (await DrainAsync(qmb, "APP.CQ")).Count;
            Assert.Equal(1, after);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));

        Assert.Equal(0, stop.Failed);
        Assert.Equal(0, start.Failed);
        Assert.Contains("CURDEPTH(1)", string.Join(" ", display), StringComparison.Ordinal);
        Assert.Equal(1, (await app.RunMqscAsync("STOP CHANNEL('C1.NOBODY')")).Failed);
    }

    [Fact]
    public async Task ClusterQueues_must_learn_the_members_again_at_REFRESH_CLUSTER_and_go_on_delivering()
    {
        var qma = await MqClusterMember.StartAsync(Sys, _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(Sys, _dir, "QMB", hostsQueue: true);
        var app = new QueueManagerConnection(qma, "spec");
        await app.PutAsync("APP.CQ", Text("before", Persistence.Persistent));
        await AwaitAssertAsync(async () => Assert.Single(await DrainAsync(qmb, "APP.CQ")), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        // Messages waiting on the cluster transmission queue while its channel is stopped: the refresh must not lose them.
        await app.RunMqscAsync("STOP CHANNEL('C1.QMB')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Stopped, await StateOf(qma, "C1.QMB")), TimeSpan.FromSeconds(15));
        await app.PutAsync("APP.CQ", Text("waiting", Persistence.Persistent));

        var refresh = await app.RunMqscAsync("REFRESH CLUSTER(C1) REPOS(NO)");
        var unknown = await app.RunMqscAsync("REFRESH CLUSTER(NOSUCH)");
        var badRepos = await app.RunMqscAsync("REFRESH CLUSTER(C1) REPOS(MAYBE)");

        Assert.True(refresh.Failed == 0, string.Join("\n", refresh.Lines));
        Assert.Contains(refresh.Lines, l => l.StartsWith("AMQ8559I", StringComparison.Ordinal));
        Assert.Contains(unknown.Lines, l => l.Contains("AMQ8147E", StringComparison.Ordinal) && l.Contains("NOSUCH", StringComparison.Ordinal));
        Assert.Equal(1, badRepos.Failed);
        // The member is known again, and a START sends what waited and what comes next.
        Assert.Matches(@"CLUSQMGR\(QMB\)\s+CLUSTER\(C1\)\s+CHANNEL\(C1\.QMB\)", string.Join("\n", (await app.RunMqscAsync("DISPLAY CLUSQMGR(*)")).Lines));
        await app.RunMqscAsync("START CHANNEL('C1.QMB')");
        await app.PutAsync("APP.CQ", Text("after", Persistence.Persistent));
        var got = new List<string>();
        await AwaitAssertAsync(async () =>
        {
            got.AddRange(await DrainAsync(qmb, "APP.CQ"));
            Assert.Equal(["waiting", "after"], got);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task ClusterQueues_must_not_deliver_to_a_member_whose_certificate_the_clusters_sslpeer_refuses()
    {
        var qma = await MqClusterMember.StartAsync(Sys, _dir, "QMA", hostsQueue: false);
        var qmb = await MqClusterMember.StartAsync(Sys, _dir, "QMB", hostsQueue: true);
        // QMC's certificate says OU=MQ: QMA's auto-defined sender to it demands QMC's CLUSRCVR SSLPEER of OU=OTHER, so the
        // handshake fails on QMA's side; nothing reaches QMC's queue and the cluster uses QMB.
        var qmc = await MqClusterMember.StartAsync(Sys, _dir, "QMC", hostsQueue: true, sslPeer: "OU=OTHER,O=Example");
        var app = new QueueManagerConnection(qma, "spec");
        await app.PutAsync("APP.CQ", Text("first"));
        await app.PutAsync("APP.CQ", Text("second"));
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Retrying, await StateOf(qma, "C1.QMC")), TimeSpan.FromSeconds(15));

        for (var i = 0; i < 10; i++)
        {
            await app.PutAsync("APP.CQ", Text("after-" + i));
        }

        var atB = 0;
        await AwaitAssertAsync(async () =>
        {
            atB += (await DrainAsync(qmb, "APP.CQ")).Count;
            Assert.Equal(11, atB);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        Assert.Empty(await DrainAsync(qmc, "APP.CQ"));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
