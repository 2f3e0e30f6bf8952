using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

public sealed class TransportActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly X509Certificate2 Qm1 = TestPki.Shared.Qm1;
    private static readonly X509Certificate2 Qm2 = TestPki.Shared.Qm2;

    private static TlsCredentials Credentials(X509Certificate2? own) => TestPki.Shared.Credentials(own);
    private readonly List<IDisposable> _sockets = new();

    private static readonly PeerRequirements Needs = new(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!);

    private async Task<(Stream Initiator, Stream Responder)> Connect()
    {
        var (client, server) = await LoopbackTls.ConnectAsync();
        _sockets.Add(client);
        _sockets.Add(server);
        return (client.GetStream(), server.GetStream());
    }

    private IActorRef Transport(Stream stream, HandshakeRole role, X509Certificate2 own, IActorRef owner, IActorRef supervisor, Transport.Settings? settings = null) =>
        Sys.ActorOf(ActorQm.Tls.Transport.Props(
            new Handshake.StartHandshake(role.ToString(), role, stream, "QM2", Credentials(own), Needs, ActorRefs.Nobody), supervisor, owner, settings));

    private async Task<(IActorRef Out, IActorRef In, Akka.TestKit.TestProbe OutOwner, Akka.TestKit.TestProbe InOwner)> Pair(Transport.Settings? responderSettings = null, Transport.Settings? initiatorSettings = null)
    {
        var (i, r) = await Connect();
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var outOwner = CreateTestProbe("out-owner");
        var inOwner = CreateTestProbe("in-owner");
        var outbound = Transport(i, HandshakeRole.Initiator, Qm1, outOwner, supervisor, initiatorSettings);
        var inbound = Transport(r, HandshakeRole.Responder, Qm2, inOwner, supervisor, responderSettings);
        await outOwner.ExpectMsgAsync<ActorQm.Tls.Transport.Connected>(TimeSpan.FromSeconds(20));
        await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.Connected>(TimeSpan.FromSeconds(20));
        return (outbound, inbound, outOwner, inOwner);
    }

    private static string Text(ActorQm.Tls.Transport.FrameReceived frame)
    {
        using (frame)
        {
            return System.Text.Encoding.UTF8.GetString(frame.Frame.Span);
        }
    }

    private static ActorQm.Tls.Transport.Send Frame(string text, object? ack = null) => new(System.Text.Encoding.UTF8.GetBytes(text), ack);

    [Fact]
    public async Task Transport_must_move_frames_both_ways_after_the_handshake_and_ack_writes()
    {
        var (outbound, inbound, outOwner, inOwner) = await Pair();

        for (var n = 0; n < 100; n++)
        {
            outbound.Tell(Frame("frame " + n, n == 99 ? "all written" : null));
        }

        inbound.Tell(Frame("reply"));
        inbound.Tell(new ActorQm.Tls.Transport.Send(ReadOnlyMemory<byte>.Empty));
        inbound.Tell(new ActorQm.Tls.Transport.ResumeReading(100 - new ActorQm.Tls.Transport.Settings().InitialReadCredit));

        for (var n = 0; n < 100; n++)
        {
            Assert.Equal("frame " + n, Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        }

        // The initiator's owner gets its write acknowledgement and the two replies, in whatever order they happen.
        var seen = new List<string>();
        for (var n = 0; n < 3; n++)
        {
            seen.Add(await outOwner.ExpectMsgAsync<object>() switch
            {
                ActorQm.Tls.Transport.FrameReceived f => f.Length == 0 ? "<empty>" : Text(f),
                string ack => ack,
                var other => other.ToString()!,
            });
        }

        Assert.Equal(["<empty>", "all written", "reply"], seen.Order());
    }

    [Fact]
    public async Task Transport_must_read_no_further_than_the_owner_allows()
    {
        var (outbound, inbound, _, inOwner) = await Pair(new ActorQm.Tls.Transport.Settings(InitialReadCredit: 2));

        for (var n = 0; n < 5; n++)
        {
            outbound.Tell(Frame("f" + n));
        }

        Assert.Equal("f0", Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        Assert.Equal("f1", Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        await inOwner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        inbound.Tell(new ActorQm.Tls.Transport.ResumeReading(3));
        for (var n = 2; n < 5; n++)
        {
            Assert.Equal("f" + n, Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        }
    }

    [Fact]
    public async Task Transport_must_hand_runs_of_the_frames_its_owner_takes_in_bursts_in_order_within_the_credit()
    {
        var (outbound, inbound, outOwner, inOwner) = await Pair(new ActorQm.Tls.Transport.Settings(InitialReadCredit: 1));
        outbound.Tell(Frame("hello"));
        Assert.Equal("hello", Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        inbound.Tell(new ActorQm.Tls.Transport.ReadInBursts(static f => f.Length > 0 && f[0] == (byte)'b'));

        // Eight burst frames, one other, three more: all written before any credit, so they are read together.
        var sent = Enumerable.Range(0, 8).Select(n => "b" + n).Append("other").Concat(Enumerable.Range(8, 3).Select(n => "b" + n)).ToList();
        foreach (var text in sent)
        {
            outbound.Tell(Frame(text, text == "b10" ? "written" : null));
        }

        await outOwner.ExpectMsgAsync("written");
        inbound.Tell(new ActorQm.Tls.Transport.ResumeReading(5));
        var received = new List<string>();
        var messages = 0;
        while (received.Count < 5)
        {
            received.AddRange(Texts(await inOwner.ExpectMsgAsync<object>()));
            messages++;
        }

        // Within the credit: five frames, no more, however many were read from the stream.
        Assert.Equal(sent.Take(5), received);
        Assert.True(messages < 5, $"{messages} messages for 5 frames read together");
        await inOwner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        inbound.Tell(new ActorQm.Tls.Transport.ResumeReading(100));
        var kinds = new List<string>();
        while (received.Count < sent.Count)
        {
            var message = await inOwner.ExpectMsgAsync<object>();
            kinds.Add(message.GetType().Name);
            received.AddRange(Texts(message));
        }

        Assert.Equal(sent, received);
        // The frame the owner does not take in bursts comes alone, as a FrameReceived, between the runs around it.
        Assert.Contains(nameof(ActorQm.Tls.Transport.FrameReceived), kinds);
    }

    private static IEnumerable<string> Texts(object message)
    {
        switch (message)
        {
            case ActorQm.Tls.Transport.FrameReceived one:
                return [Text(one)];
            case ActorQm.Tls.Transport.FramesReceived burst:
                using (burst)
                {
                    var texts = new List<string>();
                    foreach (var frame in burst)
                    {
                        Assert.Equal((byte)'b', frame.Span[0]);
                        texts.Add(System.Text.Encoding.UTF8.GetString(frame.Span));
                    }

                    Assert.Equal(burst.Count, texts.Count);
                    return texts;
                }

            default:
                throw new Xunit.Sdk.XunitException($"unexpected {message}");
        }
    }

    [Fact]
    public async Task Transport_must_stop_serving_a_peer_that_does_not_read_and_cut_it_off_after_the_slow_reader_timeout()
    {
        // The initiator reads one frame and its owner gives no more credit: the responder's frames pile up in the sockets and then in its send queue.
        var bounded = new ActorQm.Tls.Transport.Settings(MaxSendQueueBytes: 1 << 20, SlowReaderTimeout: TimeSpan.FromSeconds(1));
        var (_, inbound, _, inOwner) = await Pair(bounded, new ActorQm.Tls.Transport.Settings(InitialReadCredit: 1));
        for (var n = 0; n < 160; n++)
        {
            inbound.Tell(new ActorQm.Tls.Transport.Send(new byte[256 * 1024]));
        }

        Assert.True((await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.SendQueueFull>(TimeSpan.FromSeconds(10))).Bytes > 1 << 20);

        // While the sends still arrive the kernel's socket buffers may take some, so the queue can dip under its bound and fill again before the reader stalls for good.
        var closed = (ActorQm.Tls.Transport.ConnectionClosed)await inOwner.FishForMessageAsync(
            m => m is ActorQm.Tls.Transport.ConnectionClosed,
            TimeSpan.FromSeconds(10));
        Assert.Equal("AMQ9206E", closed.AmqCode);
        Assert.Contains("slow reader", closed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_must_cut_off_a_peer_that_takes_nothing_even_while_the_send_queue_is_under_its_bound()
    {
        // A sender that keeps little unwritten never fills the send queue: a write that does not complete is enough.
        var unbounded = new ActorQm.Tls.Transport.Settings(MaxSendQueueBytes: 1L << 32, SlowReaderTimeout: TimeSpan.FromSeconds(1));
        var (_, inbound, _, inOwner) = await Pair(unbounded, new ActorQm.Tls.Transport.Settings(InitialReadCredit: 1));
        for (var n = 0; n < 160; n++)
        {
            inbound.Tell(new ActorQm.Tls.Transport.Send(new byte[256 * 1024]));
        }

        var closed = (ActorQm.Tls.Transport.ConnectionClosed)await inOwner.FishForMessageAsync(m => m is ActorQm.Tls.Transport.ConnectionClosed, TimeSpan.FromSeconds(20));
        Assert.Equal("AMQ9206E", closed.AmqCode);
        Assert.Contains("slow reader", closed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("over the send queue bound", closed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_must_serve_again_once_a_slow_peer_has_taken_enough()
    {
        var bounded = new ActorQm.Tls.Transport.Settings(MaxSendQueueBytes: 1 << 20, SlowReaderTimeout: TimeSpan.FromSeconds(10));
        var (outbound, inbound, outOwner, inOwner) = await Pair(bounded, new ActorQm.Tls.Transport.Settings(InitialReadCredit: 1));
        for (var n = 0; n < 160; n++)
        {
            inbound.Tell(new ActorQm.Tls.Transport.Send(new byte[256 * 1024]));
        }

        await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.SendQueueFull>(TimeSpan.FromSeconds(10));
        outbound.Tell(new ActorQm.Tls.Transport.ResumeReading(1000));
        await outOwner.ReceiveNAsync(160, TimeSpan.FromSeconds(10)).ToListAsync();

        // Everything was taken, so the queue is within its bound again (it may have dipped and refilled while the sends arrived) and reading goes on: a frame from the peer arrives.
        outbound.Tell(Frame("after"));
        var seen = new List<object>();
        var after = (ActorQm.Tls.Transport.FrameReceived)await inOwner.FishForMessageAsync(
            m =>
            {
                seen.Add(m);
                return m is ActorQm.Tls.Transport.FrameReceived;
            },
            TimeSpan.FromSeconds(10));
        Assert.Equal("after", Text(after));
        Assert.IsType<ActorQm.Tls.Transport.SendQueueDrained>(seen.Where(m => m is ActorQm.Tls.Transport.SendQueueFull or ActorQm.Tls.Transport.SendQueueDrained).Last());
    }

    [Fact]
    public async Task Transport_must_close_cleanly_on_request_and_tell_both_owners()
    {
        var (outbound, _, outOwner, inOwner) = await Pair();
        Watch(outbound);

        outbound.Tell(Frame("last words"));
        outbound.Tell(ActorQm.Tls.Transport.Close.Instance);

        Assert.Equal("last words", Text(await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>()));
        Assert.Null((await outOwner.ExpectMsgAsync<ActorQm.Tls.Transport.ConnectionClosed>()).AmqCode);
        Assert.Null((await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.ConnectionClosed>()).AmqCode);
        await ExpectTerminatedAsync(outbound);
    }

    [Fact]
    public async Task Transport_must_cut_off_a_peer_that_announces_an_oversized_frame()
    {
        var (i, r) = await Connect();
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var inOwner = CreateTestProbe("in-owner");
        Transport(r, HandshakeRole.Responder, Qm2, inOwner, supervisor, new ActorQm.Tls.Transport.Settings(MaxFrameBytes: 1024));

        // A hostile but well-authenticated peer speaking raw TLS.
        await using var raw = new SslStream(i);
        await raw.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "QM2",
            ClientCertificateContext = SslStreamCertificateContext.Create(Qm1, new X509Certificate2Collection(Ca.Certificate), offline: true),
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == Qm2.GetCertHashString(),
        });
        await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.Connected>(TimeSpan.FromSeconds(20));
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 1 << 30);
        await raw.WriteAsync(header);
        await raw.FlushAsync();

        var closed = await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.ConnectionClosed>();
        Assert.Equal("AMQ9504E", closed.AmqCode);
        Assert.Contains("1073741824", closed.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4096, null)] // initial data at the bound: read, then a frame far over it
    [InlineData(4097, "AMQ9504E")] // over the bound: cut off, nothing of it read
    public async Task Transport_must_bound_an_accepting_ends_first_frame_to_4KiB_and_then_allow_the_full_size(int first, string? code)
    {
        var (outbound, inbound, _, inOwner) = await Pair(responderSettings: new ActorQm.Tls.Transport.Settings().Accepting());

        outbound.Tell(new ActorQm.Tls.Transport.Send(new byte[first]));
        if (code is not null)
        {
            var closed = await inOwner.FishForMessageAsync<ActorQm.Tls.Transport.ConnectionClosed>(_ => true, TimeSpan.FromSeconds(10));
            Assert.Equal(code, closed.AmqCode);
            Assert.Contains("4097", closed.Reason, StringComparison.Ordinal);
            return;
        }

        using (var initial = await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(first, initial.Length);
        }

        inbound.Tell(new ActorQm.Tls.Transport.ResumeReading(1));
        outbound.Tell(new ActorQm.Tls.Transport.Send(new byte[1 << 20]));
        using var large = await inOwner.ExpectMsgAsync<ActorQm.Tls.Transport.FrameReceived>(TimeSpan.FromSeconds(10));
        Assert.Equal(1 << 20, large.Length);
    }

    [Fact]
    public async Task Transport_must_pass_a_refused_handshake_to_its_owner_and_never_connect()
    {
        var (i, r) = await Connect();
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var outOwner = CreateTestProbe("out-owner");
        var inOwner = CreateTestProbe("in-owner");
        var stranger = TestPki.Leaf(TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA"), "CN=QM1").WithKey();
        Transport(i, HandshakeRole.Initiator, stranger, outOwner, supervisor);
        var inbound = Transport(r, HandshakeRole.Responder, Qm2, inOwner, supervisor);
        Watch(inbound);

        var refused = await inOwner.ExpectMsgAsync<Handshake.HandshakeFailed>(TimeSpan.FromSeconds(20));

        Assert.Equal(HandshakeStep.ChainValidation, refused.Step);
        await ExpectTerminatedAsync(inbound);
        await inOwner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    public new void Dispose()
    {
        Shutdown();
        foreach (var s in _sockets)
        {
            s.Dispose();
        }

        base.Dispose();
    }
}
