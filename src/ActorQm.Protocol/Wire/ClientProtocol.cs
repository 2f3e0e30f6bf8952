using ActorQm.Messages;

namespace ActorQm.Protocol;

/// <summary>The MQI calls a client makes over a server-connection channel.</summary>
public enum ClientOp : byte
{
    Open = 1,
    Close = 2,
    Put = 3,
    Put1 = 4,
    Get = 5,
    Commit = 6,
    Backout = 7,
    Mqsc = 8,

    /// <summary>MQSTAT: what the asynchronous puts since the last one did (counts and the first failure), then reset.</summary>
    Stat = 9,

    /// <summary>Not answered: the application has taken this many more of the messages sent ahead on a read-ahead handle.</summary>
    Consumed = 10,
}

/// <summary>MQPMO options a client sends with a put.</summary>
[Flags]
public enum ClientPutFlags : byte
{
    None = 0,
    Syncpoint = 1,

    /// <summary>MQPMO_ASYNC_RESPONSE: no answer is sent; the outcome is counted for <see cref="ClientOp.Stat"/>.</summary>
    AsyncResponse = 2,

    /// <summary>Three bits holding the <see cref="MqPutContext"/> (<see cref="ClientProtocol.ContextOf"/>); a pass-context put is followed by its context handle.</summary>
    ContextMask = 0x1C,
}

/// <summary>The usual ways to open a queue; <see cref="MqOpenOptions"/> holds every option.</summary>
public enum ClientOpenPurpose : byte
{
    /// <summary>MQOO_OUTPUT.</summary>
    Output = 0,

    /// <summary>MQOO_INPUT_AS_Q_DEF.</summary>
    Input = 1,

    /// <summary>MQOO_BROWSE.</summary>
    Browse = 2,
}

/// <summary>MQGMO options a client sends with a get.</summary>
[Flags]
public enum ClientGetFlags : byte
{
    None = 0,
    Syncpoint = 1,
    BrowseFirst = 2,
    BrowseNext = 4,
}

/// <summary>
/// Bodies of <see cref="ClientRequest"/> and <see cref="ClientResponse"/> (docs/protocol.md):
/// written and read with the same field rules as every segment, messages as the descriptor
/// (248 bytes, 280 with trace context, docs/storage.md) then the data. Shared by the server-connection channel and <c>ActorQm.Client</c>.
/// </summary>
public static class ClientProtocol
{
    /// <param name="traced">Whether the other end reads version-2 descriptors (it said so in its initial data): if not, the trace context is left out.</param>
    public static void WriteMessage(FrameWriter w, MqMessage message, bool traced = true)
    {
        WriteDescriptor(w, Readable(message.Descriptor, traced));
        w.Raw(message.Payload.Span);
    }

    /// <summary>Messages one after another, each as its length (4 bytes) then the descriptor and data.</summary>
    public static void WriteMessages(FrameWriter w, IReadOnlyList<MqMessage> messages, bool traced = true)
    {
        w.Int(messages.Count);
        foreach (var m in messages)
        {
            w.Int(DescriptorCodec.LengthOf(Readable(m.Descriptor, traced)) + m.Payload.Length);
            WriteMessage(w, m, traced);
        }
    }

    /// <summary>The descriptor as the other end can read it: without its trace context when it reads version 1 only.</summary>
    public static MessageDescriptor Readable(MessageDescriptor descriptor, bool traced) =>
        traced || !DescriptorCodec.IsTraced(descriptor.TraceContext) ? descriptor : descriptor with { TraceContext = default };

    /// <summary>What <see cref="WriteMessages"/> wrote, or null when the body does not hold exactly that.</summary>
    public static List<MqMessage>? ReadMessages(ReadOnlySpan<byte> body)
    {
        var r = new FrameReader(body);
        var count = r.Int();
        if (count < 0 || count > r.Remaining / (4 + DescriptorCodec.Length))
        {
            return null;
        }

        var messages = new List<MqMessage>(count);
        for (var i = 0; i < count; i++)
        {
            var length = r.Int();
            if (length < DescriptorCodec.Length || length > r.Remaining)
            {
                return null;
            }

            var one = new FrameReader(r.Bytes(length));
            if (ReadMessage(ref one) is not { } message)
            {
                return null;
            }

            messages.Add(message);
        }

        return r.Error is null && r.AtEnd ? messages : null;
    }

    /// <summary>A message that takes the rest of the body, or null when its descriptor is not one (short, wrong StrucId or version).</summary>
    public static MqMessage? ReadMessage(ref FrameReader r) =>
        DescriptorCodec.PeekLength(r.Peek(8)) is var length and > 0 && DescriptorCodec.TryDecode(r.Bytes(length)) is { } descriptor ? new MqMessage(descriptor, r.Rest()) : null;

    /// <summary>The MQOPEN options of one of the usual purposes.</summary>
    public static MqOpenOptions OptionsOf(ClientOpenPurpose purpose) => purpose switch
    {
        ClientOpenPurpose.Output => MqOpenOptions.Output,
        ClientOpenPurpose.Browse => MqOpenOptions.Browse,
        _ => MqOpenOptions.InputAsQueueDefault,
    };

    /// <summary>A put's options byte: syncpoint, asynchronous response and the context option.</summary>
    public static byte PutFlags(bool syncpoint, bool asyncResponse, MqPutContext context) =>
        (byte)((syncpoint ? ClientPutFlags.Syncpoint : ClientPutFlags.None) | (asyncResponse ? ClientPutFlags.AsyncResponse : ClientPutFlags.None) | (ClientPutFlags)((int)context << 2));

    public static MqPutContext ContextOf(ClientPutFlags flags) => (MqPutContext)(((int)flags & (int)ClientPutFlags.ContextMask) >> 2);

    /// <summary>Whether a put with this context option carries the handle whose saved context it passes.</summary>
    public static bool Passes(MqPutContext context) => context is MqPutContext.PassIdentity or MqPutContext.PassAll;

    public static void WriteDescriptor(FrameWriter w, MessageDescriptor descriptor) => DescriptorCodec.Encode(descriptor, w.Take(DescriptorCodec.LengthOf(descriptor)));

    /// <summary>The descriptor at the reader, or null when there is none this release reads (short, wrong StrucId or version, text that is not UTF-8).</summary>
    public static MessageDescriptor? ReadDescriptor(ref FrameReader r)
    {
        var length = DescriptorCodec.PeekLength(r.Peek(8));
        return length > 0 ? DescriptorCodec.TryDecode(r.Bytes(length)) : null;
    }

    public static void WriteId(FrameWriter w, MqId? id)
    {
        var span = w.Take(MqId.Length);
        (id ?? MqId.None).WriteTo(span);
    }

    /// <summary>24 bytes; all zeros means "no match on this field" (MQMI_NONE).</summary>
    public static MqId? ReadId(ref FrameReader r)
    {
        var bytes = r.Bytes(MqId.Length);
        return bytes.Length == MqId.Length && bytes.IndexOfAnyExcept((byte)0) >= 0 ? MqId.FromBytes(bytes) : null;
    }
}
