namespace ActorQm.Tests.Architecture;

/// <summary>
/// The layers of the runtime (docs/architecture.md) have one direction: a namespace may use only
/// the namespaces below it. Read from the compiled IL, so a fully qualified name counts as much as
/// a using line.
/// </summary>
public sealed class ArchitectureSpec
{
    /// <summary>Bottom first: each may use those before it, never those after it.</summary>
    public static readonly string[] Layers =
    [
        "ActorQm.Messages",
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

    private static NamespaceGraph Runtime() => NamespaceGraph.Read(typeof(ActorQm.Messages.MqReason).Assembly.Location, "ActorQm");

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
