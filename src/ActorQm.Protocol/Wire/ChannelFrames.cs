using System.Buffers.Binary;
using System.Text;

namespace ActorQm.Protocol;

/// <summary>Segment types of the channel protocol (docs/protocol.md).</summary>
public enum SegmentType : byte
{
    InitialData = 1,
    InitialDataReply = 2,
    Message = 3,
    BatchEnd = 4,
    Confirm = 5,
    Heartbeat = 6,
    Status = 7,
    Close = 8,
    ClientRequest = 9,
    ClientResponse = 10,

    /// <summary>A non-persistent message outside the batches (NPMSPEED(FAST)): no sequence number, put on arrival.</summary>
    FastMessage = 11,

    /// <summary>Messages a queue manager sends ahead of a client's gets on a read-ahead handle (docs/protocol.md, "Read-ahead").</summary>
    ClientMessages = 12,
}

/// <summary>Channel types as they travel in initial data.</summary>
public enum ChannelType : byte
{
    Sender = 1,
    Server = 2,
    Receiver = 3,
    Requester = 4,

    /// <summary>A client application connecting to a server-connection (SVRCONN) channel.</summary>
    Client = 5,
}

/// <summary>A decoded segment: one frame of the channel protocol.</summary>
public abstract record Segment;

/// <summary>
/// What the calling end proposes (MQ's initial data): who it is, the channel's limits, and its
/// synchronisation state, so an in-doubt batch is settled before new messages flow.
/// </summary>
public sealed record InitialData(
    string ChannelName,
    ChannelType Type,
    string QMgrName,
    int BatchSize,
    int MaxMessageLength,
    int HeartbeatSeconds,
    int SequenceWrap,
    string CipherSpec,
    long LastCommittedSeq,
    long InDoubtSeq,
    string ApplicationName = "",
    bool FastNonPersistent = false,
    bool ReadsTraceContext = false,
    bool Pipelines = false) : Segment;

/// <summary>
/// The responding end's agreement: the negotiated values and its own last committed sequence number.
/// <see cref="FastNonPersistent"/>: both ends have NPMSPEED(FAST), so non-persistent messages travel as <see cref="FastMessageSegment"/>.
/// <see cref="ReadsTraceContext"/> (in both segments): this end reads version-2 descriptors (docs/storage.md), so the other may
/// send a message's trace context; <see cref="Pipelines"/>: this end takes more than one batch in flight. Both are only said
/// back to an end that said them first (docs/protocol.md, "Initial data: trace context").
/// </summary>
public sealed record InitialDataReply(string QMgrName, int BatchSize, int MaxMessageLength, int HeartbeatSeconds, long LastCommittedSeq, bool FastNonPersistent = false, bool ReadsTraceContext = false, bool Pipelines = false) : Segment;

/// <summary>One message of a batch: its sequence number and the transmission-queue message (MQXQH and data).</summary>
public sealed record MessageSegment(long Seq, bool Persistent, byte[] XmitMessage) : Segment;

/// <summary>
/// A non-persistent message of a channel whose ends agreed NPMSPEED(FAST): outside any batch and its unit of recovery, put by the
/// receiver as it arrives, never journalled; a channel failure may lose it (docs/protocol.md, "NPMSPEED").
/// </summary>
public sealed record FastMessageSegment(byte[] XmitMessage) : Segment;

/// <summary>The batch ends at <see cref="LastSeq"/>; the receiver commits it and confirms.</summary>
public sealed record BatchEnd(long LastSeq, int Count) : Segment;

public sealed record Confirm(long LastSeq) : Segment;

public sealed record Heartbeat(bool Reply) : Segment;

/// <summary>An error ending the channel, with the MQ message number and reason code, sent before closing.</summary>
public sealed record StatusSegment(string AmqCode, int Reason, string Text) : Segment;

/// <summary>The other end is ending the channel normally (STOP CHANNEL, DISCINT).</summary>
public sealed record CloseSegment(string Reason) : Segment;

/// <summary>An MQI call of a client over a server-connection channel; <see cref="Body"/> as <see cref="ClientProtocol"/> writes it.</summary>
public sealed record ClientRequest(int Correlation, ClientOp Op, byte[] Body) : Segment;

/// <summary>The answer to the request with the same correlation: MQRC 0 and a body, or a reason code and its text.</summary>
public sealed record ClientResponse(int Correlation, int Reason, string Detail, byte[] Body) : Segment;

/// <summary>
/// Messages sent ahead on a read-ahead handle (<see cref="ClientProtocol.WriteMessages"/> in the body), or with a
/// non-zero reason the refusal the client's next get on that handle returns.
/// </summary>
public sealed record ClientMessages(int Handle, int Reason, string Detail, byte[] Body) : Segment;

/// <summary>
/// Encodes and decodes channel segments: <c>version(1) type(1) body</c>, integers big-endian,
/// strings as a 16-bit length and UTF-8. Decoding checks every length against the frame and
/// returns an error text instead of throwing, so a malformed frame ends only its connection.
/// </summary>
public static class ChannelFrames
{
    public const byte Version = 1;

    // The initial data's last byte: NPMSPEED(FAST), and whether this end reads version-2 descriptors (docs/protocol.md).
    private const byte FastFlag = 1;
    private const byte TraceFlag = 2;
    private const byte PipelineFlag = 4;

    private static byte Flags(bool fast, bool readsTraceContext, bool pipelines) =>
        (byte)((fast ? FastFlag : 0) | (readsTraceContext ? TraceFlag : 0) | (pipelines ? PipelineFlag : 0));
    public const int MaxStringBytes = 1024;
    private const int MessageHeaderBytes = 2 + 8 + 1;

    public static byte[] Encode(Segment segment)
    {
        switch (segment)
        {
            case MessageSegment m:
                return EncodeMessage(m.Seq, m.Persistent, m.XmitMessage);
            case FastMessageSegment f:
                return EncodeFastMessage(f.XmitMessage);

            default:
                var w = new FrameWriter(LengthOf(segment));
                w.Byte(Version);
                switch (segment)
                {
                    case InitialData i:
                        w.Byte((byte)SegmentType.InitialData);
                        w.String(i.ChannelName);
                        w.Byte((byte)i.Type);
                        w.String(i.QMgrName);
                        w.Int(i.BatchSize);
                        w.Int(i.MaxMessageLength);
                        w.Int(i.HeartbeatSeconds);
                        w.Int(i.SequenceWrap);
                        w.String(i.CipherSpec);
                        w.Long(i.LastCommittedSeq);
                        w.Long(i.InDoubtSeq);
                        w.String(i.ApplicationName);
                        w.Byte(Flags(i.FastNonPersistent, i.ReadsTraceContext, i.Pipelines));
                        break;
                    case InitialDataReply r:
                        w.Byte((byte)SegmentType.InitialDataReply);
                        w.String(r.QMgrName);
                        w.Int(r.BatchSize);
                        w.Int(r.MaxMessageLength);
                        w.Int(r.HeartbeatSeconds);
                        w.Long(r.LastCommittedSeq);
                        w.Byte(Flags(r.FastNonPersistent, r.ReadsTraceContext, r.Pipelines));
                        break;
                    case BatchEnd b:
                        w.Byte((byte)SegmentType.BatchEnd);
                        w.Long(b.LastSeq);
                        w.Int(b.Count);
                        break;
                    case Confirm c:
                        w.Byte((byte)SegmentType.Confirm);
                        w.Long(c.LastSeq);
                        break;
                    case Heartbeat h:
                        w.Byte((byte)SegmentType.Heartbeat);
                        w.Byte(h.Reply ? (byte)1 : (byte)0);
                        break;
                    case StatusSegment s:
                        w.Byte((byte)SegmentType.Status);
                        w.String(s.AmqCode);
                        w.Int(s.Reason);
                        w.String(Shortened(s.Text));
                        break;
                    case CloseSegment c:
                        w.Byte((byte)SegmentType.Close);
                        w.String(c.Reason);
                        break;
                    case ClientRequest q:
                        w.Byte((byte)SegmentType.ClientRequest);
                        w.Int(q.Correlation);
                        w.Byte((byte)q.Op);
                        w.Raw(q.Body);
                        break;
                    case ClientMessages m:
                        w.Byte((byte)SegmentType.ClientMessages);
                        w.Int(m.Handle);
                        w.Int(m.Reason);
                        w.String(Shortened(m.Detail));
                        w.Raw(m.Body);
                        break;
                    case ClientResponse r:
                        w.Byte((byte)SegmentType.ClientResponse);
                        w.Int(r.Correlation);
                        w.Int(r.Reason);
                        w.String(Shortened(r.Detail));
                        w.Raw(r.Body);
                        break;
                    default:
                        throw new ArgumentException($"unknown segment {segment.GetType().Name}", nameof(segment));
                }

                return w.ToArray();
        }
    }

    /// <summary>
    /// What a segment other than a message takes, exact for those that carry a body (a client's call, answer or messages),
    /// so the frame is written once into an array of its size and handed on as it is.
    /// </summary>
    private static int LengthOf(Segment segment) => segment switch
    {
        ClientRequest q => 2 + 4 + 1 + q.Body.Length,
        ClientMessages m => 2 + 4 + 4 + 2 + Encoding.UTF8.GetByteCount(Shortened(m.Detail)) + m.Body.Length,
        ClientResponse r => 2 + 4 + 4 + 2 + Encoding.UTF8.GetByteCount(Shortened(r.Detail)) + r.Body.Length,
        InitialData => 256,
        _ => 64,
    };

    /// <summary>
    /// A status text or reason detail as sent: at most its first 512 characters and at most <see cref="MaxStringBytes"/> of
    /// UTF-8, cut between characters (never inside a surrogate pair).
    /// </summary>
    private static ReadOnlySpan<char> Shortened(string text)
    {
        var head = text.AsSpan(0, Math.Min(text.Length, 512));
        Span<byte> room = stackalloc byte[MaxStringBytes];
        System.Text.Unicode.Utf8.FromUtf16(head, room, out var fits, out _, replaceInvalidSequences: true, isFinalBlock: false);
        return head[..fits];
    }

    /// <summary>A message segment straight from the transmission-queue message's bytes: one allocation, one copy.</summary>
    public static byte[] EncodeMessage(long seq, bool persistent, ReadOnlySpan<byte> xmitMessage)
    {
        var frame = new byte[MessageBytes(xmitMessage.Length)];
        WriteMessage(frame, seq, persistent, xmitMessage);
        return frame;
    }

    /// <summary>A FAST non-persistent message segment straight from the transmission-queue message's bytes: one allocation, one copy.</summary>
    public static byte[] EncodeFastMessage(ReadOnlySpan<byte> xmitMessage)
    {
        var frame = new byte[FastMessageBytes(xmitMessage.Length)];
        WriteFastMessage(frame, xmitMessage);
        return frame;
    }

    /// <summary>Whether a frame is a client's MQI call (a <see cref="ClientRequest"/>), without decoding it.</summary>
    public static bool IsClientRequest(ReadOnlySpan<byte> frame) => frame.Length >= 2 && frame[0] == Version && frame[1] == (byte)SegmentType.ClientRequest;

    /// <summary>Whether <paramref name="frame"/> is a FAST message segment, whose transmission-queue message starts at <see cref="FastMessageBytes"/>(0).</summary>
    public static bool IsFastMessage(ReadOnlySpan<byte> frame) => frame.Length >= 2 && frame[0] == Version && frame[1] == (byte)SegmentType.FastMessage;

    /// <summary>The length of a FAST message segment carrying <paramref name="xmitLength"/> bytes.</summary>
    public static int FastMessageBytes(int xmitLength) => 2 + xmitLength;

    /// <summary>Writes a FAST message segment into <paramref name="frame"/> (<see cref="FastMessageBytes"/> long), e.g. a pooled buffer.</summary>
    public static void WriteFastMessage(Span<byte> frame, ReadOnlySpan<byte> xmitMessage)
    {
        frame[0] = Version;
        frame[1] = (byte)SegmentType.FastMessage;
        xmitMessage.CopyTo(frame[2..]);
    }

    /// <summary>The length of a message segment carrying <paramref name="xmitLength"/> bytes.</summary>
    public static int MessageBytes(int xmitLength) => MessageHeaderBytes + xmitLength;

    /// <summary>Writes a message segment into <paramref name="frame"/> (<see cref="MessageBytes"/> long), e.g. a pooled buffer.</summary>
    public static void WriteMessage(Span<byte> frame, long seq, bool persistent, ReadOnlySpan<byte> xmitMessage)
    {
        WriteMessageHeader(frame, seq, persistent);
        xmitMessage.CopyTo(frame[MessageHeaderBytes..]);
    }

    /// <summary>Header of a message segment, written in front of the data.</summary>
    public static void WriteMessageHeader(Span<byte> frame, long seq, bool persistent)
    {
        frame[0] = Version;
        frame[1] = (byte)SegmentType.Message;
        BinaryPrimitives.WriteInt64BigEndian(frame[2..], seq);
        frame[10] = persistent ? (byte)1 : (byte)0;
    }

    /// <summary>The segment in <paramref name="frame"/>, or null with the reason it is malformed.</summary>
    public static (Segment? Segment, string? Error) Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 2)
        {
            return (null, $"frame of {frame.Length} bytes is shorter than a segment header");
        }

        if (frame[0] != Version)
        {
            return (null, $"protocol version {frame[0]} is not supported (this end speaks {Version})");
        }

        var r = new FrameReader(frame[2..]);
        Segment? segment = (SegmentType)frame[1] switch
        {
            SegmentType.InitialData => new InitialData(r.String(), (ChannelType)r.Byte(), r.String(), r.Int(), r.Int(), r.Int(), r.Int(), r.String(), r.Long(), r.Long(), r.String()) is var hello && r.Byte() is var flags
                ? hello with { FastNonPersistent = (flags & FastFlag) != 0, ReadsTraceContext = (flags & TraceFlag) != 0, Pipelines = (flags & PipelineFlag) != 0 } : null,
            SegmentType.InitialDataReply => new InitialDataReply(r.String(), r.Int(), r.Int(), r.Int(), r.Long()) is var reply && r.Byte() is var replyFlags
                ? reply with { FastNonPersistent = (replyFlags & FastFlag) != 0, ReadsTraceContext = (replyFlags & TraceFlag) != 0, Pipelines = (replyFlags & PipelineFlag) != 0 } : null,
            SegmentType.Message => new MessageSegment(r.Long(), r.Byte() == 1, r.Rest()),
            SegmentType.FastMessage => new FastMessageSegment(r.Rest()),
            SegmentType.BatchEnd => new BatchEnd(r.Long(), r.Int()),
            SegmentType.Confirm => new Confirm(r.Long()),
            SegmentType.Heartbeat => new Heartbeat(r.Byte() == 1),
            SegmentType.Status => new StatusSegment(r.String(), r.Int(), r.String()),
            SegmentType.Close => new CloseSegment(r.String()),
            SegmentType.ClientRequest => new ClientRequest(r.Int(), (ClientOp)r.Byte(), r.Rest()),
            SegmentType.ClientResponse => new ClientResponse(r.Int(), r.Int(), r.String(), r.Rest()),
            SegmentType.ClientMessages => new ClientMessages(r.Int(), r.Int(), r.String(), r.Rest()),
            _ => null,
        };
        if (segment is null)
        {
            return (null, $"unknown segment type {frame[1]}");
        }

        if (r.Error is { } error)
        {
            return (null, $"{(SegmentType)frame[1]} segment is malformed: {error}");
        }

        if (!r.AtEnd)
        {
            return (null, $"{(SegmentType)frame[1]} segment has {r.Remaining} bytes after its end");
        }

        return segment is InitialData { Type: < ChannelType.Sender or > ChannelType.Client } i
            ? (null, $"InitialData names channel type {(byte)i.Type}, which does not exist")
            : (segment, null);
    }

}

/// <summary>Writes protocol fields: integers big-endian, strings as a 16-bit length and UTF-8.</summary>
public sealed class FrameWriter(int capacity = 64)
{
    private byte[] _buffer = new byte[capacity];
    private int _length;

    public void Byte(byte b) => Take(1)[0] = b;

    public void Int(int v) => BinaryPrimitives.WriteInt32BigEndian(Take(4), v);

    public void Long(long v) => BinaryPrimitives.WriteInt64BigEndian(Take(8), v);

    public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    /// <summary>Reserves <paramref name="n"/> bytes for the caller to fill.</summary>
    public Span<byte> Take(int n)
    {
        if (_length + n > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        }

        var span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }

    public void String(string s) => String(s.AsSpan());

    public void String(ReadOnlySpan<char> s)
    {
        var count = Encoding.UTF8.GetByteCount(s);
        if (count > ChannelFrames.MaxStringBytes)
        {
            throw new ArgumentException($"string of {count} bytes is longer than the protocol's {ChannelFrames.MaxStringBytes}");
        }

        BinaryPrimitives.WriteUInt16BigEndian(Take(2), (ushort)count);
        Encoding.UTF8.GetBytes(s, Take(count));
    }

    /// <summary>The bytes written: the buffer itself when they fill it exactly (a writer sized for its frame copies nothing).</summary>
    public byte[] ToArray() => _length == _buffer.Length ? _buffer : _buffer.AsSpan(0, _length).ToArray();
}

/// <summary>Reads protocol fields; past the end it records an error and yields zeros, so decoding never throws.</summary>
public ref struct FrameReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public string? Error { get; private set; }

    public readonly bool AtEnd => _position == _data.Length;

    public readonly int Remaining => _data.Length - _position;

    public byte Byte() => Take(1) is { Length: 1 } b ? b[0] : (byte)0;

    public int Int() => Take(4) is { Length: 4 } b ? BinaryPrimitives.ReadInt32BigEndian(b) : 0;

    public long Long() => Take(8) is { Length: 8 } b ? BinaryPrimitives.ReadInt64BigEndian(b) : 0;

    public string String()
    {
        var lengthBytes = Take(2);
        if (lengthBytes.Length < 2)
        {
            return string.Empty;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
        if (length > ChannelFrames.MaxStringBytes)
        {
            Error ??= $"string of {length} bytes exceeds {ChannelFrames.MaxStringBytes}";
            return string.Empty;
        }

        var bytes = Take(length);
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Error ??= "string is not valid UTF-8";
            return string.Empty;
        }
    }

    public byte[] Rest()
    {
        var rest = _data[_position..].ToArray();
        _position = _data.Length;
        return rest;
    }

    public ReadOnlySpan<byte> Bytes(int n) => Take(n);

    /// <summary>Up to <paramref name="n"/> bytes ahead, without taking them (fewer at the end, none after an error).</summary>
    public readonly ReadOnlySpan<byte> Peek(int n) => Error is not null ? [] : _data.Slice(_position, Math.Min(n, _data.Length - _position));

    private ReadOnlySpan<byte> Take(int n)
    {
        if (Error is not null || _position + n > _data.Length)
        {
            Error ??= $"needs {n} more bytes at offset {_position + 2}, only {_data.Length - _position} left";
            _position = _data.Length;
            return [];
        }

        var span = _data.Slice(_position, n);
        _position += n;
        return span;
    }
}
