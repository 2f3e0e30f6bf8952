using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ActorQm.Messages;

/// <summary>
/// A 24-byte MQ identifier (MsgId, CorrelId). A value type so that matching and copying
/// never allocate on the put/get path.
/// </summary>
public readonly record struct MqId(ulong A, ulong B, ulong C)
{
    public const int Length = 24;

    public static readonly MqId None = default;

    public bool IsNone => A == 0 && B == 0 && C == 0;

    public static MqId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > Length)
        {
            throw new ArgumentException($"An MQ identifier is at most {Length} bytes.", nameof(bytes));
        }

        Span<byte> padded = stackalloc byte[Length];
        padded.Clear();
        bytes.CopyTo(padded);
        return new MqId(
            BinaryPrimitives.ReadUInt64BigEndian(padded),
            BinaryPrimitives.ReadUInt64BigEndian(padded[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(padded[16..]));
    }

    /// <summary>A text identifier blank-padded (with zero bytes) to 24 bytes, as MQ applications often use.</summary>
    public static MqId FromString(string text) => FromBytes(System.Text.Encoding.UTF8.GetBytes(text));

    public static MqId New() => FromBytes(RandomNumberGenerator.GetBytes(Length));

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString() => Convert.ToHexString(ToArray());
}
