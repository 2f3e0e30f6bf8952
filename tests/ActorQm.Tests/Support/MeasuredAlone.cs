namespace ActorQm.Tests.Support;

/// <summary>
/// Specs that measure the process (allocated bytes, heap, elapsed time) run in this collection, which xunit runs
/// on its own after the parallel ones, so other test classes cannot inflate what they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}
