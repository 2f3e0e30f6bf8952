using System.Net;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Routing;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Tests.Routing;

/// <summary>
/// A routed listener against a probe standing in for the queue manager (which in a cluster runs on
/// another node): real TLS clients on loopback, the queue manager's side played by the probe.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RoutedListenerSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private async Task<(TestProbe QueueManager, int Port)> Start(TimeSpan? attachTimeout = null, string hocon = "", string qmgr = "", IReadOnlyList<string>? definitions = null)
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qmrkey", "ibmwebspheremqqmr", TestPki.Leaf(TestPki.Shared.Ca, "CN=QMR,OU=MQ,O=Example").WithKey());
        var queueManager = CreateTestProbe("queue-manager");
        var events = CreateTestProbe("events");
        Sys.EventStream.Subscribe(events.Ref, typeof(ListenerStarted));
        var settings = new ListenerSettings(TestMessages.Settings("QMR", _dir.Path, hocon), new IPEndPoint(IPAddress.Loopback, 0), 16, TimeSpan.FromMinutes(5), attachTimeout ?? TimeSpan.FromSeconds(30));
        Sys.ActorOf(ListenerProps(settings, (message, sender) => queueManager.Ref.Tell(message, sender)));

        await queueManager.ExpectMsgAsync<DescribeSecurity>(TimeSpan.FromSeconds(5));
        // Without the queue manager's TLS definitions there is nothing to handshake with: no socket yet.
        await events.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        // As the queue manager describes itself: one QMGR definition, then the objects it names.
        queueManager.Reply(new SecurityDescribed("QMR", [$"ALTER QMGR SSLKEYR('{key}') {qmgr}".TrimEnd(), .. definitions ?? []], "g1"));
        var started = await events.ExpectMsgAsync<ListenerStarted>(TimeSpan.FromSeconds(5));
        Assert.Equal("QMR", started.QMgrName);
        return (queueManager, started.Bound.Port);
    }

    private MqClientOptions Client(int port, string subject = "CN=APP1,O=Example", TestPki.Issued? issuer = null, string? from = null)
    {
        var folder = "client-" + Guid.NewGuid().ToString("N");
        var path = QueueManagerPair.KeyRepository(_dir, folder, "app", TestPki.Leaf(issuer ?? TestPki.Shared.Ca, subject).WithKey());
        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = "APP.SVRCONN", QueueManager = "QMR", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QMR,OU=MQ,O=Example", ApplicationName = "routed-spec", Timeout = TimeSpan.FromSeconds(10),
            LocalAddress = from is null ? null : IPAddress.Parse(from),
        };
    }

    /// <summary>
    /// docs/tls.md, "Revocation per channel": the accepting node applies a channel's own policy from the namelists the queue
    /// manager describes, and hands on which channel's policy checked the peer, for the queue manager to compare with the
    /// channel its initial data names (RoutedSessionSpec).
    /// </summary>
    [Fact]
    public async Task RoutedListener_must_check_revocation_with_the_policy_of_the_channel_the_server_name_names_and_say_which()
    {
        var dead = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        dead.Start();
        var deadPort = ((IPEndPoint)dead.LocalEndpoint).Port;
        dead.Stop();
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(Handshake.ChannelSslError));
        var (queueManager, port) = await Start(
            hocon: """tls.channel-revocation { "WEAK.SVRCONN" { crl-namelist = OPEN.AUTH, ocsp-authentication = optional } }""",
            qmgr: "SSLCRLNL('STRICT.AUTH')",
            definitions:
            [
                $"DEFINE AUTHINFO('DEAD.OCSP') AUTHTYPE(OCSP) OCSPURL('http://127.0.0.1:{deadPort}/')",
                "DEFINE NAMELIST('STRICT.AUTH') NAMES('DEAD.OCSP')",
                "DEFINE NAMELIST('OPEN.AUTH') NAMES()",
            ]);

        // The queue manager's strict policy for an ordinary name: its OCSP source cannot answer, so the handshake refuses.
        _ = MqClient.ConnectAsync(Client(port) with { Channel = "APP.SVRCONN" });
        var refused = await refusals.ExpectMsgAsync<Handshake.ChannelSslError>(TimeSpan.FromSeconds(20));
        Assert.True((refused.Step, refused.AmqCode) == (HandshakeStep.Revocation, "AMQ9716E"), refused.Detail);
        await queueManager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // The lenient channel's own policy when the server name names it, and the route says so.
        _ = MqClient.ConnectAsync(Client(port) with { Channel = "WEAK.SVRCONN" });
        var route = await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10));
        Assert.Equal("WEAK.SVRCONN", route.Session.ToPeerSession().RevocationChannel);
    }

    [Fact]
    public async Task RoutedListener_must_hand_an_accepted_peer_to_the_queue_manager_and_relay_frames_both_ways()
    {
        var (queueManager, port) = await Start();
        var connecting = MqClient.ConnectAsync(Client(port));

        var route = await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10));
        Assert.Equal("QMR", route.QMgrName);
        Assert.Equal("127.0.0.1", route.RemoteAddress);
        var session = route.Session.ToPeerSession();
        Assert.Contains("CN=APP1,O=Example", session.Peer!.Subject.ToString(), StringComparison.Ordinal);
        Assert.Equal("TLS_AES_128_GCM_SHA256", session.CipherSpec);

        var transport = CreateTestProbe("routed-transport");
        route.Router.Tell(new Attached(transport.Ref));
        var hello = await transport.ExpectMsgAsync<InboundFrame>(TimeSpan.FromSeconds(5));
        var initial = Assert.IsType<InitialData>(ChannelFrames.Decode(hello.Frame.Span).Segment);
        Assert.Equal("APP.SVRCONN", initial.ChannelName);
        // On the same node the frame comes in the buffer the accepting transport read it into, not in a copy of its own.
        Assert.Equal(typeof(System.Buffers.MemoryPool<byte>).Assembly, hello.Buffer.GetType().Assembly);
        hello.Buffer.Dispose();

        route.Router.Tell(new OutboundFrame(ChannelFrames.Encode(new StatusSegment("AMQ9520E", (int)MqReason.UnknownChannelName, "refused by the spec")), Ack: true));
        var refused = await Assert.ThrowsAsync<MqException>(() => connecting);
        Assert.Equal(MqReason.UnknownChannelName, refused.Reason);
        Assert.Contains("refused by the spec", refused.Message, StringComparison.Ordinal);

        // The client closes once it has read the refusal: its close may overtake the write's confirmation.
        var next = await transport.ExpectMsgAsync<object>(TimeSpan.FromSeconds(5));
        if (next is FramesWritten)
        {
            route.Router.Tell(CloseConnection.Instance);
            next = await transport.ExpectMsgAsync<object>(TimeSpan.FromSeconds(5));
        }

        Assert.Null(Assert.IsType<ConnectionEnded>(next).AmqCode);
    }

    [Fact]
    public async Task RoutedListener_must_never_tell_the_queue_manager_of_a_peer_its_handshake_refused()
    {
        var (queueManager, port) = await Start();
        var stranger = TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA");

        await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Client(port, "CN=APP1,O=Example", stranger)));

        await queueManager.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task RoutedListener_must_answer_queue_manager_not_available_when_no_queue_manager_takes_the_connection()
    {
        var (queueManager, port) = await Start(attachTimeout: TimeSpan.FromMilliseconds(500));
        var connecting = MqClient.ConnectAsync(Client(port));

        await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10));

        var refused = await Assert.ThrowsAsync<MqException>(() => connecting);
        Assert.Equal(MqReason.QMgrNotAvailable, refused.Reason);
        Assert.Contains("AMQ9202E", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutedListener_must_ask_again_until_the_queue_manager_takes_the_connection_and_keep_only_the_first_taker()
    {
        var (queueManager, port) = await Start();
        var connecting = MqClient.ConnectAsync(Client(port));

        // The first request is lost (as when the queue manager's node has just died): it is asked again.
        var first = await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10));
        var again = await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(5));
        Assert.Equal(first.Session.ConnectionId, again.Session.ConnectionId);

        var taker = CreateTestProbe("taker");
        var late = CreateTestProbe("late-taker");
        again.Router.Tell(new Attached(taker.Ref));
        await taker.ExpectMsgAsync<InboundFrame>(TimeSpan.FromSeconds(5));
        again.Router.Tell(new Attached(late.Ref));

        await late.ExpectMsgAsync<ConnectionEnded>(TimeSpan.FromSeconds(5));
        await queueManager.ExpectNoMsgAsync(TimeSpan.FromSeconds(2.5));
        again.Router.Tell(CloseConnection.Instance);
        await Assert.ThrowsAsync<MqException>(() => connecting);
    }

    [Fact]
    public async Task RoutedListener_must_close_the_connection_when_the_queue_managers_end_of_it_goes()
    {
        var (queueManager, port) = await Start();
        var connecting = MqClient.ConnectAsync(Client(port));
        var route = await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10));
        var transport = CreateTestProbe("routed-transport");
        route.Router.Tell(new Attached(transport.Ref));
        await transport.ExpectMsgAsync<InboundFrame>(TimeSpan.FromSeconds(5));

        Watch(route.Router);
        transport.Ref.Tell(PoisonPill.Instance);

        await ExpectTerminatedAsync(route.Router, TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<MqException>(() => connecting);
    }

    [Fact]
    public async Task RoutedListener_must_close_a_blocked_address_before_any_TLS_byte_and_follow_the_queue_managers_CHLAUTH()
    {
        var (queueManager, port) = await Start();
        var listener = queueManager.LastSender;
        var blocked = CreateTestProbe("blocked");
        Sys.EventStream.Subscribe(blocked.Ref, typeof(TlsListener.ConnectionBlocked));
        var keyRepository = _dir.File("qmrkey");
        // As the queue manager describes itself: the whole QMGR object, CHLAUTH(ENABLED) included.
        listener.Tell(new SecurityDescribed("QMR", [$"ALTER QMGR SSLKEYR('{keyRepository}') CHLAUTH(ENABLED)", "SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('127.0.0.9') ACTION(REPLACE)"], "g1"));
        await Task.Delay(200);

        await Assert.ThrowsAnyAsync<Exception>(() => MqClient.ConnectAsync(Client(port, from: "127.0.0.9")));
        Assert.Equal("127.0.0.9", (await blocked.ExpectMsgAsync<TlsListener.ConnectionBlocked>(TimeSpan.FromSeconds(5))).Pattern);
        await queueManager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));

        // Another address is served as before; once the rule is removed, so is the blocked one.
        _ = MqClient.ConnectAsync(Client(port, from: "127.0.0.1"));
        Assert.Equal("127.0.0.1", (await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10))).RemoteAddress);
        listener.Tell(new SecurityDescribed("QMR", [$"ALTER QMGR SSLKEYR('{keyRepository}') CHLAUTH(ENABLED)"], "g1"));
        await Task.Delay(200);
        _ = MqClient.ConnectAsync(Client(port, from: "127.0.0.9"));
        Assert.Equal("127.0.0.9", (await queueManager.ExpectMsgAsync<Route>(TimeSpan.FromSeconds(10))).RemoteAddress);
        await blocked.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
