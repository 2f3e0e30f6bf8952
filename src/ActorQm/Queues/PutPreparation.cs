using ActorQm.Messages;

namespace ActorQm.Queues;

/// <summary>
/// What MQPUT does to a descriptor before the message is queued: defaults resolved from the first
/// queue definition on the resolution path, a new MsgId when none was given, the put time and
/// application name filled in, and the fields checked.
/// </summary>
internal static class PutPreparation
{
    public static (MqMessage? Message, MqReason Reason, string Detail) Prepare(
        MqMessage message, bool defaultPersistent, int defaultPriority, string putApplName, DateTimeOffset now)
    {
        var d = message.Descriptor;
        if (d.Persistence is not (Persistence.NotPersistent or Persistence.Persistent or Persistence.AsQueueDefault))
        {
            return (null, MqReason.PersistenceError, $"Persistence {(int)d.Persistence} is not 0, 1 or 2.");
        }

        if (d.Priority < MessageDescriptor.AsQueueDefaultPriority)
        {
            return (null, MqReason.PriorityError, $"Priority {d.Priority} is below -1.");
        }

        if (d.Expiry is 0 or < MessageDescriptor.Unlimited)
        {
            return (null, MqReason.ExpiryError, $"Expiry {d.Expiry} is not positive or -1 (unlimited).");
        }

        if (DescriptorCodec.FindOversizedField(d) is { } field)
        {
            return (null, MqReason.UnexpectedError, $"Descriptor field {field} is longer than its MQMD width.");
        }

        var persistence = d.Persistence == Persistence.AsQueueDefault
            ? (defaultPersistent ? Persistence.Persistent : Persistence.NotPersistent)
            : d.Persistence;
        // MQ accepts priorities above the maximum and queues them at the maximum (MQRC_PRIORITY_EXCEEDS_MAXIMUM is a warning).
        var priority = d.Priority == MessageDescriptor.AsQueueDefaultPriority ? defaultPriority : Math.Min(d.Priority, 9);
        if (persistence == d.Persistence && priority == d.Priority && !d.MsgId.IsNone && d.PutDateTime != default && d.PutApplName.Length > 0)
        {
            // Nothing to fill in (a message that comes over a channel): the same message, not a copy per queue it passes.
            return (message, MqReason.None, string.Empty);
        }

        var resolved = d with
        {
            Persistence = persistence,
            Priority = priority,
            MsgId = d.MsgId.IsNone ? MqId.New() : d.MsgId,
            // Millisecond precision: what the journal keeps, so a message reads the same before and after a restart.
            PutDateTime = d.PutDateTime == default ? DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()) : d.PutDateTime,
            PutApplName = d.PutApplName.Length == 0 ? putApplName : d.PutApplName,
        };
        return (message with { Descriptor = resolved }, MqReason.None, string.Empty);
    }
}
