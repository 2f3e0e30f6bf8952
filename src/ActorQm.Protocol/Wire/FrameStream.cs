using System.Buffers;
using System.Buffers.Binary;

namespace ActorQm.Protocol;

/// <summary>
/// The framing of the channel protocol over a stream (docs/protocol.md): each frame is a 4-byte big-endian length and
/// that many bytes. The runtime's transport actor and the client both frame with it.
/// </summary>
public static class FrameStream
{
    /// <summary>Bytes of the length that precedes each frame.</summary>
    public const int HeaderBytes = 4;

    /// <summary>Writes the length header of a frame of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length) => BinaryPrimitives.WriteInt32BigEndian(destination, length);

    /// <summary>
    /// The length of the next frame, read into <paramref name="header"/> (<see cref="HeaderBytes"/> long); null when the
    /// stream ends before a header. A length outside 0..<paramref name="maxFrameBytes"/> is <see cref="FrameLengthException"/>:
    /// nothing of such a frame is read, so a peer cannot make us allocate what it announces.
    /// </summary>
    public static async ValueTask<int?> ReadLengthAsync(Stream stream, Memory<byte> header, int maxFrameBytes, CancellationToken cancel)
    {
        if (await stream.ReadAtLeastAsync(header[..HeaderBytes], HeaderBytes, throwOnEndOfStream: false, cancel).ConfigureAwait(false) < HeaderBytes)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.Span);
        return length < 0 || length > maxFrameBytes ? throw new FrameLengthException(length, maxFrameBytes) : length;
    }

    /// <summary>Writes one frame, header and body in one write from a pooled buffer, and flushes.</summary>
    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> frame, CancellationToken cancel)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderBytes + frame.Length);
        try
        {
            WriteHeader(buffer, frame.Length);
            frame.CopyTo(buffer.AsMemory(HeaderBytes));
            await stream.WriteAsync(buffer.AsMemory(0, HeaderBytes + frame.Length), cancel).ConfigureAwait(false);
            await stream.FlushAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>The peer announced a frame longer than the bound (or a negative length): a protocol error (AMQ9504E).</summary>
public sealed class FrameLengthException(int length, int maxFrameBytes)
    : IOException($"protocol error: the remote end announced a frame of {length} bytes (maximum {maxFrameBytes})")
{
    public int Length { get; } = length;

    public int MaxFrameBytes { get; } = maxFrameBytes;
}
