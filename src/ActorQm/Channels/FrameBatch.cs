using System.Buffers;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>
/// Lays message frames out with their length headers in pooled buffers of about <see cref="ChunkBytes"/> and hands each
/// full buffer to the transport as one <see cref="Transport.SendFrames"/>: a batch costs a few commands and no allocation
/// per message (a message larger than a chunk gets a buffer of its own).
/// </summary>
internal sealed class FrameBatch(IActorRef transport)
{
    private const int ChunkBytes = 256 * 1024;
    private IMemoryOwner<byte>? _buffer;
    private int _used;

    /// <summary>Adds one frame of <paramref name="length"/> bytes, written by <paramref name="write"/> into the span it is given.</summary>
    public void Add<TState>(int length, TState state, SpanAction<byte, TState> write)
    {
        var needed = FrameStream.HeaderBytes + length;
        if (_buffer is not null && _used + needed > _buffer.Memory.Length)
        {
            Flush();
        }

        _buffer ??= MemoryPool<byte>.Shared.Rent(Math.Max(needed, ChunkBytes));
        var span = _buffer.Memory.Span[_used..];
        FrameStream.WriteHeader(span, length);
        write(span.Slice(FrameStream.HeaderBytes, length), state);
        _used += needed;
    }

    /// <summary>Hands what is laid out to the transport.</summary>
    public void Flush()
    {
        if (_buffer is not null)
        {
            transport.Tell(new Transport.SendFrames(_buffer, _used));
            (_buffer, _used) = (null, 0);
        }
    }
}
