namespace ActorQm.Store;

/// <summary>
/// One write for the journal's group commit, one record type per kind of write. <see cref="Ack"/> is passed to
/// <see cref="Notify"/> once the transaction holding the write is synced; on failure it is wrapped in
/// <see cref="JournalWriteFailed"/>. <see cref="Notify"/> runs on the journal's writer thread: it only hands the
/// answer on (an actor's Tell), never does work.
/// </summary>
internal abstract record JournalOp(Action<object>? Notify, object? Ack)
{
    public static JournalOp Insert(string queue, StoredMessage message, Action<object>? notify, object? ack) => new InsertMessage(queue, message, notify, ack);

    public static JournalOp Delete(long seq, Action<object>? notify, object? ack) => new DeleteMessage(seq, notify, ack);

    public static JournalOp Backout(long seq, int backoutCount, Action<object>? notify, object? ack) => new UpdateBackout(seq, backoutCount, notify, ack);

    public static JournalOp Purge(string queue, Action<object>? notify, object? ack) => new PurgeQueue(queue, notify, ack);

    public static JournalOp SaveObject(string type, string name, string definition, Action<object>? notify, object? ack) => new SaveDefinition(type, name, definition, notify, ack);

    public static JournalOp DeleteObject(string type, string name, Action<object>? notify, object? ack) => new DeleteDefinition(type, name, notify, ack);

    /// <summary>A certificate an administrator revoked (REVOKE CERT): the system's list is filled from these at start.</summary>
    public static JournalOp SaveRevoked(StoredRevocation revoked, Action<object>? notify, object? ack) => new SaveRevocation(revoked, notify, ack);

    /// <summary>A channel's synchronisation record (sequence number, in-doubt batch), replacing the previous one.</summary>
    public static JournalOp SaveChannelSync(ChannelSyncRecord sync, Action<object>? notify, object? ack) => new SaveSync(sync, notify, ack);

    /// <summary>
    /// Writes that commit together or not at all (a channel batch: its messages and the channel's
    /// new sequence number): never split across transactions, never retried one by one.
    /// </summary>
    public static JournalOp Unit(IReadOnlyList<JournalOp> parts, Action<object>? notify, object? ack) => new WriteUnit(parts, notify, ack);

    /// <summary>The same write, answered to <paramref name="notify"/> with <paramref name="ack"/> once durable.</summary>
    public JournalOp WithAck(Action<object> notify, object ack) => this with { Notify = notify, Ack = ack };
}

/// <summary>A persistent message put on <see cref="Queue"/>.</summary>
internal sealed record InsertMessage(string Queue, StoredMessage Message, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>A message got (or expired, or purged one by one).</summary>
internal sealed record DeleteMessage(long Seq, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>A message backed out: its BackoutCount as it now is.</summary>
internal sealed record UpdateBackout(long Seq, int BackoutCount, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>Every message of <see cref="Queue"/> (CLEAR QLOCAL, DELETE QLOCAL PURGE).</summary>
internal sealed record PurgeQueue(string Queue, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>An object's definition as MQSC that recreates it.</summary>
internal sealed record SaveDefinition(string Type, string Name, string Definition, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>An object deleted.</summary>
internal sealed record DeleteDefinition(string Type, string Name, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>A certificate revoked by REVOKE CERT.</summary>
internal sealed record SaveRevocation(StoredRevocation Revoked, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>A channel's synchronisation record.</summary>
internal sealed record SaveSync(ChannelSyncRecord Sync, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>Writes that commit together or not at all.</summary>
internal sealed record WriteUnit(IReadOnlyList<JournalOp> Parts, Action<object>? Notify, object? Ack) : JournalOp(Notify, Ack);

/// <summary>Told instead of the ack when the transaction holding a write failed (disk full, I/O error).</summary>
internal sealed record JournalWriteFailed(object? Ack, string Reason, bool StorageFull = false);
