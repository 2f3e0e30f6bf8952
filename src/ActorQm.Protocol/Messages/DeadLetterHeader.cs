namespace ActorQm.Messages;

/// <summary>
/// MQDLH: put in front of a message moved to the dead-letter queue; carries why (an MQRC or MQFB
/// code), where the message was going, and the format the data had before the header.
/// </summary>
public sealed record DeadLetterHeader(int Reason, string DestQName, string DestQMgrName, string Format, string PutApplName, DateTimeOffset PutDateTime)
{
    public const int Length = 4 + 4 + 4 + DescriptorCodec.QueueNameLength + DescriptorCodec.QMgrNameLength + 8 + 28 + 8;
    private static readonly byte[] StrucId = "DLH "u8.ToArray();

    public static MqMessage Wrap(MqMessage message, int reason, string destQName, string destQMgrName, string putApplName, DateTimeOffset now)
    {
        var body = new byte[Length + message.Payload.Length];
        var w = new DescriptorCodec.FieldWriter(body);
        w.Bytes(StrucId);
        w.Int(1);
        w.Int(reason);
        w.Text(destQName, DescriptorCodec.QueueNameLength);
        w.Text(destQMgrName, DescriptorCodec.QMgrNameLength);
        w.Text(message.Descriptor.Format, 8);
        w.Text(putApplName, 28);
        w.Long(now.ToUnixTimeMilliseconds());
        message.Payload.Span.CopyTo(body.AsSpan(Length));
        return new MqMessage(message.Descriptor with { Format = MessageFormats.DeadHeader }, body);
    }

    public static (DeadLetterHeader Header, ReadOnlyMemory<byte> Data) Unwrap(MqMessage message)
    {
        var span = message.Payload.Span;
        if (span.Length < Length || !span[..4].SequenceEqual(StrucId))
        {
            throw new FormatException("Message lacks an MQDLH ('DLH ').");
        }

        var r = new DescriptorCodec.FieldReader(span);
        r.Take(8);
        var reason = r.Int();
        var q = r.Text(DescriptorCodec.QueueNameLength);
        var qm = r.Text(DescriptorCodec.QMgrNameLength);
        var format = r.Text(8, trim: false);
        var appl = r.Text(28);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(r.Long());
        return (new DeadLetterHeader(reason, q, qm, format, appl, at), message.Payload[Length..]);
    }
}
