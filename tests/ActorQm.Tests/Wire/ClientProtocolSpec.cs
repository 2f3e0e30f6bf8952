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
}
