using ActorQm.Cluster;
using ActorQm.Configuration;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm start</c> with <c>actorqm.cluster.enabled = on</c>: this process is one Akka.Cluster
/// node; the declared queue managers run as sharded entities on whichever node their shard is
/// allocated to, and move when that node goes. Node links use TLS with the key repository's
/// certificate when <c>actorqm.cluster.node-tls</c> names one.
/// </summary>
internal static class ClusterNode
{
    public static bool Enabled(Config config) => config.WithFallback(ActorQmSettings.Reference).GetBoolean("actorqm.cluster.enabled");

    public static async Task<int> RunAsync(Config config, ActorQmSettings settings, string? baseDirectory, Task stop)
    {
        var full = config.WithFallback(ActorQmSettings.Reference);
        var sharding = QueueManagerSharding.Settings.Create(settings, full);
        var routing = QueueManagerRouting.Settings.Create(settings, full);
        var system = ActorSystem.Create("actorqm", Setup(full, baseDirectory));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var printer = system.ActorOf(Props.Create(() => new Printer(cluster.SelfAddress)), "actorqm-console");
            system.EventStream.Subscribe(printer, typeof(QueueManagerSharding.QueueManagerStarted));
            system.EventStream.Subscribe(printer, typeof(QueueManagerSharding.QueueManagerStartFailed));
            // Each member this node sees up, so that an operator (or the chaos runs) can tell when every node agrees on the membership.
            cluster.Subscribe(printer, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(Akka.Cluster.ClusterEvent.MemberUp));
            cluster.RegisterOnMemberUp(() => Console.WriteLine($"ActorQm node {cluster.SelfAddress} is up in the cluster."));
            system.EventStream.Subscribe(printer, typeof(Routing.RoutedConnection.ListenerStarted));
            // Revocations, channel status and MQ cluster membership are shared with every node.
            system.ActorOf(RevocationGossip.Props(), "actorqm-revocation-gossip");
            system.ActorOf(ClusterStatus.Props(), "actorqm-cluster-status");
            system.ActorOf(ClusterQueueDirectory.Props(), "actorqm-cluster-queues");
            var region = QueueManagerSharding.Start(system, sharding);
            QueueManagerRouting.Start(system, region, routing);
            if (await Task.WhenAny(stop, system.WhenTerminated) != stop)
            {
                // The cluster downed this node (or Akka.NET shut it down): its queue managers run elsewhere, and this
                // actor system cannot join again. Ending lets a supervisor start a new member (docs/reliability.md, "Cluster chaos").
                Console.Error.WriteLine($"AMQ8110E: ActorQm node {cluster.SelfAddress} left the cluster ({CoordinatedShutdown.Get(system).ShutdownReason?.ToString() ?? "actor system ended"}); ending so that it can be started again as a new member.");
                return 1;
            }

            // Leaving hands this node's queue managers to the other nodes before the process ends.
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            return 0;
        }
        finally
        {
            await system.Terminate();
        }
    }

    // Defaults the configuration file may override. A rebalance under way when the node giving the shard up dies holds that
    // shard (no re-home) until the hand-off times out: Akka's 60 s doubled some re-homes in the chaos runs; a queue manager
    // stops in well under a second (docs/reliability.md, "Cluster chaos").
    private static readonly Config ShardingDefaults = ConfigurationFactory.ParseString("akka.cluster.sharding.handoff-timeout = 10s");

    private static ActorSystemSetup Setup(Config full, string? baseDirectory)
    {
        var tls = full.GetConfig("actorqm.cluster.node-tls");
        var repository = tls?.GetString("key-repository", string.Empty) ?? string.Empty;
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.stdout-loglevel = INFO
            akka.actor.provider = cluster
            """).WithFallback(full).WithFallback(ShardingDefaults).WithFallback(ClusterMessageSerializer.Configuration);
        if (repository.Length == 0)
        {
            return ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        }

        var path = Path.IsPathRooted(repository) || baseDirectory is null ? repository : Path.GetFullPath(Path.Combine(baseDirectory, repository));
        var label = tls!.GetString("label", string.Empty);
        var filter = tls.GetString("peer-filter", string.Empty);
        return BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true").WithFallback(config))
            .And(NodeTls.Setup(KeyRepository.Open(path), label, filter));
    }

    private sealed class Printer : ReceiveActor
    {
        public Printer(Address self)
        {
            Receive<Akka.Cluster.ClusterEvent.MemberUp>(up => Console.WriteLine($"ActorQm node {self} sees member {up.Member.Address} up."));
            Receive<QueueManagerSharding.QueueManagerStarted>(started =>
            {
                foreach (var line in started.StartupOutput)
                {
                    Console.WriteLine(line);
                }

                Console.WriteLine($"AMQ8003I: ActorQm queue manager {started.QMgrName} started on node {started.Node} ({started.Recovery.TotalMilliseconds:0} ms to take its journal and recover).");
            });
            Receive<Routing.RoutedConnection.ListenerStarted>(started =>
                Console.WriteLine($"AMQ5026I: listener for queue manager {started.QMgrName} started on {started.Bound} (served wherever {started.QMgrName} runs)."));
            Receive<QueueManagerSharding.QueueManagerStartFailed>(failed =>
                Console.WriteLine($"AMQ8101E: queue manager {failed.QMgrName} did not start on node {failed.Node}: {failed.Reason} (tried again shortly)."));
        }
    }
}
