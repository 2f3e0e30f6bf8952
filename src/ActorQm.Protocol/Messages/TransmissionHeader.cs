namespace ActorQm.Messages;

/// <summary>
/// MQXQH: what a message on a transmission queue carries in front of its data, so the receiving
/// channel knows the destination and the original descriptor (whose length tells the header's, docs/storage.md).
/// </summary>
public sealed record TransmissionHeader(string RemoteQName, string RemoteQMgrName, MessageDescriptor Original)
{
    /// <summary>The longest header: the bound a receiver allows beyond MAXMSGL.</summary>
    public const int MaxLength = PrefixLength + DescriptorCodec.TracedLength;

    private const int PrefixLength = 4 + 4 + DescriptorCodec.QueueNameLength + DescriptorCodec.QMgrNameLength;
    private static readonly byte[] StrucId = "XQH "u8.ToArray();

    /// <summary>This header's length: where the application data starts.</summary>
    public int Length => PrefixLength + DescriptorCodec.LengthOf(Original);

    /// <summary>Wraps an application message for a transmission queue.</summary>
    public static MqMessage Wrap(MqMessage message, string remoteQName, string remoteQMgrName)
    {
        var length = PrefixLength + DescriptorCodec.LengthOf(message.Descriptor);
        var body = new byte[length + message.Payload.Length];
        var w = new DescriptorCodec.FieldWriter(body);
        w.Bytes(StrucId);
        w.Int(1);
        w.Text(remoteQName, DescriptorCodec.QueueNameLength);
        w.Text(remoteQMgrName, DescriptorCodec.QMgrNameLength);
        DescriptorCodec.Encode(message.Descriptor, w.Take(length - PrefixLength));
        message.Payload.Span.CopyTo(body.AsSpan(length));
        var outer = message.Descriptor with { Format = MessageFormats.XmitQHeader };
        return new MqMessage(outer, body);
    }

    /// <summary>The header at the start of <paramref name="xmitMessage"/>, or null when there is none (short, wrong StrucId, a descriptor that is not one).</summary>
    public static TransmissionHeader? TryRead(ReadOnlySpan<byte> xmitMessage)
    {
        if (xmitMessage.Length < PrefixLength + DescriptorCodec.Length || !xmitMessage[..4].SequenceEqual(StrucId))
        {
            return null;
        }

        var r = new DescriptorCodec.FieldReader(xmitMessage);
        r.Take(8);
        var q = r.Text(DescriptorCodec.QueueNameLength);
        var qm = r.Text(DescriptorCodec.QMgrNameLength);
        return DescriptorCodec.TryDecode(xmitMessage[PrefixLength..]) is { } md ? new TransmissionHeader(q, qm, md) : null;
    }

    /// <summary>The trace context of the message behind the header at the start of <paramref name="xmitMessage"/>, read in place; none when it has none or is not a header.</summary>
    public static System.Diagnostics.ActivityContext TraceContextOf(ReadOnlySpan<byte> xmitMessage) =>
        xmitMessage.Length > PrefixLength && xmitMessage[..4].SequenceEqual(StrucId) ? DescriptorCodec.TraceContextOf(xmitMessage[PrefixLength..]) : default;

    /// <summary>Splits a transmission-queue message into its header and the original application data.</summary>
    public static (TransmissionHeader Header, ReadOnlyMemory<byte> Data) Unwrap(MqMessage message)
    {
        var header = TryRead(message.Payload.Span) ?? throw new FormatException("Message on a transmission queue lacks an MQXQH ('XQH ') with a descriptor this release reads.");
        return (header, message.Payload[header.Length..]);
    }
}
