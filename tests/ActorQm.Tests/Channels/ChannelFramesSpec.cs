using ActorQm.Channels;
using ActorQm.Protocol;

namespace ActorQm.Tests.Channels;

public sealed class ChannelFramesSpec
{
    public static TheoryData<Segment> Segments() =>
    [
        new InitialData("QM1.TO.QM2", ChannelType.Sender, "QM1", 50, 4_194_304, 300, 999_999_999, "TLS_AES_128_GCM_SHA256", 17, 23),
        new InitialDataReply("QM2", 20, 1000, 60, 17),
        new BatchEnd(99, 7),
        new Confirm(99),
        new Heartbeat(true),
        new StatusSegment("AMQ9636E", 2035, "does not match SSLPEER"),
        new CloseSegment("STOP CHANNEL"),
    ];

    [Theory]
    [MemberData(nameof(Segments))]
    public void ChannelFrames_must_round_trip_every_segment(Segment segment)
    {
        var (decoded, error) = ChannelFrames.Decode(ChannelFrames.Encode(segment));
        Assert.Null(error);
        Assert.Equal(segment, decoded);
    }

    [Fact]
    public void ChannelFrames_must_round_trip_a_message()
    {
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var (decoded, error) = ChannelFrames.Decode(ChannelFrames.Encode(new MessageSegment(5, true, payload)));
        Assert.Null(error);
        var m = Assert.IsType<MessageSegment>(decoded);
        Assert.Equal(5, m.Seq);
        Assert.True(m.Persistent);
        Assert.Equal(payload, m.XmitMessage);
    }

    [Fact]
    public void ChannelFrames_must_reject_every_truncation_of_a_segment_with_a_reason()
    {
        var frame = ChannelFrames.Encode(new InitialData("C", ChannelType.Sender, "QM1", 50, 1000, 300, 999_999_999, "ANY", 0, 0));
        for (var length = 0; length < frame.Length; length++)
        {
            var (decoded, error) = ChannelFrames.Decode(frame.AsSpan(0, length));
            Assert.Null(decoded);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Theory]
    [InlineData(new byte[] { 2, 1 }, "version")]
    [InlineData(new byte[] { 1, 99 }, "unknown segment type 99")]
    [InlineData(new byte[] { 1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF }, "after its end")]
    [InlineData(new byte[] { 1, 8, 0xFF, 0xFF }, "exceeds")]
    [InlineData(new byte[] { 1, 8, 0, 2, 0xC3, 0x28 }, "UTF-8")]
    public void ChannelFrames_must_reject_malformed_input(byte[] frame, string reason)
    {
        var (decoded, error) = ChannelFrames.Decode(frame);
        Assert.Null(decoded);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelFrames_must_reject_an_unknown_channel_type()
    {
        var frame = ChannelFrames.Encode(new InitialData("C", ChannelType.Sender, "QM1", 50, 1000, 300, 999_999_999, "ANY", 0, 0));
        frame[2 + 2 + 1] = 9;
        var (decoded, error) = ChannelFrames.Decode(frame);
        Assert.Null(decoded);
        Assert.Contains("channel type 9", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelFrames_must_never_throw_on_random_input()
    {
        var random = new Random(20261127);
        for (var i = 0; i < 20_000; i++)
        {
            var frame = new byte[random.Next(0, 64)];
            random.NextBytes(frame);
            if (frame.Length > 0)
            {
                frame[0] = 1;
            }

            var (decoded, error) = ChannelFrames.Decode(frame);
            Assert.True(decoded is not null ^ error is not null);
        }
    }

    [Fact]
    public void ChannelFrames_must_read_an_earlier_release_s_initial_data_as_fast_without_trace_context()
    {
        // An earlier release writes the last byte as 1 (FAST) or 0; this one adds 2 for "reads trace context".
        var reply = ChannelFrames.Encode(new InitialDataReply("QM2", 50, 4096, 300, 7, FastNonPersistent: true, ReadsTraceContext: true));
        var earlier = (byte[])reply.Clone();
        earlier[^1] = 1;

        Assert.Equal(3, reply[^1]);
        var read = Assert.IsType<InitialDataReply>(ChannelFrames.Decode(earlier).Segment);
        Assert.Equal((true, false), (read.FastNonPersistent, read.ReadsTraceContext));
        var both = Assert.IsType<InitialDataReply>(ChannelFrames.Decode(reply).Segment);
        Assert.Equal((true, true), (both.FastNonPersistent, both.ReadsTraceContext));
    }

    [Fact]
    public void ChannelFrames_must_write_a_client_frame_once_into_an_array_of_its_size()
    {
        var body = new byte[16 * 1024];
        Random.Shared.NextBytes(body);
        Segment[] segments =
        [
            new ClientRequest(7, ClientOp.Put, body),
            new ClientResponse(8, 2033, "no message ü", body),
            new ClientMessages(9, 0, new string('x', 600), body),
        ];
        foreach (var segment in segments)
        {
            ChannelFrames.Encode(segment);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var frame = ChannelFrames.Encode(segment);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            var (decoded, error) = ChannelFrames.Decode(frame);
            Assert.Null(error);
            Assert.Equal(frame, ChannelFrames.Encode(decoded!));
            // The frame and a little: no growing buffer, no copy of it at the end.
            Assert.True(allocated < frame.Length + 2048, $"{segment.GetType().Name}: {allocated} bytes allocated for a frame of {frame.Length}");
        }
    }

    [Fact]
    public void ChannelFrames_must_cut_a_long_text_to_the_protocols_1024_bytes_between_characters()
    {
        // 400 three-byte characters are 1,200 bytes; 300 four-byte ones (surrogate pairs) 1,200 too.
        foreach (var text in new[] { new string('€', 400), string.Concat(Enumerable.Repeat("😀", 300)) })
        {
            var frame = ChannelFrames.Encode(new StatusSegment("AMQ9999E", 2195, text));
            var status = Assert.IsType<StatusSegment>(ChannelFrames.Decode(frame).Segment);
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(status.Text) <= ChannelFrames.MaxStringBytes);
            Assert.StartsWith(status.Text, text, StringComparison.Ordinal);
            Assert.DoesNotContain('\uFFFD', status.Text);
        }
    }
}
