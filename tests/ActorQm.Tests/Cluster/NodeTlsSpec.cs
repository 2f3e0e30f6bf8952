using ActorQm.Cluster;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Xunit.Abstractions;

namespace ActorQm.Tests.Cluster;

/// <summary>Akka.Remote between nodes over mutual TLS with key repository material: real sockets, real handshakes.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NodeTlsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<ActorSystem> _nodes = [];

    private ActorSystem Node(string name, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? filter = "CN=NODE.*,O=Example")
    {
        var folder = QueueManagerPair.KeyRepository(_dir, name + "key", "node", certificate);
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0, enable-ssl = true }
            """);
        var setup = BootstrapSetup.Create().WithConfig(config).And(NodeTls.Setup(KeyRepository.Open(folder), "node", filter));
        var node = ActorSystem.Create(name, setup);
        _nodes.Add(node);
        node.ActorOf(Props.Create(() => new Echo()), "echo");
        return node;
    }

    private static Address AddressOf(ActorSystem node) => ((ExtendedActorSystem)node).Provider.DefaultAddress;

    private static async Task<IActorRef?> Identify(ActorSystem from, ActorSystem to)
    {
        try
        {
            var identity = await from.ActorSelection(new RootActorPath(AddressOf(to)) / "user" / "echo").Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(5));
            return identity.Subject;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task<IActorRef?> IdentifyWithin(ActorSystem from, ActorSystem to, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        IActorRef? found;
        while ((found = await Identify(from, to)) is null && DateTime.UtcNow < deadline)
        {
        }

        return found;
    }

    [Fact]
    public async Task Nodes_with_certificates_from_the_key_repository_must_associate_over_mutual_tls()
    {
        var a = Node("a", TestPki.Leaf(TestPki.Shared.Ca, "CN=NODE.A,O=Example").WithKey());
        var b = Node("b", TestPki.Leaf(TestPki.Shared.Ca, "CN=NODE.B,O=Example").WithKey());

        // The first association (TLS both ways) can take longer than one ask on a loaded machine: ask again within a bound.
        Assert.NotNull(await IdentifyWithin(a, b, TimeSpan.FromSeconds(30)));
        Assert.NotNull(await IdentifyWithin(b, a, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_node_with_an_untrusted_or_filtered_certificate_must_be_refused_with_the_failing_check_logged()
    {
        var b = Node("b", TestPki.Leaf(TestPki.Shared.Ca, "CN=NODE.B,O=Example").WithKey());
        var warnings = CreateTestProbe();
        b.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.LogEvent));
        var otherRoot = TestPki.Root("Rogue Root");
        var rogue = Node("rogue", TestPki.Leaf(TestPki.Intermediate(otherRoot, "Rogue CA"), "CN=NODE.R,O=Example").WithKey(), filter: null);
        var outsider = Node("outsider", TestPki.Leaf(TestPki.Shared.Ca, "CN=OTHER,O=Example").WithKey(), filter: null);

        Assert.Null(await Identify(rogue, b));
        var untrusted = await warnings.FishForMessageAsync<Akka.Event.LogEvent>(w => w.Message.ToString()!.Contains("AMQ9633E", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("NODE.R", untrusted.Message.ToString(), StringComparison.Ordinal);

        Assert.Null(await Identify(outsider, b));
        await warnings.FishForMessageAsync<Akka.Event.LogEvent>(w => w.Message.ToString()!.Contains("AMQ9636E", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_node_whose_name_is_ambiguous_or_malformed_must_be_refused_by_the_node_filter()
    {
        var b = Node("b", TestPki.Leaf(TestPki.Shared.Ca, "CN=NODE.B,O=Example").WithKey());
        var warnings = CreateTestProbe();
        b.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.LogEvent));
        var mallory = Node("mallory", TestPki.Leaf(TestPki.Shared.Ca, "CN=MALLORY,CN=NODE.M,O=Example").WithKey(), filter: null);
        var malformed = Node("malformed", TestPki.Leaf(TestPki.Shared.Ca, rawSubject: TestPki.RawName(
            ("2.5.4.3", System.Formats.Asn1.UniversalTagNumber.PrintableString, "NODE.@"u8.ToArray()),
            ("2.5.4.10", System.Formats.Asn1.UniversalTagNumber.UTF8String, "Example"u8.ToArray()))).WithKey(), filter: null);

        Assert.Null(await Identify(mallory, b));
        var ambiguous = await warnings.FishForMessageAsync<Akka.Event.LogEvent>(w => w.Message.ToString()!.Contains("AMQ9636E", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("CN occurs 2 times", ambiguous.Message.ToString(), StringComparison.Ordinal);

        Assert.Null(await Identify(malformed, b));
        var bad = await warnings.FishForMessageAsync<Akka.Event.LogEvent>(w => w.Message.ToString()!.Contains("AMQ9633E", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("PrintableString", bad.Message.ToString(), StringComparison.Ordinal);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    public new void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Terminate().Wait(TimeSpan.FromSeconds(10));
        }

        base.Dispose();
        _dir.Dispose();
    }
}
