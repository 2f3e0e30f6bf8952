using System.Buffers;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>
/// Lays message frames out with their length headers in pooled buffers of at most <see cref="ChunkBytes"/> and hands each
/// full buffer to the transport as one <see cref="Transport.SendFrames"/>: a batch costs a few commands and no allocation
/// per message (a message larger than a chunk gets a buffer of its own). Buffers are rented at the size the caller expects
/// to fill, not always a full chunk, so the pool keeps enough of them to hand out while several wait to be written.
/// </summary>
/// <param name="expectedBytes">What the caller expects to add, headers included (<see cref="FrameBytes"/>), or 0 when it cannot say: buffers are then full chunks.</param>
/// <param name="written">When given, each buffer carries the ack <c>written(bytes)</c>, told back by the transport once it is written.</param>
internal sealed class FrameBatch(IActorRef transport, int expectedBytes = 0, Func<int, object>? written = null)
{
    private const int ChunkBytes = 256 * 1024;
    private IMemoryOwner<byte>? _buffer;
    private int _used;
    private int _expected = expectedBytes;

    /// <summary>Bytes laid out so far, headers included: what the <c>written</c> acks of all its buffers add up to.</summary>
    public long Added { get; private set; }

    /// <summary>The bytes a frame of <paramref name="length"/> takes in a batch: its length header and itself.</summary>
    public static int FrameBytes(int length) => FrameStream.HeaderBytes + length;

    /// <summary>Adds one frame of <paramref name="length"/> bytes, written by <paramref name="write"/> into the span it is given.</summary>
    public void Add<TState>(int length, TState state, SpanAction<byte, TState> write)
    {
        var needed = FrameBytes(length);
        if (_buffer is not null && _used + needed > _buffer.Memory.Length)
        {
            Flush();
        }

        _buffer ??= MemoryPool<byte>.Shared.Rent(Math.Max(needed, _expected > 0 ? Math.Min(_expected, ChunkBytes) : ChunkBytes));
        var span = _buffer.Memory.Span[_used..];
        FrameStream.WriteHeader(span, length);
        write(span.Slice(FrameStream.HeaderBytes, length), state);
        _used += needed;
        _expected -= needed;
        Added += needed;
    }

    /// <summary>Hands what is laid out to the transport.</summary>
    public void Flush()
    {
        if (_buffer is not null)
        {
            transport.Tell(new Transport.SendFrames(_buffer, _used, written?.Invoke(_used)));
            (_buffer, _used) = (null, 0);
        }
    }
}
