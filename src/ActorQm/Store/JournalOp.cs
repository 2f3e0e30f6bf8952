using Akka.Actor;

namespace ActorQm.Store;

internal enum JournalOpKind
{
    InsertMessage,
    DeleteMessage,
    UpdateBackout,
    PurgeQueue,
    SaveObject,
    DeleteObject,
    SaveChannelSync,
    Unit,
    SaveRevoked,
}

/// <summary>
/// One write for the journal's group commit. <see cref="Ack"/> is told to <see cref="Notify"/>
/// once the transaction holding the write is synced; on failure it is wrapped in
/// <see cref="JournalWriteFailed"/>.
/// </summary>
internal sealed class JournalOp
{
    public JournalOpKind Kind { get; private init; }
    public string Key1 { get; private init; } = string.Empty;
    public string Key2 { get; private init; } = string.Empty;
    public StoredMessage? Message { get; private init; }
    public long Seq { get; private init; }
    public int Count { get; private init; }
    public IActorRef Notify { get; private set; } = ActorRefs.Nobody;
    public object? Ack { get; private set; }

    public static JournalOp Insert(string queue, StoredMessage message, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.InsertMessage, Key1 = queue, Message = message, Seq = message.Seq, Notify = notify, Ack = ack };

    public static JournalOp Delete(long seq, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.DeleteMessage, Seq = seq, Notify = notify, Ack = ack };

    public static JournalOp Backout(long seq, int backoutCount, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.UpdateBackout, Seq = seq, Count = backoutCount, Notify = notify, Ack = ack };

    public static JournalOp Purge(string queue, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.PurgeQueue, Key1 = queue, Notify = notify, Ack = ack };

    public static JournalOp SaveObject(string type, string name, string definition, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.SaveObject, Key1 = type, Key2 = name, Notify = notify, Ack = ack, Definition = definition };

    public static JournalOp DeleteObject(string type, string name, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.DeleteObject, Key1 = type, Key2 = name, Notify = notify, Ack = ack };

    public string Definition { get; private init; } = string.Empty;

    public ChannelSyncRecord? Sync { get; private init; }

    public IReadOnlyList<JournalOp> Parts { get; private init; } = [];

    public StoredRevocation? Revoked { get; private init; }

    /// <summary>A certificate an administrator revoked (REVOKE CERT): the system's list is filled from these at start.</summary>
    public static JournalOp SaveRevoked(StoredRevocation revoked, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.SaveRevoked, Revoked = revoked, Notify = notify, Ack = ack };

    /// <summary>A channel's synchronisation record (sequence number, in-doubt batch), replacing the previous one.</summary>
    public static JournalOp SaveChannelSync(ChannelSyncRecord sync, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.SaveChannelSync, Sync = sync, Notify = notify, Ack = ack };

    /// <summary>
    /// Writes that commit together or not at all (a channel batch: its messages and the channel's
    /// new sequence number): never split across transactions, never retried one by one.
    /// </summary>
    public static JournalOp Unit(IReadOnlyList<JournalOp> parts, IActorRef notify, object? ack) =>
        new() { Kind = JournalOpKind.Unit, Parts = parts, Notify = notify, Ack = ack };

    /// <summary>The same write, answered to <paramref name="notify"/> with <paramref name="ack"/> once durable.</summary>
    public JournalOp WithAck(IActorRef notify, object ack)
    {
        var copy = (JournalOp)MemberwiseClone();
        copy.Notify = notify;
        copy.Ack = ack;
        return copy;
    }
}

/// <summary>Told instead of the ack when the transaction holding a write failed (disk full, I/O error).</summary>
internal sealed record JournalWriteFailed(object? Ack, string Reason, bool StorageFull = false);
