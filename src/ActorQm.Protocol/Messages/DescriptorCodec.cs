using System.Buffers.Binary;
using System.Text;

namespace ActorQm.Messages;

/// <summary>
/// Fixed-length binary form of a <see cref="MessageDescriptor"/>: the journal row and the
/// descriptor embedded in transmission headers. Fixed length keeps decoding branch-free and lets
/// headers be sliced without a length prefix. Layout in docs/storage.md.
/// </summary>
internal static class DescriptorCodec
{
    public const int Length = 248;
    public const int QueueNameLength = 48;
    public const int QMgrNameLength = 48;
    private const int UserIdLength = 12;
    private const int ApplNameLength = 28;
    private const int FormatLength = 8;
    private const int Version = 1;
    private static readonly byte[] StrucId = "MD  "u8.ToArray();

    public static void Encode(MessageDescriptor d, Span<byte> dst)
    {
        if (dst.Length < Length)
        {
            throw new ArgumentException("Destination too short for a message descriptor.", nameof(dst));
        }

        var w = new FieldWriter(dst);
        w.Bytes(StrucId);
        w.Int(Version);
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
    }

    /// <summary>The descriptor, or null when the bytes are not one this release writes (wrong StrucId or version, too short).</summary>
    public static MessageDescriptor? TryDecode(ReadOnlySpan<byte> src) =>
        src.Length >= Length && src[..4].SequenceEqual(StrucId) && BinaryPrimitives.ReadInt32LittleEndian(src[4..]) == Version ? Decode(src) : null;

    public static MessageDescriptor Decode(ReadOnlySpan<byte> src)
    {
        if (src.Length < Length || !src[..4].SequenceEqual(StrucId))
        {
            throw new FormatException("Not a message descriptor (StrucId 'MD  ' expected).");
        }

        var r = new FieldReader(src);
        r.Take(4);
        var version = r.Int();
        if (version != Version)
        {
            throw new FormatException($"Unsupported message descriptor version {version}.");
        }

        return new MessageDescriptor
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
            var s = Encoding.UTF8.GetString(Take(width));
            return trim ? s.TrimEnd(' ') : s;
        }
    }
}
