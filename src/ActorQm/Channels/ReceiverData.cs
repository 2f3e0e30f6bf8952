using System.Collections.Immutable;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>What a receiving channel holds: its session, the batch being received and how far its commit has got.</summary>
internal sealed record ReceiverData(
    IActorRef Transport,
    Handshake.PeerSession? Session = null,
    ChannelDefinition? Definition = null,
    string DeadQ = "",
    long LastSeq = 0,
    int BatchSize = 50,
    int MaxMessageLength = 4_194_304,
    TimeSpan Heartbeat = default,
    List<MessageSegment>? Batch = null,
    ReceiverUnit? Unit = null,
    bool StopRequested = false,
    IActorRef? Client = null,
    Authority.Principal? Principal = null,
    bool Fast = false)
{
    /// <summary>
    /// Batches ended while <see cref="Unit"/> commits (a pipelining sender; docs/protocol.md, "Pipelining"), oldest first:
    /// each becomes the unit once the one before it is committed and confirmed, so batches commit in order.
    /// </summary>
    public ImmutableList<EndedBatch> Waiting { get; init; } = [];

    /// <summary>The number the next message must have: after the batch being received, the waiting ones, the unit, the last committed.</summary>
    public long ReceivedSeq => Batch is { Count: > 0 } batch ? batch[^1].Seq : !Waiting.IsEmpty ? Waiting[^1].End.LastSeq : Unit?.End.LastSeq ?? LastSeq;
}

/// <summary>A batch whose end arrived and that waits for the one before it to commit.</summary>
internal sealed record EndedBatch(BatchEnd End, List<MessageSegment> Messages);

/// <summary>
/// One batch on its way into the target queues as a single unit of work; or several consecutive ones that ended while the
/// previous unit was committing (a pipelining sender), committed together in one transaction and confirmed one by one.
/// </summary>
internal sealed class ReceiverUnit(long id, IReadOnlyList<BatchEnd> ends, List<MessageSegment> messages)
{
    public long Id { get; } = id;

    /// <summary>Its batches' ends, oldest first: each is confirmed, in order, once the unit is committed.</summary>
    public IReadOnlyList<BatchEnd> Ends { get; } = ends;

    /// <summary>The newest batch's end: its number is the one the unit commits.</summary>
    public BatchEnd End => Ends[^1];
    public List<MessageSegment> Messages { get; } = messages;
    public HashSet<IActorRef> Queues { get; } = [];
    public List<JournalOp> Inserts { get; } = [];
    public Dictionary<int, (MqReason Reason, string Detail)> Rejected { get; } = [];

    /// <summary>Its span, from the batch end to the commit that confirms it (null when nobody listens).</summary>
    public System.Diagnostics.Activity? Span { get; set; }

    /// <summary>The opens (or their refusals) of the batch's destinations and the dead-letter queue, fixed when it is staged.</summary>
    public Dictionary<ReceiverChannelActor.Target, object> Targets { get; set; } = [];
    public Dictionary<int, (string Destination, bool Resolved, MqReason Reason)> DeadLettered { get; } = [];
    public int Outstanding { get; set; }

    /// <summary>Its journal write is queued: the outcome must be awaited before the actor may stop.</summary>
    public bool Committing { get; set; }
    public int Retries { get; set; }
}
