using System.Buffers;
using System.Buffers.Binary;
using ActorQm.Protocol;

namespace ActorQm.Tls;

/// <summary>
/// Reads length-prefixed frames (<see cref="FrameStream"/>) through one reused buffer: one read of the stream brings in as
/// many frames as it has ready (a TLS record holds some sixteen 1 KiB frames), instead of two reads per frame. A frame
/// longer than the buffer gets a buffer of its own size for as long as it is read; the length is checked against the
/// bound before anything of the frame is read or allocated (docs/protocol.md, "Framing"). While nothing is buffered the
/// buffer is back in the pool, so an idle connection holds none.
/// </summary>
internal sealed class BufferedFrameReader(Stream stream, int maxFrameBytes, int bufferBytes = BufferedFrameReader.DefaultBufferBytes) : IDisposable
{
    public const int DefaultBufferBytes = 64 * 1024;
    private const int HeaderBytes = FrameStream.HeaderBytes;
    private byte[] _buffer = [];
    private int _start;
    private int _end;

    /// <summary>The body of the current frame (its header excluded); valid until the next <see cref="NextAsync"/> or <see cref="Take"/>.</summary>
    public ReadOnlySpan<byte> Current => _buffer.AsSpan(_start + HeaderBytes, LengthAt(_start));

    /// <summary>
    /// Makes the next frame <see cref="Current"/>, reading as much as needed; false when the stream ends between frames.
    /// The stream ending inside a frame is <see cref="EndOfStreamException"/>; a length over the bound is
    /// <see cref="FrameLengthException"/>.
    /// </summary>
    public async ValueTask<bool> NextAsync(CancellationToken cancel)
    {
        while (_end - _start < HeaderBytes)
        {
            if (!await FillAsync(HeaderBytes, cancel).ConfigureAwait(false))
            {
                return _end == _start ? false : throw new EndOfStreamException();
            }
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        if (length < 0 || length > maxFrameBytes)
        {
            throw new FrameLengthException(length, maxFrameBytes);
        }

        while (_end - _start < HeaderBytes + length)
        {
            if (!await FillAsync(HeaderBytes + length, cancel).ConfigureAwait(false))
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
            if (length < 0 || length > maxFrameBytes || _end - at - HeaderBytes < length || !take(_buffer.AsSpan(at + HeaderBytes, length)))
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
        _start += bytes;
    }

    /// <summary>Copies the current frame's body into <paramref name="destination"/> and moves past it.</summary>
    public void TakeCurrent(Span<byte> destination)
    {
        var length = LengthAt(_start);
        _buffer.AsSpan(_start + HeaderBytes, length).CopyTo(destination);
        _start += HeaderBytes + length;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private int LengthAt(int offset) => BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(offset));

    /// <summary>Reads once more so that <paramref name="needed"/> bytes from the current frame on can be held; false at the end of the stream.</summary>
    private async ValueTask<bool> FillAsync(int needed, CancellationToken cancel)
    {
        if (_start == _end)
        {
            // Nothing buffered: the buffer goes back to the pool while the stream has nothing to read (a zero-byte read
            // waits for data without a buffer), so an idle connection holds none.
            (_start, _end) = (0, 0);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }

            await stream.ReadAsync(Memory<byte>.Empty, cancel).ConfigureAwait(false);
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, bufferBytes));
        }

        if (_buffer.Length - _start < needed)
        {
            // Move what is left of the buffer to the front, or into a larger buffer for a frame that does not fit.
            var target = _buffer.Length < needed ? ArrayPool<byte>.Shared.Rent(needed) : _buffer;
            _buffer.AsSpan(_start, _end - _start).CopyTo(target);
            if (!ReferenceEquals(target, _buffer))
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = target;
            }

            (_start, _end) = (0, _end - _start);
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancel).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}
