using ActorQm.Messages;

namespace ActorQm.Store;

/// <summary>
/// A message as a queue holds it: the message with its priority and persistence resolved, a
/// queue-manager-wide sequence number (its journal key and FIFO order) and its absolute expiry.
/// </summary>
internal sealed class StoredMessage(long seq, MqMessage message, long expiresAtMs)
{
    public const long NeverExpires = long.MaxValue;

    public long Seq { get; } = seq;
    public MqMessage Message { get; set; } = message;
    public long ExpiresAtMs { get; } = expiresAtMs;

    /// <summary>Taken by a get under syncpoint and not yet committed or backed out.</summary>
    public bool Locked { get; set; }

    /// <summary>Gone from the queue; left in its bucket until compaction.</summary>
    public bool Removed { get; set; }

    /// <summary>A fresh entry for the same message, for putting it back after it was taken off its queue.</summary>
    public StoredMessage Requeued() => new(Seq, Message, ExpiresAtMs);

    public int Priority => Message.Descriptor.Priority;
    public bool IsPersistent => Message.IsPersistent;
    public bool IsExpired(long nowMs) => ExpiresAtMs <= nowMs;
}
