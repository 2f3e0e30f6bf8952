using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Store;
using Akka.Actor;

namespace ActorQm.Queues;

/// <summary>What to get: wait, match, browse and syncpoint options (MQGMO/MQMO in one record).</summary>
public sealed record GetOptions
{
    public static readonly GetOptions NoWait = new();

    /// <summary>How long to wait for a message; zero: no wait; <see cref="Timeout.InfiniteTimeSpan"/>: forever.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.Zero;

    /// <summary>Match on MsgId when set.</summary>
    public MqId? MsgId { get; init; }

    /// <summary>Match on CorrelId when set.</summary>
    public MqId? CorrelId { get; init; }

    /// <summary>Browse (leave the message on the queue) from after this cursor; null: destructive get.</summary>
    public BrowseCursor? BrowseAfter { get; init; }

    /// <summary>Get under syncpoint: the message stays locked until <see cref="LocalQueue.CommitGet"/> or <see cref="LocalQueue.BackoutGet"/>.</summary>
    public bool Syncpoint { get; init; }

    internal bool Matches(MessageDescriptor d) =>
        (MsgId is not { } m || d.MsgId == m) && (CorrelId is not { } c || d.CorrelId == c);
}

/// <summary>Protocol and Props of <see cref="LocalQueueActor"/>: a local or transmission queue.</summary>
public static class LocalQueue
{
    internal static Props Props(string qmgrName, LocalQueueDefinition definition, QueueManagerSettings settings, MessageJournal? journal, IReadOnlyList<StoredMessage> recovered, QueueCounters counters) =>
        Akka.Actor.Props.Create(() => new LocalQueueActor(qmgrName, definition, settings, journal, recovered, counters));

    // Commands
    public sealed record Put(MqMessage Message, string PutApplName = "");

    public sealed record Get(GetOptions Options);

    public sealed record CommitGet(long Token);

    public sealed record BackoutGet(long Token);

    // Replies
    /// <summary>The put is done; for a persistent message, durable. Carries the descriptor as stored (MsgId, PutDateTime).</summary>
    public sealed record MessagePut(MessageDescriptor Descriptor);

    public sealed record PutRejected(MqReason Reason, string Detail);

    /// <summary>
    /// A message got (removed, or locked when under syncpoint, then <see cref="Token"/> names it)
    /// or browsed (<see cref="Cursor"/> is where the next browse continues).
    /// </summary>
    public sealed record MessageGot(MqMessage Message, long Token, BrowseCursor Cursor);

    public sealed record GetRejected(MqReason Reason, string Detail);

    public sealed record GetCommitted(long Token);

    public sealed record GetBackedOut(long Token, int BackoutCount);

    // Administration, from the queue manager
    internal sealed record UpdateDefinition(LocalQueueDefinition Definition);

    internal sealed record ClearQueue;

    internal sealed record Cleared(int Removed);

    /// <summary>Queue is going away (DELETE QLOCAL): waiters get MQRC_Q_DELETED, then the actor stops.</summary>
    internal sealed record DeleteQueue;
}

/// <summary>
/// Live figures a queue publishes for DISPLAY QSTATUS and DELETE checks. Written only by the
/// queue's own actor; read by its queue manager without a round trip.
/// </summary>
public sealed class QueueCounters
{
    private int _depth;
    private int _uncommitted;

    public int Depth => Volatile.Read(ref _depth);
    public int Uncommitted => Volatile.Read(ref _uncommitted);

    internal void Set(int depth, int uncommitted)
    {
        Volatile.Write(ref _depth, depth);
        Volatile.Write(ref _uncommitted, uncommitted);
    }
}
