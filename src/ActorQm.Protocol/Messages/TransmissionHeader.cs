namespace ActorQm.Messages;

/// <summary>
/// MQXQH: what a message on a transmission queue carries in front of its data, so the receiving
/// channel knows the destination and the original descriptor.
/// </summary>
public sealed record TransmissionHeader(string RemoteQName, string RemoteQMgrName, MessageDescriptor Original)
{
    public const int Length = 4 + 4 + DescriptorCodec.QueueNameLength + DescriptorCodec.QMgrNameLength + DescriptorCodec.Length;
    private static readonly byte[] StrucId = "XQH "u8.ToArray();

    /// <summary>Wraps an application message for a transmission queue.</summary>
    public static MqMessage Wrap(MqMessage message, string remoteQName, string remoteQMgrName)
    {
        var body = new byte[Length + message.Payload.Length];
        var w = new DescriptorCodec.FieldWriter(body);
        w.Bytes(StrucId);
        w.Int(1);
        w.Text(remoteQName, DescriptorCodec.QueueNameLength);
        w.Text(remoteQMgrName, DescriptorCodec.QMgrNameLength);
        DescriptorCodec.Encode(message.Descriptor, w.Take(DescriptorCodec.Length));
        message.Payload.Span.CopyTo(body.AsSpan(Length));
        var outer = message.Descriptor with { Format = MessageFormats.XmitQHeader };
        return new MqMessage(outer, body);
    }

    /// <summary>The header at the start of <paramref name="xmitMessage"/>, or null when there is none (short, wrong StrucId, a descriptor that is not one).</summary>
    public static TransmissionHeader? TryRead(ReadOnlySpan<byte> xmitMessage)
    {
        if (xmitMessage.Length < Length || !xmitMessage[..4].SequenceEqual(StrucId))
        {
            return null;
        }

        var r = new DescriptorCodec.FieldReader(xmitMessage);
        r.Take(8);
        var q = r.Text(DescriptorCodec.QueueNameLength);
        var qm = r.Text(DescriptorCodec.QMgrNameLength);
        return DescriptorCodec.TryDecode(r.Take(DescriptorCodec.Length)) is { } md ? new TransmissionHeader(q, qm, md) : null;
    }

    /// <summary>Splits a transmission-queue message into its header and the original application data.</summary>
    public static (TransmissionHeader Header, ReadOnlyMemory<byte> Data) Unwrap(MqMessage message)
    {
        var span = message.Payload.Span;
        if (span.Length < Length || !span[..4].SequenceEqual(StrucId))
        {
            throw new FormatException("Message on a transmission queue lacks an MQXQH ('XQH ').");
        }

        var r = new DescriptorCodec.FieldReader(span);
        r.Take(8);
        var q = r.Text(DescriptorCodec.QueueNameLength);
        var qm = r.Text(DescriptorCodec.QMgrNameLength);
        var md = DescriptorCodec.Decode(r.Take(DescriptorCodec.Length));
        return (new TransmissionHeader(q, qm, md), message.Payload[Length..]);
    }
}
