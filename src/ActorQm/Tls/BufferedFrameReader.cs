using System.Buffers;
using System.Buffers.Binary;
using ActorQm.Protocol;

namespace ActorQm.Tls;

/// <summary>
/// Reads length-prefixed frames (<see cref="FrameStream"/>) through one reused buffer: one read of the stream brings in as
/// many frames as it has ready (a TLS record holds some sixteen 1 KiB frames), instead of two reads per frame. A frame
/// that does not fit the buffer is read straight into a buffer of its own that grows with what has arrived, never with
/// what the peer announced; the length is checked against the bound before anything of the frame is read (docs/protocol.md,
/// "Framing"). Whenever nothing is buffered the buffer is back in the pool, so a connection that waits holds none.
/// </summary>
internal sealed class BufferedFrameReader(Stream stream, int maxFrameBytes, int bufferBytes = BufferedFrameReader.DefaultBufferBytes) : IDisposable
{
    public const int DefaultBufferBytes = 64 * 1024;
    private const int HeaderBytes = FrameStream.HeaderBytes;
    private byte[] _buffer = [];

    /// <summary>The largest frame accepted from now on (an accepting transport raises it after the first frame).</summary>
    public int MaxFrameBytes { get; set; } = maxFrameBytes;

    private int _start;
    private int _end;

    /// <summary>The current frame does not fit the buffer: take it with <see cref="TakeLargeAsync"/>, not <see cref="Current"/>.</summary>
    public bool IsLarge { get; private set; }

    /// <summary>The body of the current frame (its header excluded); valid until the next <see cref="NextAsync"/> or take.</summary>
    public ReadOnlySpan<byte> Current => _buffer.AsSpan(_start + HeaderBytes, LengthAt(_start));

    /// <summary>
    /// Makes the next frame current, reading as much as needed (for a large one, only its header); false when the stream
    /// ends between frames. The stream ending inside a frame is <see cref="EndOfStreamException"/>; a length over the bound
    /// is <see cref="FrameLengthException"/>.
    /// </summary>
    public async ValueTask<bool> NextAsync(CancellationToken cancel)
    {
        while (_end - _start < HeaderBytes)
        {
            if (!await FillAsync(cancel).ConfigureAwait(false))
            {
                return _end == _start ? false : throw new EndOfStreamException();
            }
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        if (length < 0 || length > MaxFrameBytes)
        {
            throw new FrameLengthException(length, MaxFrameBytes);
        }

        IsLarge = HeaderBytes + length > bufferBytes;
        while (!IsLarge && _end - _start < HeaderBytes + length)
        {
            if (!await FillAsync(cancel).ConfigureAwait(false))
            {
                throw new EndOfStreamException();
            }
        }

        return true;
    }

    /// <summary>
    /// How many whole frames from the current one on, at most <paramref name="max"/>, are already in the buffer and satisfy
    /// <paramref name="take"/> (the current one is taken as it is); and their bytes, headers included. Reads nothing.
    /// </summary>
    public (int Count, int Bytes) Run(Transport.FramePredicate take, int max)
    {
        var (count, at) = (1, _start + HeaderBytes + LengthAt(_start));
        while (count < max && _end - at >= HeaderBytes)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(at));
            if (length < 0 || length > MaxFrameBytes || _end - at - HeaderBytes < length || !take(_buffer.AsSpan(at + HeaderBytes, length)))
            {
                break;
            }

            (count, at) = (count + 1, at + HeaderBytes + length);
        }

        return (count, at - _start);
    }

    /// <summary>Copies <paramref name="bytes"/> from the current frame on (whole frames, headers included) into <paramref name="destination"/> and moves past them.</summary>
    public void Take(int bytes, Span<byte> destination)
    {
        _buffer.AsSpan(_start, bytes).CopyTo(destination);
        Consume(bytes);
    }

    /// <summary>Copies the current frame's body into <paramref name="destination"/> and moves past it.</summary>
    public void TakeCurrent(Span<byte> destination)
    {
        var length = LengthAt(_start);
        _buffer.AsSpan(_start + HeaderBytes, length).CopyTo(destination);
        Consume(HeaderBytes + length);
    }

    /// <summary>
    /// The current (large) frame's body in a pooled buffer of its own: what is buffered is copied, the rest read straight
    /// into it, which grows at most to twice what has arrived, so a peer that announces megabytes and sends little makes
    /// us hold little.
    /// </summary>
    public async ValueTask<(IMemoryOwner<byte> Frame, int Length)> TakeLargeAsync(CancellationToken cancel)
    {
        var length = LengthAt(_start);
        var buffered = Math.Min(_end - _start - HeaderBytes, length);
        var frame = MemoryPool<byte>.Shared.Rent(Math.Min(length, Math.Max(bufferBytes * 2, buffered)));
        try
        {
            _buffer.AsSpan(_start + HeaderBytes, buffered).CopyTo(frame.Memory.Span);
            Consume(HeaderBytes + buffered);
            IsLarge = false;
            for (var filled = buffered; filled < length;)
            {
                if (filled == frame.Memory.Length)
                {
                    var larger = MemoryPool<byte>.Shared.Rent(Math.Min(length, frame.Memory.Length * 2));
                    frame.Memory[..filled].CopyTo(larger.Memory);
                    frame.Dispose();
                    frame = larger;
                }

                var read = await stream.ReadAsync(frame.Memory[filled..Math.Min(frame.Memory.Length, length)], cancel).ConfigureAwait(false);
                filled += read > 0 ? read : throw new EndOfStreamException();
            }

            return (frame, length);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    public void Dispose() => Release();

    private int LengthAt(int offset) => BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(offset));

    private void Consume(int bytes)
    {
        _start += bytes;
        if (_start == _end)
        {
            Release();
        }
    }

    private void Release()
    {
        (_start, _end) = (0, 0);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Reads once more into the buffer (renting it after a zero-byte read when there is none); false at the end of the stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancel)
    {
        if (_buffer.Length == 0)
        {
            // A zero-byte read waits for data without a buffer.
            await stream.ReadAsync(Memory<byte>.Empty, cancel).ConfigureAwait(false);
            _buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        }
        else if (_end == _buffer.Length)
        {
            // Only the start of a frame that fits is left at the end: move it to the front.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_start, _end) = (0, _end - _start);
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancel).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}
