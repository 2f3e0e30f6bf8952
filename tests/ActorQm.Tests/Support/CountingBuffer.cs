using System.Buffers;
using ActorQm.Protocol;

namespace ActorQm.Tests.Support;

/// <summary>
/// A pooled buffer that counts how often it is returned and refuses to be read once it has been: for specs of who owns a
/// channel's batch (<see cref="ActorQm.Tls.Transport.SendFrames"/>) on its way.
/// </summary>
internal sealed class CountingBuffer : IMemoryOwner<byte>
{
    private readonly IMemoryOwner<byte> _pooled;
    private int _returns;

    private CountingBuffer(int size) => _pooled = MemoryPool<byte>.Shared.Rent(size);

    /// <summary>How often <see cref="Dispose"/> was called: 1 once its owner is done with it, never more.</summary>
    public int Returns => Volatile.Read(ref _returns);

    /// <summary>The bytes laid out, headers included.</summary>
    public int Length { get; private init; }

    public Memory<byte> Memory => Returns == 0 ? _pooled.Memory : throw new ObjectDisposedException(nameof(CountingBuffer), "read after it went back to the pool");

    /// <summary>Frames laid out with their length headers, back to back, as a channel lays out its batch.</summary>
    public static CountingBuffer Frames(params byte[][] frames)
    {
        var length = frames.Sum(f => FrameStream.HeaderBytes + f.Length);
        var buffer = new CountingBuffer(length) { Length = length };
        var at = 0;
        foreach (var frame in frames)
        {
            FrameStream.WriteHeader(buffer._pooled.Memory.Span[at..], frame.Length);
            frame.CopyTo(buffer._pooled.Memory.Span[(at + FrameStream.HeaderBytes)..]);
            at += FrameStream.HeaderBytes + frame.Length;
        }

        return buffer;
    }

    /// <summary>The frames' bodies, in order.</summary>
    public static byte[][] Bodies(ReadOnlyMemory<byte> frames)
    {
        var bodies = new List<byte[]>();
        foreach (var frame in new ActorQm.Tls.Transport.FrameEnumerator(frames))
        {
            bodies.Add(frame.ToArray());
        }

        return [.. bodies];
    }

    public void Dispose()
    {
        if (Interlocked.Increment(ref _returns) == 1)
        {
            _pooled.Dispose();
        }
    }
}
