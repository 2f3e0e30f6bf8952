using System.Collections.Concurrent;
using ActorQm.Cluster;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Cluster;

/// <summary>Queue managers as sharded entities on three in-process nodes with a real PostgreSQL journal.</summary>
public sealed class QueueManagerShardingSpec(PostgresServer postgres, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Quiet, output), IClassFixture<PostgresServer>
{
    private static readonly string[] Names = ["QMA", "QMB", "QMC"];

    private (QueueManagerSharding.Settings Settings, string Connection) Declare(int minNodes = 1, string? connectionString = null, string lockWait = "20s", IReadOnlyList<string>? names = null)
    {
        var connection = connectionString ?? postgres.CreateDatabase();
        var qms = string.Join("\n", (names ?? Names).Select(n => $"{n} {{ }}"));
        var config = ConfigurationFactory.ParseString($$"""
            actorqm.queue-manager-defaults.store { engine = postgresql, connection-string = "{{connection}}", lock-wait = {{lockWait}} }
            actorqm.queue-managers { {{qms}} }
            actorqm.cluster.sharding { keep-alive-interval = 300ms, min-nodes = {{minNodes}} }
            """);
        return (QueueManagerSharding.Settings.Create(ActorQmSettings.Create(config), config), connection);
    }

    private static ConcurrentQueue<QueueManagerSharding.QueueManagerStarted> Watch(ClusterNodes cluster)
    {
        var started = new ConcurrentQueue<QueueManagerSharding.QueueManagerStarted>();
        foreach (var node in cluster.Nodes)
        {
            Collect(node, started);
        }

        return started;
    }

    /// <summary>Every <typeparamref name="T"/> published on <paramref name="node"/>'s event stream, into <paramref name="into"/>.</summary>
    private static void Collect<T>(ActorSystem node, ConcurrentQueue<T> into) =>
        node.EventStream.Subscribe(node.ActorOf(Props.Create(() => new Collector<T>(into))), typeof(T));

    [Fact]
    public async Task QueueManagerSharding_must_run_each_queue_manager_on_exactly_one_node()
    {
        var (settings, _) = Declare(minNodes: 3);
        using var cluster = await ClusterNodes.StartAsync(3);
        var started = Watch(cluster);
        var regions = cluster.Nodes.Select(n => QueueManagerSharding.Start(n, settings)).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await AwaitConditionAsync(() => Task.FromResult(started.Count >= Names.Length), TimeSpan.FromSeconds(40));
        Output!.WriteLine($"all started after {clock.ElapsedMilliseconds} ms");
        await Task.Delay(1000);

        Assert.Equal(Names.Order(), started.Select(s => s.QMgrName).Order());
        // Any node reaches any queue manager through its region.
        foreach (var (region, name) in regions.Zip(Names.Reverse()))
        {
            var answer = await region.Ask<Mqi.QueueManagerApi.MqscCompleted>(new QueueManagerSharding.Envelope(name, new Mqi.QueueManagerApi.RunMqsc("DISPLAY QMGR(*) QMNAME")), TimeSpan.FromSeconds(20));
            Assert.Contains(answer.Lines, l => l.Contains($"QMNAME({name})", StringComparison.Ordinal));
        }

        Output!.WriteLine($"asked after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task QueueManagerSharding_must_re_home_a_queue_manager_with_its_persistent_messages_when_its_node_leaves()
    {
        var (settings, _) = Declare();
        using var cluster = await ClusterNodes.StartAsync(3);
        var started = Watch(cluster);
        foreach (var node in cluster.Nodes)
        {
            QueueManagerSharding.Start(node, settings);
        }

        await AwaitConditionAsync(() => Task.FromResult(started.Count >= Names.Length), TimeSpan.FromSeconds(40));
        var first = started.Single(s => s.QMgrName == "QMB");
        var home = cluster.Nodes.Single(n => Akka.Cluster.Cluster.Get(n).SelfAddress == first.Node);
        var connection = new QueueManagerConnection(first.QueueManager, "spec");
        await connection.RunMqscAsync("DEFINE QLOCAL(APP.Q)");
        for (var i = 0; i < 50; i++)
        {
            await connection.PutAsync("APP.Q", Text("m" + i, Persistence.Persistent));
        }

        await cluster.LeaveAsync(home);

        await AwaitConditionAsync(() => Task.FromResult(started.Count(s => s.QMgrName == "QMB") == 2), TimeSpan.FromSeconds(60));
        var second = started.Last(s => s.QMgrName == "QMB");
        Assert.NotEqual(first.Node, second.Node);
        var moved = new QueueManagerConnection(second.QueueManager, "spec");
        var got = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            got.Add(Text(await moved.GetAsync("APP.Q")));
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => "m" + i), got);
        await Assert.ThrowsAsync<MqException>(() => moved.GetAsync("APP.Q"));
    }

    /// <summary>
    /// The shard coordinator moves when the oldest node goes. The new one must know where every queue manager runs: one
    /// that started empty placed a queue manager a node asked for again elsewhere while it still ran where it was, and
    /// the second start could only fail on the journal lock (AMQ8146E) for as long as the first ran (docs/reliability.md,
    /// "Cluster chaos").
    /// </summary>
    [Fact]
    public async Task QueueManagerSharding_must_keep_every_placement_when_the_shard_coordinator_moves()
    {
        string[] names = ["QMA", "QMB", "QMC", "QMD", "QME", "QMF"];
        var (settings, _) = Declare(minNodes: 3, names: names);
        using var cluster = await ClusterNodes.StartAsync(3);
        var started = Watch(cluster);
        var failed = new ConcurrentQueue<QueueManagerSharding.QueueManagerStartFailed>();
        foreach (var node in cluster.Nodes)
        {
            Collect(node, failed);
            QueueManagerSharding.Start(node, settings);
        }

        await AwaitConditionAsync(() => Task.FromResult(started.Count >= names.Length), TimeSpan.FromSeconds(40));
        var oldest = cluster.Nodes[0];
        var moved = started.Count(s => s.Node == Akka.Cluster.Cluster.Get(oldest).SelfAddress);
        await cluster.LeaveAsync(oldest);
        await AwaitConditionAsync(() => Task.FromResult(started.Count >= names.Length + moved), TimeSpan.FromSeconds(40));

        // A new node asks the new coordinator for every queue manager (its keeper and the asks below).
        var newcomer = await cluster.AddAsync();
        Collect(newcomer, failed);
        Collect(newcomer, started);
        var region = QueueManagerSharding.Start(newcomer, settings);
        foreach (var name in names)
        {
            var answer = await region.Ask<Mqi.QueueManagerApi.MqscCompleted>(new QueueManagerSharding.Envelope(name, new Mqi.QueueManagerApi.RunMqsc("DISPLAY QMGR(*) QMNAME")), TimeSpan.FromSeconds(20));
            Assert.Contains(answer.Lines, l => l.Contains($"QMNAME({name})", StringComparison.Ordinal));
        }

        // A rebalance to the new node may move one more (a graceful hand-off, counted as a start); none is placed twice.
        Assert.Empty(failed);
    }

    [Fact]
    public async Task QueueManagerSharding_must_not_place_queue_managers_before_min_nodes_members_are_up()
    {
        var (settings, _) = Declare(minNodes: 2);
        using var cluster = await ClusterNodes.StartAsync(1);
        var started = Watch(cluster);

        QueueManagerSharding.Start(cluster.Nodes[0], settings);

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(started);
    }

    /// <summary>
    /// A node alone (a restarted first seed node that formed a cluster of its own, docs/reliability.md "Cluster chaos")
    /// must not start a queue manager for a connection routed to it either: it would take the journal of the cluster's.
    /// </summary>
    [Fact]
    public async Task QueueManagerSharding_must_not_start_a_queue_manager_asked_for_before_min_nodes_members_are_up()
    {
        var (settings, _) = Declare(minNodes: 2);
        using var cluster = await ClusterNodes.StartAsync(1);
        var started = Watch(cluster);
        var region = QueueManagerSharding.Start(cluster.Nodes[0], settings);

        for (var i = 0; i < 6; i++)
        {
            region.Tell(new QueueManagerSharding.Envelope("QMA", QueueManager.GetListeners.Instance));
            await Task.Delay(500);
        }

        Assert.Empty(started);
    }

    [Fact]
    public async Task QueueManagerSharding_must_report_a_queue_manager_that_cannot_start_and_try_it_again()
    {
        // Nothing listens on this port: the journal cannot be reached.
        var (settings, _) = Declare(connectionString: $"Host=127.0.0.1;Port={Loopback.FreePort()};Username=actorqm;Database=postgres;Timeout=2");
        using var cluster = await ClusterNodes.StartAsync(1);
        var node = cluster.Nodes[0];
        var failures = CreateTestProbe(node, "failures");
        node.EventStream.Subscribe(failures.Ref, typeof(QueueManagerSharding.QueueManagerStartFailed));

        QueueManagerSharding.Start(node, settings);

        var first = await failures.ExpectMsgAsync<QueueManagerSharding.QueueManagerStartFailed>(TimeSpan.FromSeconds(20));
        Assert.Contains("AMQ7080E", first.Reason, StringComparison.Ordinal);
        var again = await failures.FishForMessageAsync<QueueManagerSharding.QueueManagerStartFailed>(f => f.QMgrName == first.QMgrName, TimeSpan.FromSeconds(20));
        Assert.Equal(first.Node, again.Node);
    }

    [Fact]
    public async Task QueueManagerSharding_must_let_go_of_a_journal_it_was_still_taking_when_its_entity_stopped()
    {
        var (settings, connection) = Declare(lockWait: "30s");
        var store = settings.QueueManagers.Single(q => q.Name == "QMA").Store;
        var held = ActorQm.Store.MessageJournal.Open("QMA", store);
        using var cluster = await ClusterNodes.StartAsync(1);
        var node = cluster.Nodes[0];
        var region = QueueManagerSharding.Start(node, settings);
        await AwaitConditionAsync(() => Task.FromResult(WriterSessions(connection, "QMA") >= 2), TimeSpan.FromSeconds(20));

        // The entity stops (as in a shard hand-off) while it still waits for QMA's lock, and
        // nothing starts it again; then the lock comes free and its late start completes.
        var keeper = await node.ActorSelection("/user/actorqm-keeper").ResolveOne(TimeSpan.FromSeconds(5));
        await keeper.GracefulStop(TimeSpan.FromSeconds(5));
        region.Tell(new QueueManagerSharding.Envelope("QMA", PoisonPill.Instance));
        await Task.Delay(500);
        held.Dispose();

        // The late start takes the lock and must let it go at once: no session of QMA's may remain.
        await AwaitConditionAsync(() => Task.FromResult(WriterSessions(connection, "QMA") == 0), TimeSpan.FromSeconds(15));
        using var next = ActorQm.Store.MessageJournal.Open("QMA", store);
    }

    private static int WriterSessions(string connection, string qmgr)
    {
        using var admin = new Npgsql.NpgsqlConnection(connection + ";Pooling=false");
        admin.Open();
        using var cmd = admin.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = @name";
        cmd.Parameters.AddWithValue("name", "actorqm-" + qmgr);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void QueueManagerSharding_must_refuse_queue_managers_whose_journal_only_one_node_can_read()
    {
        var config = ConfigurationFactory.ParseString("actorqm.queue-managers { QM1 { } }");

        var e = Assert.Throws<ConfigurationException>(() => QueueManagerSharding.Settings.Create(ActorQmSettings.Create(config), config));

        Assert.Contains("store.engine = postgresql", e.Message, StringComparison.Ordinal);
    }

    private sealed class Collector<T> : ReceiveActor
    {
        public Collector(ConcurrentQueue<T> into) => Receive<T>(into.Enqueue);
    }
}
