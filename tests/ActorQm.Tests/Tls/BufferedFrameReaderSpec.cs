using System.Buffers.Binary;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BufferedFrameReaderSpec(ITestOutputHelper output)
{
    private static byte[] Wire(IEnumerable<byte[]> frames)
    {
        var wire = new MemoryStream();
        foreach (var frame in frames)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, frame.Length);
            wire.Write(header);
            wire.Write(frame);
        }

        return wire.ToArray();
    }

    private static async Task<List<byte[]>> ReadAll(BufferedFrameReader reader)
    {
        var frames = new List<byte[]>();
        while (await reader.NextAsync(CancellationToken.None))
        {
            if (reader.IsLarge)
            {
                var (large, length) = await reader.TakeLargeAsync(CancellationToken.None);
                using (large)
                {
                    frames.Add(large.Memory[..length].ToArray());
                }

                continue;
            }

            var frame = new byte[reader.Current.Length];
            reader.TakeCurrent(frame);
            frames.Add(frame);
        }

        return frames;
    }

    [Fact]
    public async Task BufferedFrameReader_must_read_every_frame_whole_however_the_stream_cuts_the_bytes()
    {
        var random = new Random(PersistentStream.Seed(output.WriteLine));
        // Empty frames, small ones, one just under and one far over the 64 KiB buffer.
        var frames = Enumerable.Range(0, 200).Select(n => n % 50 == 7 ? [] : RandomBytes(random, random.Next(1, 3000)))
            .Append(RandomBytes(random, BufferedFrameReader.DefaultBufferBytes - 4)).Append(RandomBytes(random, 300_000)).Append(RandomBytes(random, 10)).ToList();
        foreach (var maxRead in new[] { 1, 3, 4, 5, 1000, 16 * 1024, int.MaxValue })
        {
            using var reader = new BufferedFrameReader(new ChoppyStream(Wire(frames), maxRead, random), 1 << 20);
            Assert.Equal(frames, await ReadAll(reader));
        }
    }

    [Fact]
    public async Task BufferedFrameReader_must_refuse_an_oversized_length_before_reading_the_frame()
    {
        var wire = Wire([new byte[10], new byte[2000]]);
        var stream = new ChoppyStream(wire, int.MaxValue, new Random(1));
        using var reader = new BufferedFrameReader(stream, 1000);
        Assert.True(await reader.NextAsync(CancellationToken.None));
        reader.TakeCurrent(new byte[10]);
        var refused = await Assert.ThrowsAsync<FrameLengthException>(() => reader.NextAsync(CancellationToken.None).AsTask());
        Assert.Equal(2000, refused.Length);
        // A negative length is refused the same way.
        var negative = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(negative, -5);
        using var second = new BufferedFrameReader(new MemoryStream(negative), 1000);
        await Assert.ThrowsAsync<FrameLengthException>(() => second.NextAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task BufferedFrameReader_must_hold_for_a_large_frame_what_arrived_not_what_was_announced()
    {
        // A peer announces 4 MB, sends 100 KB and stops: no read asks for room far beyond what came.
        var wire = Wire([new byte[4_000_000]])[..(4 + 100_000)];
        var stream = new ChoppyStream(wire, 16 * 1024, new Random(3));
        using var reader = new BufferedFrameReader(stream, 8_000_000);
        Assert.True(await reader.NextAsync(CancellationToken.None));
        Assert.True(reader.IsLarge);

        await Assert.ThrowsAsync<EndOfStreamException>(() => reader.TakeLargeAsync(CancellationToken.None).AsTask());
        Assert.True(stream.ReadSizes.Max() <= 2 * 100_000 + (128 * 1024), $"a read asked for {stream.ReadSizes.Max()} bytes");
    }

    [Fact]
    public async Task BufferedFrameReader_must_tell_an_end_between_frames_from_an_end_inside_one()
    {
        var wire = Wire([[1, 2, 3], [4, 5, 6, 7]]);
        using var whole = new BufferedFrameReader(new MemoryStream(wire), 100);
        Assert.Equal(2, (await ReadAll(whole)).Count);

        for (var cut = 1; cut < wire.Length; cut++)
        {
            if (cut == 7)
            {
                continue; // the end of the first frame: an end between frames
            }

            using var reader = new BufferedFrameReader(new MemoryStream(wire[..cut]), 100);
            await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAll(reader));
        }
    }

    [Fact]
    public async Task BufferedFrameReader_must_run_only_whole_frames_already_read_that_the_predicate_takes_up_to_the_maximum()
    {
        byte[][] frames = [[1, 0], [1, 1], [1, 2], [2, 0], [1, 3], [1, 4]];
        using var reader = new BufferedFrameReader(new MemoryStream(Wire(frames)), 100);
        Assert.True(await reader.NextAsync(CancellationToken.None));
        static bool Ones(ReadOnlySpan<byte> f) => f[0] == 1;

        Assert.Equal((2, 12), reader.Run(Ones, max: 2));
        var (count, bytes) = reader.Run(Ones, max: 10);
        Assert.Equal((3, 18), (count, bytes));
        var run = new byte[bytes];
        reader.Take(bytes, run);
        var walked = new List<byte[]>();
        foreach (var frame in new Transport.FrameEnumerator(run))
        {
            walked.Add(frame.ToArray());
        }

        Assert.Equal(frames[..3], walked);
        Assert.True(await reader.NextAsync(CancellationToken.None));
        Assert.Equal([2, 0], reader.Current.ToArray());
    }

    [Fact]
    public async Task BufferedFrameReader_must_hold_no_buffer_while_the_stream_has_nothing_to_read()
    {
        var stream = new ChoppyStream(Wire([[9, 9, 9]]), int.MaxValue, new Random(2));
        using var reader = new BufferedFrameReader(stream, 100);
        Assert.True(await reader.NextAsync(CancellationToken.None));
        reader.TakeCurrent(new byte[3]);
        Assert.False(await reader.NextAsync(CancellationToken.None));
        // Each time it ran dry it waited with a zero-byte read before renting a buffer to read into.
        Assert.Equal([true, false, true, false], stream.ReadSizes.Select(size => size == 0));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Gives out at most a random number (up to <c>maxRead</c>) of its bytes per read, as a network does.</summary>
    private sealed class ChoppyStream(byte[] data, int maxRead, Random random) : Stream
    {
        private int _position;

        public List<int> ReadSizes { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ReadSizes.Add(buffer.Length);
            var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), random.Next(1, Math.Max(2, Math.Min(maxRead, int.MaxValue - 1) + 1)));
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
