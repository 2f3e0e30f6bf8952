using System.Diagnostics;

namespace ActorQm.Messages;

public enum Persistence
{
    NotPersistent = 0,
    Persistent = 1,
    AsQueueDefault = 2,
}

public enum MessageType
{
    Request = 1,
    Reply = 2,
    Report = 4,
    Datagram = 8,
}

/// <summary>
/// The MQMD fields ActorQm carries. <see cref="Priority"/> -1 and
/// <see cref="Persistence.AsQueueDefault"/> are resolved against the queue at put time.
/// <see cref="Expiry"/> is in tenths of a second, -1 meaning unlimited; on get it shows the time left.
/// </summary>
public sealed record MessageDescriptor
{
    public const int Unlimited = -1;
    public const int AsQueueDefaultPriority = -1;

    public MqId MsgId { get; init; }
    public MqId CorrelId { get; init; }
    public Persistence Persistence { get; init; } = Persistence.AsQueueDefault;
    public int Priority { get; init; } = AsQueueDefaultPriority;
    public int Expiry { get; init; } = Unlimited;
    public MessageType MsgType { get; init; } = MessageType.Datagram;
    public int Report { get; init; }
    public int Feedback { get; init; }
    public int Encoding { get; init; } = 546;
    public int CodedCharSetId { get; init; } = 1208;
    public string Format { get; init; } = MessageFormats.None;
    public string ReplyToQ { get; init; } = string.Empty;
    public string ReplyToQMgr { get; init; } = string.Empty;
    public string UserIdentifier { get; init; } = string.Empty;
    public string PutApplName { get; init; } = string.Empty;
    public DateTimeOffset PutDateTime { get; init; }
    public int BackoutCount { get; init; }

    /// <summary>
    /// The W3C trace context the message travels in (beyond MQ, docs/operations.md "Traces"): set by the client at put
    /// from its put span unless the application set one, kept through the transmission queue and the channel, and the
    /// parent of the get's span on the queue manager that delivers it. Default: untraced. Trace id, span id and the
    /// sampled flag are carried; tracestate is not.
    /// </summary>
    public ActivityContext TraceContext { get; init; }

    public static readonly MessageDescriptor Default = new();
}

/// <summary>Format names (MQFMT_*), eight characters blank-padded as on the wire.</summary>
public static class MessageFormats
{
    public const string None = "        ";
    public const string String = "MQSTR   ";
    public const string XmitQHeader = "MQXMIT  ";
    public const string DeadHeader = "MQDEAD  ";
}

/// <summary>A message: its descriptor and its application data.</summary>
public sealed record MqMessage(MessageDescriptor Descriptor, ReadOnlyMemory<byte> Payload)
{
    public bool IsPersistent => Descriptor.Persistence == Persistence.Persistent;
}
