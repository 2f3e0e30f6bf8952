using System.Net.Security;
using System.Security.Authentication;
using ActorQm.Routing;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Tests.Routing;

public sealed class RoutedTransportActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output)
{
    [Fact]
    public async Task RoutedTransportActor_must_relay_a_batch_as_one_message_in_its_pooled_buffer_and_ack_it_once_written()
    {
        var router = CreateTestProbe("router");
        var owner = CreateTestProbe("owner");
        var peer = TestPki.Shared.Qm1;
        var session = new Session("QMR-1414-1", peer.RawData, [peer.RawData], SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", null, TimeSpan.Zero);
        var transport = Sys.ActorOf(Props.Create(() => new RoutedTransportActor(new Route("QMR", "127.0.0.1", 1, session, router.Ref), owner.Ref)));
        await router.ExpectMsgAsync<Attached>();
        await owner.ExpectMsgAsync<Transport.Connected>();

        // What a sending channel hands over: frames laid out with their headers in one pooled buffer, an ack for the lot.
        byte[][] frames = [[1, 2, 3], [], [4, 5, 6, 7, 8]];
        var buffer = CountingBuffer.Frames(frames);
        transport.Tell(new Transport.SendFrames(buffer, buffer.Length, "batch written"));

        // One message for the batch, in the channel's own buffer: not copied, and not returned here (the router owns it now).
        var relayed = await router.ExpectMsgAsync<OutboundFrames>();
        Assert.Same(buffer, relayed.Buffer);
        Assert.Equal(frames, CountingBuffer.Bodies(relayed.Frames));
        Assert.True(relayed.Ack);
        Assert.Equal(0, buffer.Returns);
        await router.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await owner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        transport.Tell(new FramesWritten(1));
        await owner.ExpectMsgAsync("batch written");
    }

    /// <summary>To another node a batch goes in pieces Akka.Remote carries: whole frames, in order, none cut, the longest alone.</summary>
    [Fact]
    public void RoutedTransportActor_must_cut_a_batch_for_another_node_into_pieces_of_whole_frames()
    {
        int[] lengths = [40_000, 40_000, 40_000, 200_000, 10, 0, 60_000];
        var batch = new List<byte>();
        for (var i = 0; i < lengths.Length; i++)
        {
            var header = new byte[ActorQm.Protocol.FrameStream.HeaderBytes];
            ActorQm.Protocol.FrameStream.WriteHeader(header, lengths[i]);
            batch.AddRange(header);
            batch.AddRange(Enumerable.Repeat((byte)i, lengths[i]));
        }

        var pieces = RoutedTransportActor.Pieces(batch.ToArray());

        Assert.Equal(batch, pieces.SelectMany(p => p));
        var frames = pieces.Select(p => new Transport.FrameEnumerator(p)).Select(e => { var n = new List<int>(); foreach (var f in e) { n.Add(f.Length); } return n; }).ToList();
        Assert.Equal([[40_000, 40_000], [40_000], [200_000], [10, 0, 60_000]], frames);
        Assert.All(pieces.Where(p => p.Length != 200_000 + ActorQm.Protocol.FrameStream.HeaderBytes), p => Assert.True(p.Length <= RoutedTransportActor.RemotePieceBytes));
        Assert.Single(RoutedTransportActor.Pieces([]));
    }
}
