using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Wire;

/// <summary>Message bodies of client calls and answers as a hostile peer may send them (docs/protocol.md, "Client calls").</summary>
public sealed class ClientProtocolSpec
{
    private static readonly MqMessage Message = TestMessages.Text("hello");

    [Fact]
    public void ClientProtocol_must_read_back_what_it_wrote()
    {
        var w = new FrameWriter();
        ClientProtocol.WriteMessages(w, [Message, Message]);

        var read = ClientProtocol.ReadMessages(w.ToArray());

        Assert.Equal(["hello", "hello"], read!.Select(TestMessages.Text));
    }

    [Theory]
    [InlineData(0, (byte)'X')] // StrucId "XD  "
    [InlineData(4, (byte)7)] // version 7
    public void ClientProtocol_must_refuse_a_frame_of_messages_whose_descriptor_is_not_one_instead_of_throwing(int offset, byte value)
    {
        var w = new FrameWriter();
        ClientProtocol.WriteMessages(w, [Message]);
        var body = w.ToArray();
        // Count (4) and length (4) come first, then the descriptor.
        body[8 + offset] = value;

        Assert.Null(ClientProtocol.ReadMessages(body));
        var r = new FrameReader(body.AsSpan(8));
        Assert.Null(ClientProtocol.ReadMessage(ref r));
    }

    [Fact]
    public void ClientProtocol_must_refuse_a_message_shorter_than_its_descriptor()
    {
        var w = new FrameWriter();
        ClientProtocol.WriteMessage(w, Message);
        var r = new FrameReader(w.ToArray().AsSpan(0, DescriptorCodec.Length - 1));

        Assert.Null(ClientProtocol.ReadMessage(ref r));
    }

    [Fact]
    public void ClientProtocol_must_read_messages_with_and_without_trace_context_side_by_side()
    {
        var context = new System.Diagnostics.ActivityContext(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded);
        var traced = Message with { Descriptor = Message.Descriptor with { TraceContext = context } };
        var w = new FrameWriter();
        ClientProtocol.WriteMessages(w, [Message, traced, Message]);

        var read = ClientProtocol.ReadMessages(w.ToArray())!;

        Assert.Equal(["hello", "hello", "hello"], read.Select(TestMessages.Text));
        Assert.Equal([default, context.TraceId, default], read.Select(m => m.Descriptor.TraceContext.TraceId));
    }

    [Fact]
    public void ClientProtocol_must_refuse_a_message_whose_length_stops_inside_its_traced_descriptor()
    {
        var traced = Message with { Descriptor = Message.Descriptor with { TraceContext = new(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), default) } };
        var w = new FrameWriter();
        ClientProtocol.WriteMessages(w, [traced]);
        var body = w.ToArray();
        // The message's length says 250: past a version-1 descriptor, inside the version-2 one it starts.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), 250);

        Assert.Null(ClientProtocol.ReadMessages(body.AsSpan(0, 8 + 250)));
    }
}
