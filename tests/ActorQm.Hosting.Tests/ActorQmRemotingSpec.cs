using ActorQm.Cli.Dev;
using ActorQm.Cluster;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting;

namespace ActorQm.Hosting.Tests;

/// <summary>A hosted node's remoting over mutual TLS with key repository material, reached by another node.</summary>
public sealed class ActorQmRemotingSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(nameof(ActorQmRemotingSpec), output)
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorqm-remoting-").FullName;
    private static readonly DevPki Pki = DevPki.Create();

    private string Repository(string name)
    {
        var path = Path.Combine(_dir, name, "key");
        if (!Directory.Exists(path))
        {
            Pki.WriteKeyRepository(path, "node", Pki.Issue($"CN={name},{DevPki.Organisation}"));
        }

        return path;
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        builder.WithActorQmRemoting("127.0.0.1", 0, Repository("NODE.HOSTED"), "node", "CN=NODE.*")
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new Echo()), "echo"));
    }

    [Fact]
    public async Task Hosted_node_must_accept_a_node_of_the_same_pki_over_mutual_tls()
    {
        var cancel = TestContext.Current.CancellationToken;
        Assert.True(Sys.Settings.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0, enable-ssl = true }
            """);
        var other = ActorSystem.Create("other", BootstrapSetup.Create().WithConfig(config).And(NodeTls.Setup(KeyRepository.Open(Repository("NODE.OTHER")), "node", "CN=NODE.*")));
        try
        {
            var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
            var identity = await other.ActorSelection(new RootActorPath(address) / "user" / "echo").Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(10), cancel);
            Assert.NotNull(identity.Subject);
        }
        finally
        {
            await other.Terminate();
        }
    }

    protected override async Task AfterAllAsync()
    {
        await base.AfterAllAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }
}
