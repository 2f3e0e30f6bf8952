using System.Net;
using ActorQm.Channels;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Tests.Routing;

/// <summary>
/// The router holding a routed connection's socket, between a real TLS peer on loopback (a transport of the spec's own)
/// and a probe standing in for the queue manager's routed transport: who returns a batch's pooled buffer, and when.
/// </summary>
public sealed class ConnectionRouterActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(20);
    private readonly List<IDisposable> _sockets = [];

    /// <summary>A router whose connection the queue manager (the returned probe) has taken, and the peer at the socket's other end.</summary>
    private async Task<(IActorRef Router, TestProbe Routed, TestProbe Peer)> Routing()
    {
        var (client, server) = await LoopbackTls.ConnectAsync();
        _sockets.Add(client);
        _sockets.Add(server);
        var handshakes = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var queueManager = CreateTestProbe("queue-manager");
        var tls = new Channel.ResponderTls(TestPki.Shared.Credentials(TestPki.Shared.Qm2), RevocationSettings.None, null, AllowTls13: true, new Transport.Settings());
        var router = Sys.ActorOf(RouterProps("QMR-1", server.GetStream(), new IPEndPoint(IPAddress.Loopback, 1414), "QMR", tls, handshakes, (message, sender) => queueManager.Ref.Tell(message, sender), TimeSpan.FromSeconds(30)));
        var peer = CreateTestProbe("peer");
        var needs = new PeerRequirements(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!);
        Sys.ActorOf(Transport.Props(new Handshake.StartHandshake("peer", HandshakeRole.Initiator, client.GetStream(), "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm1), needs, ActorRefs.Nobody), handshakes, peer.Ref));
        await peer.ExpectMsgAsync<Transport.Connected>(HandshakeTimeout);
        await queueManager.ExpectMsgAsync<Route>(HandshakeTimeout);
        var routed = CreateTestProbe("routed-transport");
        router.Tell(new Attached(routed.Ref));
        return (router, routed, peer);
    }

    [Fact]
    public async Task ConnectionRouter_must_write_a_batch_in_order_answer_its_ack_once_and_return_its_buffer_once_written()
    {
        var (router, routed, peer) = await Routing();
        byte[][] frames = [[1, 2, 3], [], [4, 5, 6, 7, 8]];
        var acked = CountingBuffer.Frames(frames);
        var unacked = CountingBuffer.Frames([9]);

        router.Tell(new OutboundFrames(acked, acked.Length, Ack: true));
        router.Tell(new OutboundFrames(unacked, unacked.Length, Ack: false));

        foreach (var frame in frames.Append([9]))
        {
            using var received = await peer.ExpectMsgAsync<Transport.FrameReceived>();
            Assert.Equal(frame, received.Frame.ToArray());
        }

        Assert.Equal(1, (await routed.ExpectMsgAsync<FramesWritten>()).Count);
        await AwaitAssertAsync(() => Assert.Equal((1, 1), (acked.Returns, unacked.Returns)));
        await routed.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        // Written buffers are not returned again when the router stops.
        Watch(router);
        router.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(router, TimeSpan.FromSeconds(10));
        Assert.Equal((1, 1), (acked.Returns, unacked.Returns));
    }

    [Fact]
    public async Task ConnectionRouter_must_return_a_batchs_buffer_once_when_the_connection_ends_before_it_is_written()
    {
        var (router, routed, peer) = await Routing();
        var batch = CountingBuffer.Frames([1, 2, 3]);

        // The queue manager's close overtakes its batch: the connection closes with the batch unwritten.
        router.Tell(CloseConnection.Instance);
        router.Tell(new OutboundFrames(batch, batch.Length, Ack: true));

        Assert.Null((await routed.ExpectMsgAsync<ConnectionEnded>(TimeSpan.FromSeconds(10))).AmqCode);
        Assert.IsType<Transport.ConnectionClosed>(await peer.ExpectMsgAsync<object>(TimeSpan.FromSeconds(10)));
        // Returned when the router stops after the close, which a loaded machine may take seconds to get to.
        await AwaitAssertAsync(() => Assert.Equal(1, batch.Returns), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task ConnectionRouter_must_return_a_batchs_buffer_once_when_it_stops_with_the_batch_handed_to_its_transport()
    {
        var (router, _, _) = await Routing();
        var batch = CountingBuffer.Frames(new byte[256 * 1024]);
        Watch(router);

        // Written or not when the router stops, the buffer goes back once: on the write's ack, or after the transport stopped.
        router.Tell(new OutboundFrames(batch, batch.Length, Ack: true));
        router.Tell(PoisonPill.Instance);

        await ExpectTerminatedAsync(router, TimeSpan.FromSeconds(10));
        Assert.Equal(1, batch.Returns);
    }

    public new void Dispose()
    {
        base.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
