namespace ActorQm.Tests.Architecture;

/// <summary>
/// The layers (docs/architecture.md) have one direction: a namespace may use only the namespaces
/// below it, and each assembly references only the assemblies of the layers below it (the client
/// none of the runtime's). Read from the compiled IL, so a fully qualified name counts as much as a
/// using line.
/// </summary>
public sealed class ArchitectureSpec
{
    /// <summary>Bottom first: each may use those before it, never those after it.</summary>
    public static readonly string[] Layers =
    [
        "ActorQm.Messages",
        "ActorQm.Protocol",
        "ActorQm.Diagnostics",
        "ActorQm.Authority",
        "ActorQm.Tls",
        "ActorQm.Configuration",
        "ActorQm.Objects",
        "ActorQm.Store",
        "ActorQm.Queues",
        "ActorQm.QueueClusters",
        "ActorQm.Mqi",
        "ActorQm.Channels",
        "ActorQm.Mqsc",
        "ActorQm.Routing",
        "ActorQm.QueueManagers",
    ];

    private static readonly string ProtocolAssembly = typeof(ActorQm.Messages.MqReason).Assembly.Location;
    private static readonly string SecurityAssembly = typeof(ActorQm.Tls.HandshakeVerifier).Assembly.Location;
    private static readonly string RuntimeAssembly = typeof(ActorQm.QueueManagers.QueueManager).Assembly.Location;
    private static readonly string ClientAssembly = typeof(ActorQm.Client.MqClient).Assembly.Location;
    private static readonly string RestAssembly = typeof(ActorQm.Rest.RestServer).Assembly.Location;

    private static NamespaceGraph Runtime() => NamespaceGraph.Read([ProtocolAssembly, SecurityAssembly, RuntimeAssembly], "ActorQm");

    public static TheoryData<string, string[]> AssemblyRules => new()
    {
        // Assembly, then what it may reference beyond the framework (System.*, Microsoft.*, netstandard).
        { "ActorQm.Protocol", [] },
        { "ActorQm.Security", ["ActorQm.Protocol", "BouncyCastle.Cryptography"] },
        { "ActorQm.Client", ["ActorQm.Protocol", "ActorQm.Security"] },
        { "ActorQm", ["ActorQm.Protocol", "ActorQm.Security", "BouncyCastle.Cryptography", "Akka", "Microsoft.Data.Sqlite", "Npgsql"] },
        // At the admin edge, beside the CLI: the runtime below it, ASP.NET Core from the framework.
        { "ActorQm.Rest", ["ActorQm.Protocol", "ActorQm.Security", "ActorQm", "ActorQm.Hosting", "Akka"] },
    };

    [Theory]
    [MemberData(nameof(AssemblyRules))]
    public void Assembly_must_reference_only_the_layers_below_it(string assembly, string[] allowed)
    {
        var path = assembly switch
        {
            "ActorQm.Protocol" => ProtocolAssembly,
            "ActorQm.Security" => SecurityAssembly,
            "ActorQm.Client" => ClientAssembly,
            "ActorQm.Rest" => RestAssembly,
            _ => RuntimeAssembly,
        };

        var beyond = NamespaceGraph.ReferencesOf(path)
            .Where(r => r is not ("netstandard" or "mscorlib") && !r.StartsWith("System", StringComparison.Ordinal) && !r.StartsWith("Microsoft.", StringComparison.Ordinal) || r == "Microsoft.Data.Sqlite")
            .Where(r => !allowed.Contains(r))
            .ToList();

        Assert.True(beyond.Count == 0, $"{assembly} references {string.Join(", ", beyond)}");
    }

    [Theory]
    [InlineData("ActorQm.Store")]
    [InlineData("ActorQm.Authority")]
    [InlineData("ActorQm.Objects")]
    public void Layer_must_know_no_actor(string layer)
    {
        // The journal answers through a callback, the authority model and the catalog are plain data: none needs Akka.
        var uses = NamespaceGraph.UsesOf(RuntimeAssembly, layer, "Akka");

        Assert.True(uses.Count == 0, $"{layer} uses Akka: {string.Join("; ", uses)}");
    }

    [Fact]
    public void Architecture_must_keep_actors_out_of_the_protocol_and_security_assemblies()
    {
        // The namespaces of the lower assemblies: the wire and MQ's structures; the TLS checks. No actor can hide there, as neither references Akka.
        Assert.Equal(["ActorQm.Messages", "ActorQm.Protocol"], NamespaceGraph.NamespacesOf(ProtocolAssembly).Order());
        Assert.Equal(["ActorQm.Tls"], NamespaceGraph.NamespacesOf(SecurityAssembly).Order());
    }

    [Fact]
    public void Architecture_must_name_every_namespace_of_the_runtime_in_a_layer()
    {
        var unplaced = Runtime().Namespaces.Where(n => !Layers.Contains(n)).ToList();

        Assert.True(unplaced.Count == 0, $"namespaces in no layer (add them to {nameof(Layers)} and docs/architecture.md): {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void Architecture_must_keep_every_dependency_pointing_down()
    {
        var graph = Runtime();
        var upward = new List<string>();
        foreach (var from in graph.Namespaces.Where(Layers.Contains))
        {
            foreach (var (to, examples) in graph.UsesOf(from))
            {
                if (Array.IndexOf(Layers, to) > Array.IndexOf(Layers, from))
                {
                    upward.Add($"{from} uses {to} (e.g. {examples.First()})");
                }
            }
        }

        Assert.True(upward.Count == 0, "dependencies pointing up:\n" + string.Join("\n", upward.Order()));
    }

    [Fact]
    public void Architecture_must_see_a_dependency_written_as_a_qualified_name()
    {
        // The reader itself: Configuration names Tls types only by qualified names (no using line).
        var graph = Runtime();

        Assert.Contains("ActorQm.Tls", graph.UsesOf("ActorQm.Configuration").Keys);
    }
}
