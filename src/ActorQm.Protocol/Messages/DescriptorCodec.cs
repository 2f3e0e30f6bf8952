using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace ActorQm.Messages;

/// <summary>
/// Binary form of a <see cref="MessageDescriptor"/>: the journal row and the descriptor embedded in transmission
/// headers and client frames. Two fixed lengths, told apart by the version at offset 4: version 1 (248 bytes) for a
/// message without trace context, version 2 (280 bytes) adding the W3C trace context, so a message nobody traces is
/// written exactly as before and every journal of an earlier release reads unchanged. Layout in docs/storage.md.
/// </summary>
internal static class DescriptorCodec
{
    /// <summary>Version 1, no trace context: the shortest descriptor there is.</summary>
    public const int Length = 248;

    /// <summary>Version 2, with trace context: the longest.</summary>
    public const int TracedLength = 280;

    public const int QueueNameLength = 48;
    public const int QMgrNameLength = 48;
    private const int UserIdLength = 12;
    private const int ApplNameLength = 28;
    private const int FormatLength = 8;
    private const int Version = 1;
    private const int TracedVersion = 2;
    private static readonly byte[] StrucId = "MD  "u8.ToArray();

    // What an id that is not one (default, or all zeros as W3C calls invalid) reads as.
    private static readonly string NoTraceId = new('0', 32);
    private static readonly string NoSpanId = new('0', 16);

    /// <summary>How many bytes <see cref="Encode"/> writes for <paramref name="d"/>: version 2 only for a valid trace context.</summary>
    public static int LengthOf(MessageDescriptor d) => IsTraced(d.TraceContext) ? TracedLength : Length;

    /// <summary>Whether <paramref name="context"/> names a trace: both ids present and not all zeros.</summary>
    public static bool IsTraced(ActivityContext context) =>
        context.TraceId.ToHexString() is var trace && trace.Length == 32 && trace != NoTraceId
        && context.SpanId.ToHexString() is var span && span.Length == 16 && span != NoSpanId;

    /// <summary>
    /// Whether the text fields of the descriptor <paramref name="src"/> starts with (Format to PutApplName, one run of
    /// bytes) are UTF-8: what a partner sends is checked before it is read, so a field cannot decode to more than it took.
    /// </summary>
    public static bool HasValidText(ReadOnlySpan<byte> src) => src.Length >= Length && System.Text.Unicode.Utf8.IsValid(src[88..232]);

    /// <summary>The length of the descriptor <paramref name="src"/> starts with, from its StrucId and version; 0 when it is not one this release reads.</summary>
    public static int PeekLength(ReadOnlySpan<byte> src) =>
        src.Length < 8 || !src[..4].SequenceEqual(StrucId) ? 0 : BinaryPrimitives.ReadInt32LittleEndian(src[4..]) switch
        {
            Version => Length,
            TracedVersion => TracedLength,
            _ => 0,
        };

    /// <summary>Makes the version-2 descriptor whose first 248 bytes <paramref name="dst"/> holds a version-1 one: the same fields without the trace context.</summary>
    public static void MarkVersion1(Span<byte> dst) => BinaryPrimitives.WriteInt32LittleEndian(dst[4..], Version);

    /// <summary>Writes <paramref name="d"/> and returns how many bytes it took (<see cref="LengthOf"/>).</summary>
    public static int Encode(MessageDescriptor d, Span<byte> dst)
    {
        var length = LengthOf(d);
        if (dst.Length < length)
        {
            throw new ArgumentException("Destination too short for a message descriptor.", nameof(dst));
        }

        var w = new FieldWriter(dst);
        w.Bytes(StrucId);
        w.Int(length == Length ? Version : TracedVersion);
        d.MsgId.WriteTo(w.Take(MqId.Length));
        d.CorrelId.WriteTo(w.Take(MqId.Length));
        w.Int((int)d.Persistence);
        w.Int(d.Priority);
        w.Int(d.Expiry);
        w.Int((int)d.MsgType);
        w.Int(d.Report);
        w.Int(d.Feedback);
        w.Int(d.Encoding);
        w.Int(d.CodedCharSetId);
        w.Text(d.Format, FormatLength);
        w.Text(d.ReplyToQ, QueueNameLength);
        w.Text(d.ReplyToQMgr, QMgrNameLength);
        w.Text(d.UserIdentifier, UserIdLength);
        w.Text(d.PutApplName, ApplNameLength);
        w.Long(d.PutDateTime.ToUnixTimeMilliseconds());
        w.Int(d.BackoutCount);
        w.Int(0);
        if (length == TracedLength)
        {
            // W3C traceparent in binary: trace id, parent (span) id, flags; tracestate is not carried (docs/operations.md).
            d.TraceContext.TraceId.CopyTo(w.Take(16));
            d.TraceContext.SpanId.CopyTo(w.Take(8));
            var flags = w.Take(8);
            flags.Clear();
            flags[0] = (byte)d.TraceContext.TraceFlags;
        }

        return length;
    }

    /// <summary>The descriptor, or null when the bytes do not start with one this release reads (wrong StrucId or version, too short, text that is not UTF-8).</summary>
    public static MessageDescriptor? TryDecode(ReadOnlySpan<byte> src) =>
        PeekLength(src) is var length and > 0 && src.Length >= length && HasValidText(src) ? Decode(src) : null;

    public static MessageDescriptor Decode(ReadOnlySpan<byte> src)
    {
        var length = PeekLength(src);
        if (length == 0 || src.Length < length)
        {
            throw new FormatException(src.Length >= 8 && src[..4].SequenceEqual(StrucId)
                ? $"Unsupported or truncated message descriptor (version {BinaryPrimitives.ReadInt32LittleEndian(src[4..])}, {src.Length} bytes)."
                : "Not a message descriptor (StrucId 'MD  ' expected).");
        }

        if (!HasValidText(src))
        {
            throw new FormatException("A message descriptor's text fields are not valid UTF-8.");
        }

        var r = new FieldReader(src);
        r.Take(8);
        var descriptor = new MessageDescriptor
        {
            MsgId = MqId.FromBytes(r.Take(MqId.Length)),
            CorrelId = MqId.FromBytes(r.Take(MqId.Length)),
            Persistence = (Persistence)r.Int(),
            Priority = r.Int(),
            Expiry = r.Int(),
            MsgType = (MessageType)r.Int(),
            Report = r.Int(),
            Feedback = r.Int(),
            Encoding = r.Int(),
            CodedCharSetId = r.Int(),
            Format = r.Text(FormatLength, trim: false),
            ReplyToQ = r.Text(QueueNameLength),
            ReplyToQMgr = r.Text(QMgrNameLength),
            UserIdentifier = r.Text(UserIdLength),
            PutApplName = r.Text(ApplNameLength),
            PutDateTime = DateTimeOffset.FromUnixTimeMilliseconds(r.Long()),
            BackoutCount = r.Int(),
        };
        return length == TracedLength ? descriptor with { TraceContext = ReadTraceContext(src[Length..TracedLength]) } : descriptor;
    }

    /// <summary>The trace context of the descriptor <paramref name="src"/> starts with, without decoding the rest; none for version 1 or bytes that are not one.</summary>
    public static ActivityContext TraceContextOf(ReadOnlySpan<byte> src) =>
        PeekLength(src) == TracedLength && src.Length >= TracedLength ? ReadTraceContext(src[Length..TracedLength]) : default;

    /// <summary>
    /// The trace context a version-2 descriptor carries, as a remote parent; none when its ids are the all-zero ids W3C
    /// calls invalid (a peer's bytes, so never an exception: the message is delivered, only untraced).
    /// </summary>
    private static ActivityContext ReadTraceContext(ReadOnlySpan<byte> trace)
    {
        return trace[..16].IndexOfAnyExcept((byte)0) < 0 || trace[16..24].IndexOfAnyExcept((byte)0) < 0
            ? default
            : new ActivityContext(ActivityTraceId.CreateFromBytes(trace[..16]), ActivitySpanId.CreateFromBytes(trace[16..24]), (ActivityTraceFlags)(trace[24] & 1), isRemote: true);
    }

    /// <summary>Checks that every text field fits its fixed width; returns the offending field or null.</summary>
    public static string? FindOversizedField(MessageDescriptor d)
    {
        if (Encoding.UTF8.GetByteCount(d.Format) > FormatLength)
        {
            return nameof(d.Format);
        }

        if (Encoding.UTF8.GetByteCount(d.ReplyToQ) > QueueNameLength)
        {
            return nameof(d.ReplyToQ);
        }

        if (Encoding.UTF8.GetByteCount(d.ReplyToQMgr) > QMgrNameLength)
        {
            return nameof(d.ReplyToQMgr);
        }

        if (Encoding.UTF8.GetByteCount(d.UserIdentifier) > UserIdLength)
        {
            return nameof(d.UserIdentifier);
        }

        if (Encoding.UTF8.GetByteCount(d.PutApplName) > ApplNameLength)
        {
            return nameof(d.PutApplName);
        }

        return null;
    }

    internal ref struct FieldWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _pos;

        public Span<byte> Take(int n)
        {
            var s = _buffer.Slice(_pos, n);
            _pos += n;
            return s;
        }

        public void Bytes(ReadOnlySpan<byte> b) => b.CopyTo(Take(b.Length));

        public void Int(int v) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), v);

        public void Long(long v) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), v);

        public void Text(string s, int width)
        {
            var field = Take(width);
            field.Fill((byte)' ');
            if (Encoding.UTF8.GetByteCount(s) > width)
            {
                throw new ArgumentException($"'{s}' does not fit a {width}-byte field.");
            }

            Encoding.UTF8.GetBytes(s, field);
        }
    }

    internal ref struct FieldReader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _pos;

        public ReadOnlySpan<byte> Take(int n)
        {
            var s = _buffer.Slice(_pos, n);
            _pos += n;
            return s;
        }

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public string Text(int width, bool trim = true)
        {
            var field = Take(width);
            return TextCache.Get(trim ? field.TrimEnd((byte)' ') : field);
        }
    }
}
