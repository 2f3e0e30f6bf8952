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

    /// <param name="Owner">Under syncpoint: the actor whose end backs the get out (a connection or a channel); null: the caller commits or backs out itself.</param>
    public sealed record Get(GetOptions Options, IActorRef? Owner = null)
    {
        /// <summary>Echoed on the answer, so a caller that tells rather than asks knows which get it answers.</summary>
        public long Call { get; init; }
    }

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
    public sealed record MessageGot(MqMessage Message, long Token, BrowseCursor Cursor)
    {
        /// <summary>The <see cref="Get.Call"/> this answers; 0 for anything else.</summary>
        public long Call { get; init; }
    }

    public sealed record GetRejected(MqReason Reason, string Detail)
    {
        /// <summary>The <see cref="Get.Call"/> this answers; 0 for anything else (a commit or backout of an unknown get).</summary>
        public long Call { get; init; }
    }

    public sealed record GetCommitted(long Token);

    /// <remarks>Not logged as a dead letter: a client that disconnects has its gets backed out after its agent has stopped.</remarks>
    public sealed record GetBackedOut(long Token, int BackoutCount) : Akka.Event.IDeadLetterSuppression;

    // Used by message channels
    /// <summary>Checks a put as MQPUT would and holds the message invisible until its unit commits.</summary>
    internal sealed record StagePut(MqMessage Message, string PutApplName, long UnitId, int Index, IActorRef? Owner = null);

    /// <summary>Staged and counted against MAXDEPTH; <see cref="Insert"/> is the journal write for a persistent message, to commit with the unit.</summary>
    internal sealed record PutStaged(long UnitId, int Index, JournalOp? Insert, MessageDescriptor? Descriptor = null);

    internal sealed record StagedPutRejected(long UnitId, int Index, MqReason Reason, string Detail);

    /// <summary>A batch's messages for one queue in one message, staged in order; answered by one <see cref="PutsStaged"/>.</summary>
    internal sealed record StagePuts(IReadOnlyList<StagePut> Puts);

    /// <summary>One <see cref="PutStaged"/> or <see cref="StagedPutRejected"/> per put, in order.</summary>
    internal sealed record PutsStaged(IReadOnlyList<object> Answers);

    /// <summary>The unit's journal writes are durable: its staged messages become visible, in put order.</summary>
    internal sealed record CommitStaged(long UnitId);

    internal sealed record BackoutStaged(long UnitId);

    /// <summary>Takes up to <see cref="Max"/> available messages under syncpoint at once, without waiting.</summary>
    internal sealed record GetBatch(int Max, long MaxBytes, IActorRef? Owner = null);

    /// <summary>
    /// Non-persistent puts taken in order as one message (a FAST channel's messages, docs/protocol.md "NPMSPEED"): each is
    /// checked as <see cref="Put"/> is; answered once with <see cref="PutsDone"/>. A persistent one is refused (MQRC 2195):
    /// its durability needs <see cref="Put"/>'s answer.
    /// </summary>
    internal sealed record PutMany(IReadOnlyList<Put> Puts);

    /// <summary>What <see cref="PutMany"/> did: how many it was given and those refused, by their index.</summary>
    internal sealed record PutsDone(int Count, IReadOnlyList<(int Index, PutRejected Rejected)> Rejected);

    /// <summary>Each entry's <see cref="MessageGot.Cursor"/> holds the message's journal key.</summary>
    internal sealed record BatchGot(IReadOnlyList<MessageGot> Messages);

    /// <summary>
    /// Removes gets taken under syncpoint in one journal transaction; with <see cref="Journaled"/>
    /// the deletes were already committed by the caller's unit of work (<see cref="PrepareGetDeletes"/>).
    /// </summary>
    internal sealed record CommitGets(IReadOnlyList<long> Tokens, bool Journaled = false);

    /// <summary>The journal deletes that committing these gets needs, for a unit of work that also holds puts; nothing changes yet.</summary>
    internal sealed record PrepareGetDeletes(IReadOnlyList<long> Tokens);

    internal sealed record GetDeletesPrepared(IReadOnlyList<JournalOp> Deletes);

    internal sealed record GetsCommitted(int Count) : Akka.Event.IDeadLetterSuppression;

    /// <summary>Puts gets back unchanged (no backout count): a channel batch that was not delivered.</summary>
    internal sealed record ReleaseGets(IReadOnlyList<long> Tokens);

    internal sealed record GetsReleased(int Count);

    /// <summary>Removes messages by journal key: an in-doubt batch the partner had already committed.</summary>
    internal sealed record Discard(IReadOnlyList<long> Seqs);

    internal sealed record Discarded(int Count);

    /// <summary>Told to the queue manager when a triggered queue gets its first message (TRIGTYPE FIRST).</summary>
    internal sealed record TriggerFired(string QueueName, string TriggerData);

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
    private int _waiting;
    private long _put;
    private long _got;
    private long _expired;

    public int Depth => Volatile.Read(ref _depth);
    public int Uncommitted => Volatile.Read(ref _uncommitted);

    /// <summary>Gets waiting for a message (MQGMO_WAIT) at this moment.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Messages put since the queue started (committed puts: a unit of work backed out adds nothing).</summary>
    public long Put => Volatile.Read(ref _put);

    /// <summary>Messages removed by committed gets since the queue started.</summary>
    public long Got => Volatile.Read(ref _got);

    /// <summary>Messages removed because their expiry passed.</summary>
    public long Expired => Volatile.Read(ref _expired);

    // One writer (the queue's actor): plain adds, published for readers on other threads.
    internal void Added(int count) => Volatile.Write(ref _put, _put + count);

    internal void Removed(int count) => Volatile.Write(ref _got, _got + count);

    internal void ExpiredOne() => Volatile.Write(ref _expired, _expired + 1);

    internal void Set(int depth, int uncommitted, int waiting)
    {
        Volatile.Write(ref _depth, depth);
        Volatile.Write(ref _uncommitted, uncommitted);
        Volatile.Write(ref _waiting, waiting);
    }
}
