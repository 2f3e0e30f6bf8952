using System.Buffers.Binary;
using System.Diagnostics;
using ActorQm.Messages;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Messages;

/// <summary>The descriptor's two versions (docs/storage.md, "Descriptor blob"), as this release writes them and as a hostile partner may send them.</summary>
public sealed class DescriptorCodecSpec
{
    private static readonly ActivityContext Trace = new(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), ActivitySpanId.CreateFromString("b7ad6b7169203331"), ActivityTraceFlags.Recorded);

    private static readonly MessageDescriptor Untraced = TestMessages.Text("m", Persistence.Persistent).Descriptor with
    {
        MsgId = MqId.New(),
        ReplyToQ = "REPLY",
        PutDateTime = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
        BackoutCount = 2,
    };

    [Fact]
    public void DescriptorCodec_must_write_a_descriptor_without_trace_context_as_version_1_of_248_bytes()
    {
        var bytes = new byte[DescriptorCodec.TracedLength];

        var written = DescriptorCodec.Encode(Untraced, bytes);

        Assert.Equal((248, 1, 248), (written, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)), DescriptorCodec.PeekLength(bytes)));
        Assert.Equal(Untraced, DescriptorCodec.Decode(bytes.AsSpan(0, written)));
        Assert.Equal(default, DescriptorCodec.TraceContextOf(bytes));
    }

    [Fact]
    public void DescriptorCodec_must_carry_the_trace_context_in_version_2_and_read_it_back_as_a_remote_parent()
    {
        var traced = Untraced with { TraceContext = Trace };
        var bytes = new byte[DescriptorCodec.TracedLength];

        var written = DescriptorCodec.Encode(traced, bytes);
        var read = DescriptorCodec.Decode(bytes);

        Assert.Equal((280, 2), (written, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))));
        Assert.Equal((Trace.TraceId, Trace.SpanId, Trace.TraceFlags, true), (read.TraceContext.TraceId, read.TraceContext.SpanId, read.TraceContext.TraceFlags, read.TraceContext.IsRemote));
        Assert.Equal(Untraced, read with { TraceContext = default });
        Assert.Equal(read.TraceContext, DescriptorCodec.TraceContextOf(bytes));
    }

    [Theory]
    [InlineData(279)] // version 2 cut short: not a version-1 descriptor with extra bytes
    [InlineData(248)]
    public void DescriptorCodec_must_refuse_a_version_2_descriptor_shorter_than_280_bytes(int length)
    {
        var bytes = new byte[DescriptorCodec.TracedLength];
        DescriptorCodec.Encode(Untraced with { TraceContext = Trace }, bytes);

        Assert.Null(DescriptorCodec.TryDecode(bytes.AsSpan(0, length)));
        Assert.Throws<FormatException>(() => DescriptorCodec.Decode(bytes.AsSpan(0, length)));
        Assert.Equal(default, DescriptorCodec.TraceContextOf(bytes.AsSpan(0, length)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void DescriptorCodec_must_refuse_a_version_it_does_not_know(int version)
    {
        var bytes = new byte[DescriptorCodec.TracedLength];
        DescriptorCodec.Encode(Untraced with { TraceContext = Trace }, bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), version);

        Assert.Equal(0, DescriptorCodec.PeekLength(bytes));
        Assert.Null(DescriptorCodec.TryDecode(bytes));
    }

    [Theory]
    [InlineData(248, 16)] // trace id all zeros
    [InlineData(264, 8)] // span id all zeros
    public void DescriptorCodec_must_deliver_a_message_whose_trace_ids_are_invalid_untraced_instead_of_refusing_it(int offset, int length)
    {
        var bytes = new byte[DescriptorCodec.TracedLength];
        DescriptorCodec.Encode(Untraced with { TraceContext = Trace }, bytes);
        bytes.AsSpan(offset, length).Clear();

        var read = DescriptorCodec.Decode(bytes);

        Assert.Equal(Untraced, read);
    }

    [Fact]
    public void DescriptorCodec_must_keep_only_the_sampled_flag_a_partner_sends()
    {
        var bytes = new byte[DescriptorCodec.TracedLength];
        DescriptorCodec.Encode(Untraced with { TraceContext = Trace }, bytes);
        bytes[272] = 0xFE;

        Assert.Equal(ActivityTraceFlags.None, DescriptorCodec.Decode(bytes).TraceContext.TraceFlags);
    }

    [Fact]
    public void TransmissionHeader_must_take_the_length_of_the_descriptor_it_holds_and_keep_the_data_whole()
    {
        var data = new byte[] { 1, 2, 3 };
        var plain = TransmissionHeader.Wrap(new MqMessage(Untraced, data), "APP.IN", "QM2");
        var traced = TransmissionHeader.Wrap(new MqMessage(Untraced with { TraceContext = Trace }, data), "APP.IN", "QM2");

        var (plainHeader, plainData) = TransmissionHeader.Unwrap(plain);
        var (tracedHeader, tracedData) = TransmissionHeader.Unwrap(traced);

        Assert.Equal((352, 384), (plainHeader.Length, tracedHeader.Length));
        Assert.Equal(data, plainData.ToArray());
        Assert.Equal(data, tracedData.ToArray());
        Assert.Equal(Trace.TraceId, tracedHeader.Original.TraceContext.TraceId);
        Assert.Equal((default, Trace.SpanId), (TransmissionHeader.TraceContextOf(plain.Payload.Span), TransmissionHeader.TraceContextOf(traced.Payload.Span).SpanId));
        Assert.Null(TransmissionHeader.TryRead(traced.Payload.Span[..383]));
    }

    [Fact]
    public void DescriptorCodec_must_write_a_context_with_a_zero_span_id_as_an_untraced_version_1()
    {
        var half = Untraced with { TraceContext = new ActivityContext(Trace.TraceId, default, ActivityTraceFlags.Recorded) };
        var wrapped = TransmissionHeader.Wrap(new MqMessage(half, new byte[] { 7 }), "APP.IN", "QM2");

        Assert.Equal(DescriptorCodec.Length, DescriptorCodec.LengthOf(half));
        Assert.Equal(new byte[] { 7 }, TransmissionHeader.Unwrap(wrapped).Data.ToArray());
    }

    [Fact]
    public void DescriptorCodec_must_refuse_text_fields_that_are_not_UTF_8()
    {
        var bytes = new byte[DescriptorCodec.Length];
        DescriptorCodec.Encode(Untraced, bytes);
        bytes.AsSpan(88, 8).Fill(0xFF);

        Assert.Null(DescriptorCodec.TryDecode(bytes));
        Assert.Throws<FormatException>(() => DescriptorCodec.Decode(bytes));
    }

    [Fact]
    public void TransmissionHeader_must_drop_only_the_trace_context_for_a_partner_that_reads_version_1()
    {
        var data = new byte[] { 1, 2, 3 };
        var plain = TransmissionHeader.Wrap(new MqMessage(Untraced, data), "APP.IN", "QM2").Payload;
        var traced = TransmissionHeader.Wrap(new MqMessage(Untraced with { TraceContext = Trace }, data), "APP.IN", "QM2").Payload;

        var stripped = TransmissionHeader.WithoutTraceContext(traced);

        Assert.True(plain.Equals(TransmissionHeader.WithoutTraceContext(plain)));
        Assert.Equal(plain.ToArray(), stripped.ToArray());
    }
}
