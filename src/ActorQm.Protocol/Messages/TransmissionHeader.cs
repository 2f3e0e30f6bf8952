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

    /// <summary>This header's length: where the application data starts. For a header read, its length on the wire (the
    /// descriptor's version says it), never one derived from what was decoded.</summary>
    public int Length { get; private init; } = PrefixLength + DescriptorCodec.LengthOf(Original);

    /// <summary>
    /// The length of the header <paramref name="xmitMessage"/> starts with, checked without decoding it (StrucId, a
    /// descriptor this release reads, long enough, names and text that are UTF-8); 0 when there is none.
    /// </summary>
    public static int LengthIn(ReadOnlySpan<byte> xmitMessage)
    {
        if (xmitMessage.Length < PrefixLength + DescriptorCodec.Length || !xmitMessage[..4].SequenceEqual(StrucId) || !System.Text.Unicode.Utf8.IsValid(xmitMessage[8..PrefixLength]))
        {
            return 0;
        }

        var descriptor = xmitMessage[PrefixLength..];
        var length = DescriptorCodec.PeekLength(descriptor);
        return length > 0 && descriptor.Length >= length && DescriptorCodec.HasValidText(descriptor) ? PrefixLength + length : 0;
    }

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
        var length = LengthIn(xmitMessage);
        if (length == 0)
        {
            return null;
        }

        var r = new DescriptorCodec.FieldReader(xmitMessage);
        r.Take(8);
        var q = r.Text(DescriptorCodec.QueueNameLength);
        var qm = r.Text(DescriptorCodec.QMgrNameLength);
        return new TransmissionHeader(q, qm, DescriptorCodec.Decode(xmitMessage[PrefixLength..])) { Length = length };
    }

    /// <summary>The trace context of the message behind the header at the start of <paramref name="xmitMessage"/>, read in place; none when it has none or is not a header.</summary>
    public static System.Diagnostics.ActivityContext TraceContextOf(ReadOnlySpan<byte> xmitMessage) =>
        xmitMessage.Length > PrefixLength && xmitMessage[..4].SequenceEqual(StrucId) ? DescriptorCodec.TraceContextOf(xmitMessage[PrefixLength..]) : default;

    /// <summary>
    /// The transmission-queue message as a partner that reads version-1 descriptors only can take it: the same bytes when
    /// its descriptor is version 1, else a copy whose descriptor is the version-1 prefix (the trace context dropped).
    /// </summary>
    public static ReadOnlyMemory<byte> WithoutTraceContext(ReadOnlyMemory<byte> xmitMessage)
    {
        var span = xmitMessage.Span;
        if (span.Length < PrefixLength + DescriptorCodec.TracedLength || !span[..4].SequenceEqual(StrucId) || DescriptorCodec.PeekLength(span[PrefixLength..]) != DescriptorCodec.TracedLength)
        {
            return xmitMessage;
        }

        var stripped = new byte[span.Length - (DescriptorCodec.TracedLength - DescriptorCodec.Length)];
        span[..(PrefixLength + DescriptorCodec.Length)].CopyTo(stripped);
        DescriptorCodec.MarkVersion1(stripped.AsSpan(PrefixLength));
        span[(PrefixLength + DescriptorCodec.TracedLength)..].CopyTo(stripped.AsSpan(PrefixLength + DescriptorCodec.Length));
        return stripped;
    }

    /// <summary>Splits a transmission-queue message into its header and the original application data.</summary>
    public static (TransmissionHeader Header, ReadOnlyMemory<byte> Data) Unwrap(MqMessage message)
    {
        var header = TryRead(message.Payload.Span) ?? throw new FormatException("Message on a transmission queue lacks an MQXQH ('XQH ') with a descriptor this release reads.");
        return (header, message.Payload[header.Length..]);
    }
}
