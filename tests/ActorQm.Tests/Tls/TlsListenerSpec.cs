using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

public sealed class TlsListenerSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly X509Certificate2 Qm1 = TestPki.Shared.Qm1;
    private static readonly X509Certificate2 Qm2 = TestPki.Shared.Qm2;

    private static TlsCredentials Credentials(X509Certificate2? own) => TestPki.Shared.Credentials(own);
    private static readonly PeerRequirements Needs = new(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!);
    private readonly List<TcpClient> _clients = new();

    [Theory]
    [InlineData("10.9.*", "10.9.1.2", true)]
    [InlineData("10.9.*", "10.8.1.2", false)]
    [InlineData("192.168.1.1-20", "192.168.1.20", true)]
    [InlineData("192.168.1.1-20", "192.168.1.21", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("*", "::1", true)]
    [InlineData("::1", "::1", true)]
    public void AddressPattern_must_match_CHLAUTH_address_patterns(string pattern, string address, bool matches) =>
        Assert.Equal(matches, AddressPattern.Matches(pattern, IPAddress.Parse(address)));

    /// <summary>What a queue manager with these CHLAUTH records tells its listeners.</summary>
    private static Func<IPAddress, AddressBlock?> BlockAddresses(string mqsc)
    {
        var objects = new TestCatalog("QM2");
        objects.Define(mqsc);
        var catalog = objects.Catalog;
        return address => ChannelSecurity.BlockedBy(catalog, address);
    }

    private async Task<IPEndPoint> Listen(IActorRef handshakes, IActorRef connectionOwner, Func<IPAddress, AddressBlock?>? blockedBy = null)
    {
        var listenerOwner = CreateTestProbe("listener-owner");
        Sys.ActorOf(TlsListener.Props(new TlsListener.Settings(IPAddress.Loopback, 0), listenerOwner,
            (id, stream, _) => Transport.Props(new Handshake.StartHandshake(id, HandshakeRole.Responder, stream, "QM2", Credentials(Qm2), Needs, ActorRefs.Nobody), handshakes, connectionOwner),
            blockedBy));
        return (await listenerOwner.ExpectMsgAsync<TlsListener.ListenerStarted>()).Bound;
    }

    [Fact]
    public async Task Listener_must_hand_each_connection_to_a_transport_that_serves_after_the_handshake()
    {
        var handshakes = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var inbound = CreateTestProbe("inbound");
        var bound = await Listen(handshakes, inbound);

        for (var n = 0; n < 2; n++)
        {
            var client = new TcpClient();
            _clients.Add(client);
            await client.ConnectAsync(bound);
            var outbound = CreateTestProbe($"outbound-{n}");
            var transport = Sys.ActorOf(Transport.Props(new Handshake.StartHandshake($"out-{n}", HandshakeRole.Initiator, client.GetStream(), "QM2", Credentials(Qm1), Needs, ActorRefs.Nobody), handshakes, outbound));
            await outbound.ExpectMsgAsync<Transport.Connected>(TimeSpan.FromSeconds(20));
            var connected = await inbound.ExpectMsgAsync<Transport.Connected>(TimeSpan.FromSeconds(20));
            Assert.Equal("QM1", connected.Session.Peer!.Subject.ValuesOf("CN").Single());
            transport.Tell(new Transport.Send("hello"u8.ToArray()));
            using var frame = await inbound.ExpectMsgAsync<Transport.FrameReceived>();
            Assert.Equal("hello"u8.ToArray(), frame.Frame.ToArray());
        }
    }

    [Fact]
    public async Task Listener_must_close_a_blocked_address_before_any_TLS_byte()
    {
        var blockedBy = BlockAddresses("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.9.*','127.0.0.*')");
        var blocked = CreateTestProbe("blocked");
        Sys.EventStream.Subscribe(blocked, typeof(TlsListener.ConnectionBlocked));
        var handshakes = CreateTestProbe("handshakes");
        var bound = await Listen(handshakes, CreateTestProbe("owner"), blockedBy);
        var client = new TcpClient();
        _clients.Add(client);

        try
        {
            await client.ConnectAsync(bound);
        }
        catch (SocketException)
        {
            // The listener may reset the connection before the connect completes here: also a refusal.
        }

        Assert.Equal("127.0.0.*", (await blocked.ExpectMsgAsync<TlsListener.ConnectionBlocked>()).Pattern);
        await handshakes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        var read = 0;
        try
        {
            read = await client.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Reset by the listener (or never connected): just as closed.
        }

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Listener_must_let_in_an_address_a_BLOCKADDR_record_in_warning_mode_matches_and_say_so()
    {
        var blockedBy = BlockAddresses("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('127.0.0.*') WARN(YES)");
        var warned = CreateTestProbe("warned");
        Sys.EventStream.Subscribe(warned, typeof(TlsListener.ConnectionWouldBeBlocked));
        Sys.EventStream.Subscribe(warned, typeof(TlsListener.ConnectionBlocked));
        var handshakes = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var inbound = CreateTestProbe("inbound");
        var bound = await Listen(handshakes, inbound, blockedBy);

        var client = new TcpClient();
        _clients.Add(client);
        await client.ConnectAsync(bound);
        var outbound = CreateTestProbe("outbound");
        Sys.ActorOf(Transport.Props(new Handshake.StartHandshake("out", HandshakeRole.Initiator, client.GetStream(), "QM2", Credentials(Qm1), Needs, ActorRefs.Nobody), handshakes, outbound));

        Assert.Equal("127.0.0.*", (await warned.ExpectMsgAsync<TlsListener.ConnectionWouldBeBlocked>()).Pattern);
        await inbound.ExpectMsgAsync<Transport.Connected>(TimeSpan.FromSeconds(20));
        await warned.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    public new void Dispose()
    {
        Shutdown();
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        base.Dispose();
    }
}
