namespace ActorQm.Tests.Support;

/// <summary>
/// Specs that measure the process (allocated bytes, heap, elapsed time) or listen to a process-wide source run in
/// this collection, which xunit runs on its own after the parallel ones, so other test classes cannot inflate what
/// they measure or add to what they hear.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}
