using System.Collections.Concurrent;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Cluster;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Routing;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Cluster;

/// <summary>
/// Routed listeners on two in-process nodes for one sharded queue manager on PostgreSQL: a client and
/// a sender channel that connect to the node where the queue manager does not run are served by it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QueueManagerRoutingSpec(PostgresServer postgres, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Quiet, output), IClassFixture<PostgresServer>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private sealed record Deployment(ClusterNodes Cluster, QueueManagerSharding.QueueManagerStarted Home, int RoutedPortElsewhere) : IDisposable
    {
        public void Dispose() => Cluster.Dispose();
    }

    private async Task<Deployment> Deploy()
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qmrkey", "ibmwebspheremqqmr", TestPki.Leaf(TestPki.Shared.Ca, "CN=QMR,OU=MQ,O=Example").WithKey());
        File.WriteAllText(_dir.File("qmr.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,O=Example') MCAUSER('app')
            {TestGrants.App()}
            DEFINE CHANNEL('QM1.TO.QMR') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=QM1,O=Example')
            DEFINE QLOCAL('QM1') USAGE(XMITQ)
            DEFINE QREMOTE('TO.QM1') RNAME('APP.BACK') RQMNAME('QM1') XMITQ('QM1')
            DEFINE CHANNEL('QMR.TO.QM1') CHLTYPE(SVR) XMITQ('QM1') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=QM1,O=Example')
            """);
        var config = ConfigurationFactory.ParseString($$"""
            actorqm.queue-manager-defaults.store { engine = postgresql, connection-string = "{{postgres.CreateDatabase()}}", lock-wait = 20s }
            actorqm.queue-managers { QMR { mqsc-file = "{{_dir.File("qmr.mqsc")}}" } }
            actorqm.cluster.sharding { keep-alive-interval = 300ms, min-nodes = 2 }
            actorqm.cluster.routing.listeners { ANY { queue-manager = QMR, address = "127.0.0.1", port = 0 } }
            """).WithFallback(ActorQmSettings.Reference);
        var settings = ActorQmSettings.Create(config);
        var cluster = await ClusterNodes.StartAsync(2);
        var started = new ConcurrentQueue<QueueManagerSharding.QueueManagerStarted>();
        var listeners = new ConcurrentDictionary<Address, RoutedConnection.ListenerStarted>();
        foreach (var node in cluster.Nodes)
        {
            var self = Akka.Cluster.Cluster.Get(node).SelfAddress;
            Action<RoutedConnection.ListenerStarted> bound = l => listeners[self] = l;
            var collector = node.ActorOf(Props.Create(() => new Collector(started, bound)));
            node.EventStream.Subscribe(collector, typeof(QueueManagerSharding.QueueManagerStarted));
            node.EventStream.Subscribe(collector, typeof(RoutedConnection.ListenerStarted));
            var region = QueueManagerSharding.Start(node, QueueManagerSharding.Settings.Create(settings, config));
            QueueManagerRouting.Start(node, region, QueueManagerRouting.Settings.Create(settings, config));
        }

        await AwaitConditionAsync(() => Task.FromResult(!started.IsEmpty && listeners.Count == 2), TimeSpan.FromSeconds(40));
        var home = started.Single();
        var elsewhere = listeners.Single(l => l.Key != home.Node).Value.Bound.Port;
        return new Deployment(cluster, home, elsewhere);
    }

    private MqClientOptions Client(int port, string subject)
    {
        var path = QueueManagerPair.KeyRepository(_dir, "client-" + Guid.NewGuid().ToString("N"), "app", TestPki.Leaf(TestPki.Shared.Ca, subject).WithKey());
        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = "APP.SVRCONN", QueueManager = "QMR", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QMR,OU=MQ,O=Example", ApplicationName = "routing-spec",
        };
    }

    [Fact]
    public async Task QueueManagerRouting_must_serve_a_client_that_connects_to_a_node_where_the_queue_manager_does_not_run()
    {
        using var deployment = await Deploy();

        await using (var client = await MqClient.ConnectAsync(Client(deployment.RoutedPortElsewhere, "CN=APP1,O=Example")))
        {
            Assert.Equal("QMR", client.QueueManagerName);
            Assert.Contains("CN=QMR", client.Peer.Subject.ToString(), StringComparison.Ordinal);
            var queue = await client.OpenAsync("APP.IN", ClientOpenPurpose.Output);
            for (var i = 0; i < 20; i++)
            {
                await queue.PutAsync(Text("routed-" + i, Persistence.Persistent));
            }
        }

        var local = new QueueManagerConnection(deployment.Home.QueueManager, "spec");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("routed-" + i, Text(await local.GetAsync("APP.IN")));
        }
    }

    [Fact]
    public async Task QueueManagerRouting_must_apply_the_channels_sslpeer_on_the_queue_manager_to_a_routed_client()
    {
        using var deployment = await Deploy();

        var refused = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Client(deployment.RoutedPortElsewhere, "CN=INTRUDER,O=Example")));

        Assert.Contains("AMQ9636E", refused.Message, StringComparison.Ordinal);
        Assert.Equal(MqReason.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task QueueManagerRouting_must_route_a_sender_channel_to_the_queue_manager_on_another_node()
    {
        using var deployment = await Deploy();
        var key = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var qm1 = await QueueManagerPair.Start(Sys, _dir, "QM1", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('QMR') USAGE(XMITQ)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QMR') XMITQ('QMR')
            DEFINE CHANNEL('QM1.TO.QMR') CHLTYPE(SDR) CONNAME('127.0.0.1({deployment.RoutedPortElsewhere})') XMITQ('QMR') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QMR,O=Example') SHORTRTY(100) SHORTTMR(1)
            START CHANNEL('QM1.TO.QMR')
            """);
        var sender = new QueueManagerConnection(qm1.Actor, "spec");
        for (var i = 0; i < 200; i++)
        {
            await sender.PutAsync("APP.REMOTE", Text("m" + i, Persistence.Persistent));
        }

        var got = await TestMessages.ReceiveAsync(deployment.Home.QueueManager, "APP.IN", 200, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "m" + i), got);
    }

    /// <summary>
    /// A requester calling a routed listener is served by a server channel on the queue manager's node: its batches cross to
    /// the node holding the socket (docs/protocol.md, routed connections), persistent and FAST alike. The 4 KiB messages make a
    /// batch larger than Akka.Remote carries in one message (maximum-frame-size, 128,000 bytes by default), which it drops.
    /// </summary>
    [Fact]
    public async Task QueueManagerRouting_must_carry_a_server_channels_batches_to_a_requester_on_another_node()
    {
        using var deployment = await Deploy();
        var home = new QueueManagerConnection(deployment.Home.QueueManager, "spec");
        for (var i = 0; i < 200; i++)
        {
            await home.PutAsync("TO.QM1", Text($"b{i}:{new string('x', 4096)}", i % 2 == 0 ? Persistence.Persistent : Persistence.NotPersistent));
        }

        var key = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var qm1 = await QueueManagerPair.Start(Sys, _dir, "QM1", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.BACK')
            DEFINE CHANNEL('QMR.TO.QM1') CHLTYPE(RQSTR) CONNAME('127.0.0.1({deployment.RoutedPortElsewhere})') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QMR,O=Example')
            START CHANNEL('QMR.TO.QM1')
            """);

        var got = (await TestMessages.ReceiveAsync(qm1.Actor, "APP.BACK", 200, TimeSpan.FromSeconds(30))).Select(m => m.Split(':')[0]).ToList();
        // FAST messages travel outside the batches and may overtake persistent ones: each kind keeps its own order.
        foreach (var kind in new[] { 0, 1 })
        {
            Assert.Equal(Enumerable.Range(0, 100).Select(i => "b" + (2 * i + kind)), got.Where(m => int.Parse(m[1..], System.Globalization.CultureInfo.InvariantCulture) % 2 == kind));
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<QueueManagerSharding.QueueManagerStarted> started, Action<RoutedConnection.ListenerStarted> listener)
        {
            Receive<QueueManagerSharding.QueueManagerStarted>(started.Enqueue);
            Receive<RoutedConnection.ListenerStarted>(listener);
        }
    }
}
