using ActorQm.Mqsc;
using ActorQm.Objects;

namespace ActorQm.Tests.Support;

/// <summary>A queue manager's object catalog driven by MQSC, as the queue manager actor drives it, without the actor.</summary>
internal sealed class TestCatalog
{
    private readonly MqscExecutor _executor;

    public TestCatalog(string qmgrName = "QM1")
    {
        Catalog = new ObjectCatalog(qmgrName);
        _executor = new MqscExecutor(Catalog, new Dictionary<string, object>(), MqscRuntime.Stopped);
    }

    public ObjectCatalog Catalog { get; }

    /// <summary>Runs every command, applying those that succeed; returns the outcome of the last one.</summary>
    public MqscOutcome Run(string script)
    {
        MqscOutcome last = null!;
        foreach (var cmd in MqscParser.ParseScript(script))
        {
            last = _executor.Execute(cmd);
            foreach (var change in last.Changes)
            {
                Catalog.Apply(change);
            }
        }

        return last;
    }

    /// <summary>Like <see cref="Run"/>, but every command must succeed.</summary>
    public MqscOutcome Define(string script)
    {
        MqscOutcome last = null!;
        foreach (var cmd in MqscParser.ParseScript(script))
        {
            last = _executor.Execute(cmd);
            Assert.True(last.Succeeded, string.Join('\n', last.Lines));
            foreach (var change in last.Changes)
            {
                Catalog.Apply(change);
            }
        }

        return last;
    }
}
