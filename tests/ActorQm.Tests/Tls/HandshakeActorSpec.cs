using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Handshakes between two real SslStreams over loopback sockets, each end walked by its own
/// handshake actor under a supervisor, with certificates minted for the test.
/// </summary>
public sealed class HandshakeActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly X509Certificate2 Qm1 = TestPki.Shared.Qm1;
    private static readonly X509Certificate2 Qm2 = TestPki.Shared.Qm2;

    private static TlsCredentials Credentials(X509Certificate2? own) => TestPki.Shared.Credentials(own);
    private readonly List<IDisposable> _sockets = new();
    private int _connections;

    private static PeerRequirements Requires(string cipher = "ANY_TLS12_OR_HIGHER", string? sslPeer = null, bool clientAuth = true, IReadOnlyList<SslPeerMapRule>? maps = null) =>
        new(CipherSpecs.Select(cipher)!, sslPeer is null ? null : DistinguishedNameFilter.Parse(sslPeer), clientAuth, maps);

    private async Task<(Stream Initiator, Stream Responder)> Connect()
    {
        var (client, server) = await LoopbackTls.ConnectAsync();
        _sockets.Add(client);
        _sockets.Add(server);
        return (client.GetStream(), server.GetStream());
    }

    private IActorRef Supervisor(int maxConcurrent = 4, int maxQueued = 8, double stepSeconds = 10) =>
        Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(maxConcurrent, maxQueued, TimeSpan.FromSeconds(stepSeconds))));

    /// <summary>Runs both ends; returns what each end's requester was told.</summary>
    private Task<(object Initiator, object Responder)> Handshake(
        X509Certificate2? initiatorCert, PeerRequirements initiatorNeeds, X509Certificate2 responderCert, PeerRequirements responderNeeds) =>
        Handshake(Credentials(initiatorCert), initiatorNeeds, Credentials(responderCert), responderNeeds);

    private async Task<(object Initiator, object Responder)> Handshake(
        TlsCredentials initiatorCredentials, PeerRequirements initiatorNeeds, TlsCredentials responderCredentials, PeerRequirements responderNeeds)
    {
        var (i, r) = await Connect();
        var id = Interlocked.Increment(ref _connections);
        var supervisor = Supervisor();
        var initiatorProbe = CreateTestProbe($"initiator-{id}");
        var responderProbe = CreateTestProbe($"responder-{id}");
        supervisor.Tell(new StartHandshake($"out-{id}", HandshakeRole.Initiator, i, "QM2", initiatorCredentials, initiatorNeeds, initiatorProbe));
        supervisor.Tell(new StartHandshake($"in-{id}", HandshakeRole.Responder, r, "QM2", responderCredentials, responderNeeds, responderProbe));
        var responder = await responderProbe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(20));
        var initiator = await initiatorProbe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(20));
        return (initiator, responder);
    }

    private static HandshakeFailed Failed(object outcome, HandshakeStep step, string code)
    {
        var failed = Assert.IsType<HandshakeFailed>(outcome);
        Assert.Equal(step, failed.Step);
        Assert.Equal(code, failed.AmqCode);
        return failed;
    }

    [Fact]
    public async Task Handshake_must_accept_mutually_authenticated_peers_and_publish_every_step()
    {
        var steps = CreateTestProbe("steps");
        Sys.EventStream.Subscribe(steps, typeof(HandshakeTransitioned));

        var (initiator, responder) = await Handshake(Qm1, Requires(sslPeer: "CN=QM2,O=Example"), Qm2, Requires(sslPeer: "CN=QM1"));

        var accepted = Assert.IsType<HandshakeSucceeded>(responder);
        var connected = Assert.IsType<HandshakeSucceeded>(initiator);
        Assert.Equal("CN=QM1", accepted.Session.Peer!.Subject.ValuesOf("CN").Select(v => "CN=" + v).Single());
        Assert.Equal(Qm2.SerialNumber, connected.Session.Peer!.Serial);
        Assert.Equal(accepted.Session.CipherSpec, connected.Session.CipherSpec);
        Assert.StartsWith("TLS_", accepted.Session.CipherSpec, StringComparison.Ordinal);

        // Channel bytes flow only now, over the handed-over streams.
        await connected.Stream.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await accepted.Stream.ReadExactlyAsync(buffer);
        Assert.Equal("ping"u8.ToArray(), buffer);

        var seen = new List<(HandshakeStep, HandshakeStep)>();
        for (var n = 0; n < 8; n++)
        {
            var t = await steps.ExpectMsgAsync<HandshakeTransitioned>();
            if (t.ConnectionId.StartsWith("in-", StringComparison.Ordinal))
            {
                seen.Add((t.From, t.To));
            }
        }

        Assert.Equal(
        [
            (HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation),
            (HandshakeStep.ChainValidation, HandshakeStep.Revocation),
            (HandshakeStep.Revocation, HandshakeStep.PeerFilter),
            (HandshakeStep.PeerFilter, HandshakeStep.Accepted),
        ], seen);
        accepted.Stream.Dispose();
        connected.Stream.Dispose();
    }

    [Fact]
    public async Task Handshake_must_refuse_a_caller_without_a_certificate_under_SSLCAUTH_REQUIRED_with_AMQ9637()
    {
        var (_, responder) = await Handshake(null, Requires(), Qm2, Requires(clientAuth: true));

        Failed(responder, HandshakeStep.CertificateExchange, "AMQ9637E");
    }

    [Fact]
    public async Task Handshake_must_accept_a_caller_without_a_certificate_under_SSLCAUTH_OPTIONAL_but_not_with_SSLPEER()
    {
        var (_, optional) = await Handshake(null, Requires(), Qm2, Requires(clientAuth: false));
        var (_, withPeer) = await Handshake(null, Requires(), Qm2, Requires(clientAuth: false, sslPeer: "CN=QM1"));

        var accepted = Assert.IsType<HandshakeSucceeded>(optional);
        Assert.Null(accepted.Session.Peer);
        accepted.Stream.Dispose();
        Failed(withPeer, HandshakeStep.CertificateExchange, "AMQ9637E");
    }

    [Fact]
    public async Task Handshake_must_refuse_an_expired_caller_certificate_at_chain_validation_with_AMQ9633_naming_it()
    {
        var expired = TestPki.Leaf(Ca, "CN=OLD.QM", notBefore: TestPki.Now.AddDays(-9), notAfter: TestPki.Now.AddDays(-1)).WithKey();

        var (_, responder) = await Handshake(expired, Requires(), Qm2, Requires(clientAuth: false));

        var failed = Failed(responder, HandshakeStep.ChainValidation, "AMQ9633E");
        Assert.Contains("Validity check failed", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("CN=OLD.QM", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_must_accept_a_caller_whose_only_valid_path_is_not_the_one_the_TLS_layer_built()
    {
        // The responder trusts an intermediate CA as its anchor; the caller sends that CA and the
        // root above it. X509Chain prefers the (untrusted) root; the path builder ends at the anchor.
        var root = TestPki.Root("Upper Root");
        var anchor = TestPki.Intermediate(root, "Trusted Issuing CA");
        var caller = TestPki.Leaf(anchor, "CN=QM1,OU=MQ,O=Example");
        var initiator = new TlsCredentials(caller.WithKey(), [anchor.Certificate, root.Certificate], [TestPki.Shared.Root.Certificate], []);
        var responder = new TlsCredentials(Qm2, [Ca.Certificate], [anchor.Certificate], []);

        var (initiated, responded) = await Handshake(initiator, Requires(), responder, Requires());

        Assert.IsType<HandshakeSucceeded>(responded);
        Assert.IsType<HandshakeSucceeded>(initiated);
    }

    [Fact]
    public async Task Handshake_must_refuse_a_certificate_whose_name_holds_an_invalid_PrintableString_with_AMQ9633_at_either_end()
    {
        var name = TestPki.RawName(("2.5.4.3", System.Formats.Asn1.UniversalTagNumber.PrintableString, "QM*1"u8.ToArray()),
            ("2.5.4.10", System.Formats.Asn1.UniversalTagNumber.UTF8String, "Example"u8.ToArray()));
        var bad = TestPki.Leaf(Ca, rawSubject: name).WithKey();

        var (_, responder) = await Handshake(bad, Requires(), Qm2, Requires(sslPeer: "O=Example"));
        var (initiator, _) = await Handshake(Qm1, Requires(), bad, Requires());

        Assert.Contains("PrintableString", Failed(responder, HandshakeStep.ChainValidation, "AMQ9633E").Detail, StringComparison.Ordinal);
        Assert.Contains("PrintableString", Failed(initiator, HandshakeStep.ChainValidation, "AMQ9633E").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_must_refuse_a_responder_from_an_untrusted_CA()
    {
        var rogueRoot = TestPki.Root("Rogue Root");
        var rogue = TestPki.Leaf(TestPki.Intermediate(rogueRoot, "Rogue CA"), "CN=QM2").WithKey();

        var (initiator, _) = await Handshake(Qm1, Requires(), rogue, Requires());

        Failed(initiator, HandshakeStep.ChainValidation, "AMQ9633E");
    }

    [Fact]
    public async Task Handshake_must_refuse_a_responder_whose_DN_does_not_match_SSLPEER_with_AMQ9636_and_MQRC_2398()
    {
        var events = CreateTestProbe("ssl-events");
        Sys.EventStream.Subscribe(events, typeof(ChannelSslError));

        var (initiator, _) = await Handshake(Qm1, Requires(sslPeer: "CN=QM3"), Qm2, Requires());

        var sslError = await events.ExpectMsgAsync<ChannelSslError>();
        Assert.Equal((SslReasonQualifier.PeerNameError, "AMQ9636E"), (sslError.Qualifier, sslError.AmqCode));
        Assert.Contains("CN=QM2", sslError.PeerSubject, StringComparison.Ordinal);
        var failed = Failed(initiator, HandshakeStep.PeerFilter, "AMQ9636E");
        Assert.Equal(MqReason.SslPeerNameMismatch, failed.Reason);
        Assert.Contains("SERIALNUMBER=", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_must_refuse_a_negotiated_CipherSpec_the_channel_does_not_allow_with_AMQ9631()
    {
        var (_, responder) = await Handshake(Qm1, Requires("ECDHE_ECDSA_AES_128_GCM_SHA256"), Qm2, Requires("ANY_TLS13"));

        var failed = Failed(responder, HandshakeStep.CertificateExchange, "AMQ9631E");
        Assert.Contains("ECDHE_ECDSA_AES_128_GCM_SHA256", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_must_refuse_a_proposal_outside_the_responders_allowed_CipherSpecs_with_AMQ9616()
    {
        var (i, r) = await Connect();
        var supervisor = Supervisor();
        var responderProbe = CreateTestProbe();
        supervisor.Tell(new StartHandshake("allowed-in", HandshakeRole.Responder, r, "QM2", Credentials(Qm2), Requires(), responderProbe)
        {
            ResponderCipherSpecs = [CipherSpecs.Find("TLS_AES_256_GCM_SHA384")!],
        });
        supervisor.Tell(new StartHandshake("allowed-out", HandshakeRole.Initiator, i, "QM2", Credentials(Qm1), Requires("TLS_AES_128_GCM_SHA256"), CreateTestProbe()));

        Failed(await responderProbe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(20)), HandshakeStep.CertificateExchange, "AMQ9616E");
    }

    [Fact]
    public async Task Handshake_must_block_a_peer_that_matches_SSLPEER_when_its_SSLPEERMAP_record_says_NOACCESS()
    {
        var blocked = new[] { new SslPeerMapRule(DistinguishedNameFilter.Parse("CN=QM1"), null, "NOACCESS", string.Empty, "QM1.*") };

        var (_, responder) = await Handshake(Qm1, Requires(), Qm2, Requires(sslPeer: "CN=QM1,O=Example", maps: blocked));

        Assert.Equal(MqReason.NotAuthorized, Failed(responder, HandshakeStep.PeerFilter, "AMQ9777E").Reason);
    }

    [Fact]
    public async Task Handshake_must_apply_the_most_specific_SSLPEERMAP_record()
    {
        SslPeerMapRule Rule(string peer, string source, string user, string? issuer = null) =>
            new(DistinguishedNameFilter.Parse(peer), issuer is null ? null : DistinguishedNameFilter.Parse(issuer), source, user, "QM1.*");
        var maps = new[] { Rule("CN=QM*", "MAP", "generic"), Rule("CN=QM1,OU=MQ", "MAP", "specific") };
        var blocked = new[] { Rule("CN=QM*", "MAP", "generic"), Rule("CN=QM1", "NOACCESS", "") };
        var otherIssuer = new[] { Rule("CN=QM1", "NOACCESS", "", issuer: "CN=Some Other CA") };

        var (_, mapped) = await Handshake(Qm1, Requires(), Qm2, Requires(maps: maps));
        var (_, refused) = await Handshake(Qm1, Requires(), Qm2, Requires(maps: blocked));
        var (_, notThisIssuer) = await Handshake(Qm1, Requires(), Qm2, Requires(maps: otherIssuer));

        var accepted = Assert.IsType<HandshakeSucceeded>(mapped);
        Assert.Equal("specific", accepted.Session.McaUser);
        accepted.Stream.Dispose();
        Assert.Equal(MqReason.NotAuthorized, Failed(refused, HandshakeStep.PeerFilter, "AMQ9777E").Reason);
        Assert.IsType<HandshakeSucceeded>(notThisIssuer);
    }

    [Theory]
    [InlineData("TO.QM2", "QM2.TO.QM2")]
    [InlineData("OTHER.CHANNEL", "QM2")]
    public async Task Handshake_must_present_the_channels_own_certificate_when_the_initiator_names_it_in_SNI(string channel, string expectedCn)
    {
        var channelCert = TestPki.Leaf(Ca, "CN=QM2.TO.QM2,OU=MQ,O=Example").WithKey();
        var (i, r) = await Connect();
        var supervisor = Supervisor();
        var initiatorProbe = CreateTestProbe();
        var responderProbe = CreateTestProbe();
        supervisor.Tell(new StartHandshake("sni-in", HandshakeRole.Responder, r, "QM2", Credentials(Qm2), Requires(), responderProbe)
        {
            CredentialsForServerName = name => ChannelSni.TryDecode(name) == "TO.QM2" ? Credentials(channelCert) : null,
        });
        supervisor.Tell(new StartHandshake("sni-out", HandshakeRole.Initiator, i, ChannelSni.Encode(channel), Credentials(Qm1), Requires(), initiatorProbe));

        var connected = await initiatorProbe.ExpectMsgAsync<HandshakeSucceeded>(TimeSpan.FromSeconds(20));
        (await responderProbe.ExpectMsgAsync<HandshakeSucceeded>(TimeSpan.FromSeconds(20))).Stream.Dispose();

        Assert.Equal(expectedCn, connected.Session.Peer!.Subject.ValuesOf("CN").Single());
        connected.Stream.Dispose();
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: qm2\r\n\r\n", "AMQ9616E")]
    [InlineData("\u0000\u0001garbage before any ClientHello\u00ff", "AMQ9639E")] // starts as a channel frame would: refused as a channel in the clear
    public async Task Handshake_must_refuse_plaintext_or_garbage_on_a_TLS_port_at_once(string bytes, string code)
    {
        var (raw, r) = await Connect();
        var supervisor = Supervisor();
        var probe = CreateTestProbe();
        supervisor.Tell(new StartHandshake("hostile", HandshakeRole.Responder, r, "QM2", Credentials(Qm2), Requires(), probe));

        await raw.WriteAsync(System.Text.Encoding.Latin1.GetBytes(bytes));
        await raw.FlushAsync();

        var refused = await probe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal(HandshakeStep.CertificateExchange, refused.Step);
        Assert.Contains(refused.AmqCode, new[] { code, "AMQ9665E" });
        var (initiator, responder) = await Handshake(Qm1, Requires(), Qm2, Requires());
        Assert.IsType<HandshakeSucceeded>(responder);
        Assert.IsType<HandshakeSucceeded>(initiator);
    }

    [Fact]
    public async Task Handshake_must_time_out_a_silent_peer_and_keep_serving_others()
    {
        var supervisor = Supervisor(maxConcurrent: 1, maxQueued: 1, stepSeconds: 0.5);
        var (_, silent) = await Connect();
        var (_, queued) = await Connect();
        var (_, overflow) = await Connect();
        var silentProbe = CreateTestProbe("silent");
        var queuedProbe = CreateTestProbe("queued");
        var overflowProbe = CreateTestProbe("overflow");

        supervisor.Tell(new StartHandshake("silent", HandshakeRole.Responder, silent, "QM2", Credentials(Qm2), Requires(), silentProbe));
        supervisor.Tell(new StartHandshake("queued", HandshakeRole.Responder, queued, "QM2", Credentials(Qm2), Requires(), queuedProbe));
        supervisor.Tell(new StartHandshake("overflow", HandshakeRole.Responder, overflow, "QM2", Credentials(Qm2), Requires(), overflowProbe));

        Assert.Equal(MqReason.QMgrNotAvailable, (await overflowProbe.ExpectMsgAsync<HandshakeFailed>()).Reason);
        Failed(await silentProbe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(10)), HandshakeStep.CertificateExchange, "AMQ9638E");
        Failed(await queuedProbe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(10)), HandshakeStep.CertificateExchange, "AMQ9638E");
        await AwaitAssertAsync(async () =>
        {
            var status = await supervisor.Ask<HandshakeSupervisor.Status>(HandshakeSupervisor.GetStatus.Instance, TimeSpan.FromSeconds(3));
            Assert.Equal((0, 0, 1L), (status.Running, status.Queued, status.Refused));
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Handshake_supervisor_must_refuse_the_peer_of_a_handshake_actor_that_dies_and_go_on()
    {
        var supervisor = Supervisor();
        var probe = CreateTestProbe("dead");
        var unusable = new MemoryStream();
        unusable.Dispose();

        // SslStream refuses a stream it cannot read or write: the handshake actor fails while starting.
        await EventFilter.Error(contains: "AMQ9638E: a handshake actor failed").ExpectOneAsync(() =>
        {
            supervisor.Tell(new StartHandshake("dead", HandshakeRole.Responder, unusable, "QM2", Credentials(Qm2), Requires(), probe));
            return Task.CompletedTask;
        });

        var failed = Failed(await probe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(10)), HandshakeStep.CertificateExchange, "AMQ9638E");
        Assert.Contains("internal failure", failed.Detail, StringComparison.Ordinal);
        var (initiator, responder) = await Handshake(Qm1, Requires(), Qm2, Requires());
        Assert.IsType<HandshakeSucceeded>(initiator);
        Assert.IsType<HandshakeSucceeded>(responder);
    }

    [Fact]
    public async Task Handshake_must_refuse_when_the_local_end_cannot_start_TLS_and_go_on_serving()
    {
        var supervisor = Supervisor();
        var (caller, broken) = await Connect();
        var probe = CreateTestProbe("broken");
        Supervisor().Tell(new StartHandshake("caller", HandshakeRole.Initiator, caller, "QM2", Credentials(Qm1), Requires(), CreateTestProbe("caller")));

        // A responder without a certificate of its own cannot even start its TLS layer when the caller's hello arrives.
        supervisor.Tell(new StartHandshake("broken", HandshakeRole.Responder, broken, "QM2", Credentials(null), Requires(), probe));

        Failed(await probe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(10)), HandshakeStep.CertificateExchange, "AMQ9616E");
        var (initiator, responder) = await Handshake(Qm1, Requires(), Qm2, Requires());
        Assert.IsType<HandshakeSucceeded>(initiator);
        Assert.IsType<HandshakeSucceeded>(responder);
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
