using System.Collections.Immutable;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>What a sending channel holds between states.</summary>
/// <param name="Batch">The batch being collected, or written and waiting for its in-doubt record: at most one.</param>
/// <param name="Asking">A get between batches is outstanding on the transmission queue: no second one is asked.</param>
internal sealed record SenderData(
    IActorRef? Transport = null,
    int Attempts = 0,
    string? LastError = null,
    SenderBatch? Batch = null,
    long BytesSinceKeyReset = 0,
    bool Rebind = false,
    bool StopRequested = false,
    TimeSpan Idle = default,
    bool Inactive = false,
    bool Asking = false)
{
    /// <summary>Batches whose end is sent and whose confirm has not come, oldest first: at most the pipeline length (docs/protocol.md, "Pipelining").</summary>
    public ImmutableList<SenderBatch> InFlight { get; init; } = [];

    /// <summary>Nothing open and nothing unconfirmed: between batches, where a stop, rebind or key reset happens.</summary>
    public bool Quiet => Batch is null && InFlight.IsEmpty;
}

/// <summary>A batch taken from the transmission queue: its gets (tokens), journal keys and sequence numbers.</summary>
internal sealed record SenderBatch(List<LocalQueue.MessageGot> Messages, long LastSeq)
{
    /// <summary>When the first message was taken: BATCHINT counts from here.</summary>
    public DateTime Opened { get; init; } = DateTime.UtcNow;

    /// <summary>When its messages were handed to the transport (a <see cref="System.Diagnostics.Stopwatch"/> timestamp): batch latency counts from here.</summary>
    public long SentAt { get; init; }

    /// <summary>Its messages are on the wire with their sequence numbers (the batch end follows once it is recorded in doubt): nothing more joins it.</summary>
    public bool Written { get; init; }

    /// <summary>Its span, from written to confirmed (null when nobody listens).</summary>
    public System.Diagnostics.Activity? Span { get; init; }

    public IReadOnlyList<long> Tokens => Messages.Select(m => m.Token).ToList();
}
