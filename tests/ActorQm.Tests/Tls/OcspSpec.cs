using ActorQm.Messages;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Tls;

/// <summary>OCSP against a real OpenSSL responder on loopback, one `openssl ocsp` run per request.</summary>
public sealed class OcspSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly List<IDisposable> _disposables = new();

    private OpenSslOcspResponder Responder(TestPki.Issued? signer = null)
    {
        var responder = new OpenSslOcspResponder(Ca, signer ?? Ca);
        _disposables.Add(responder);
        return responder;
    }

    private static Task<RevocationAnswer> Check(TestPki.Issued leaf, RevocationSettings settings) =>
        RevocationChecker.CheckAsync([leaf.Certificate, Ca.Certificate], settings, DateTimeOffset.UtcNow, CancellationToken.None);

    private static RevocationSettings Ocsp(Uri url, params CrlDocument[] crls) => new(crls, OcspResponder: url, Ocsp: new OcspClient(), FetchTimeout: TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Ocsp_must_report_good_revoked_and_unknown_as_the_responder_says()
    {
        var responder = Responder();
        var good = TestPki.Leaf(Ca, "CN=OCSP.GOOD");
        var revoked = TestPki.Leaf(Ca, "CN=OCSP.REVOKED");
        var stranger = TestPki.Leaf(Ca, "CN=OCSP.NOT.IN.INDEX");
        responder.Good(good.Certificate);
        responder.Revoked(revoked.Certificate);

        Assert.Equal(RevocationStatus.Good, (await Check(good, Ocsp(responder.Url))).Status);
        var r = await Check(revoked, Ocsp(responder.Url));
        Assert.Equal(RevocationStatus.Revoked, r.Status);
        Assert.Contains("OCSP responder has indicated", r.Detail, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Unknown, (await Check(stranger, Ocsp(responder.Url))).Status);
    }

    [Fact]
    public async Task Ocsp_must_accept_a_delegated_responder_and_refuse_an_unauthorised_signer()
    {
        var delegated = Responder(TestPki.Leaf(Ca, "CN=OCSP.SIGNER", server: false, client: false, ocspSigning: true));
        var impostor = Responder(TestPki.Leaf(TestPki.Intermediate(TestPki.Root("Impostor Root"), "Impostor CA"), "CN=OCSP.SIGNER", ocspSigning: true));
        var leaf = TestPki.Leaf(Ca, "CN=APP");
        delegated.Good(leaf.Certificate);
        impostor.Good(leaf.Certificate);

        Assert.Equal(RevocationStatus.Good, (await Check(leaf, Ocsp(delegated.Url))).Status);
        var refused = await Check(leaf, Ocsp(impostor.Url));
        Assert.Equal(RevocationStatus.Unknown, refused.Status);
        Assert.Contains("not signed by the issuer", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_must_not_be_fooled_by_a_replayed_good_answer_for_a_now_revoked_certificate()
    {
        var responder = Responder();
        var leaf = TestPki.Leaf(Ca, "CN=REPLAYED");
        responder.Good(leaf.Certificate);
        Assert.Equal(RevocationStatus.Good, (await Check(leaf, Ocsp(responder.Url))).Status);

        responder.Revoked(leaf.Certificate);
        var old = responder.LastResponse!;
        responder.AnswerFor(leaf.Certificate, _ => old);
        var replayed = await Check(leaf, Ocsp(responder.Url));

        Assert.Equal(RevocationStatus.Unknown, replayed.Status);
        Assert.Contains("nonce", replayed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_must_answer_from_its_cache_until_nextUpdate_and_forget_on_flush()
    {
        var responder = Responder();
        var leaf = TestPki.Leaf(Ca, "CN=CACHED");
        responder.Good(leaf.Certificate);
        var client = new OcspClient();
        var settings = new RevocationSettings([], OcspResponder: responder.Url, Ocsp: client);

        await Check(leaf, settings);
        var second = await client.CheckAsync(responder.Url, leaf.Certificate, Ca.Certificate, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(1, responder.Requests);
        Assert.Equal(1, client.Count);
        Assert.Equal(RevocationStatus.Good, second.Status);
        Assert.Contains("(cached)", second.Source, StringComparison.Ordinal);
        client.Flush();
        await Check(leaf, settings);
        Assert.Equal(2, responder.Requests);
    }

    [Fact]
    public async Task Ocsp_must_fall_through_an_unknown_answer_to_a_CRL_and_stop_at_a_definitive_one()
    {
        var responder = Responder();
        var revokedOnCrl = TestPki.Leaf(Ca, "CN=UNKNOWN.TO.OCSP");
        var goodByOcsp = TestPki.Leaf(Ca, "CN=GOOD.BY.OCSP");
        responder.Good(goodByOcsp.Certificate);
        var crl = CrlDocument.Parse(TestPki.Crl(Ca, [revokedOnCrl.Certificate, goodByOcsp.Certificate]), "CA CRL");

        Assert.Equal(RevocationStatus.Revoked, (await Check(revokedOnCrl, Ocsp(responder.Url, crl))).Status);
        Assert.Equal(RevocationStatus.Good, (await Check(goodByOcsp, Ocsp(responder.Url, crl))).Status);
    }

    [Fact]
    public async Task Ocsp_must_give_unknown_quickly_when_the_responder_is_down_or_hangs()
    {
        var down = new Uri("http://127.0.0.1:9/ocsp");
        var hanging = new LoopbackHttp { Stall = true };
        _disposables.Add(hanging);
        var leaf = TestPki.Leaf(Ca, "CN=NOBODY.ANSWERS");
        var fast = new RevocationSettings([], OcspResponder: down, Ocsp: new OcspClient(), FetchTimeout: TimeSpan.FromMilliseconds(500));

        Assert.Equal(RevocationStatus.Unknown, (await Check(leaf, fast)).Status);
        var started = DateTime.UtcNow;
        var slow = await Check(leaf, fast with { OcspResponder = hanging.Url("/ocsp") });
        Assert.Equal(RevocationStatus.Unknown, slow.Status);
        Assert.Contains("no answer within", slow.Detail, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Handshake_must_refuse_a_peer_the_OCSP_responder_says_is_revoked()
    {
        var responder = Responder();
        var revoked = TestPki.Leaf(Ca, "CN=OCSP.REVOKED.PEER");
        responder.Revoked(revoked.Certificate);
        var settings = Ocsp(responder.Url, CrlDocument.Parse(TestPki.Crl(TestPki.Shared.Root, []), "root CRL"));

        var failed = Assert.IsType<HandshakeFailed>(await this.RespondToAsync(TestPki.Shared.Credentials(revoked.WithKey()), settings, _disposables));

        Assert.Equal((HandshakeStep.Revocation, "AMQ9633E", MqReason.SslCertificateRevoked), (failed.Step, failed.AmqCode, failed.Reason));
    }

    [Theory]
    [InlineData(-2, -1, "stale")]
    [InlineData(1, 2, "in the future")]
    public async Task Ocsp_must_not_believe_a_signed_answer_outside_its_validity(int thisDays, int nextDays, string why)
    {
        var http = new LoopbackHttp();
        _disposables.Add(http);
        http.Handler = request => OcspAnswers.Good(request, Ca, DateTime.UtcNow.AddDays(thisDays), DateTime.UtcNow.AddDays(nextDays));
        var leaf = TestPki.Leaf(Ca, "CN=OUT.OF.TIME");

        var answer = await Check(leaf, Ocsp(http.Url("/ocsp")));

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains(why, answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_must_believe_the_same_signed_answer_when_it_is_current()
    {
        var http = new LoopbackHttp();
        _disposables.Add(http);
        http.Handler = request => OcspAnswers.Good(request, Ca, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddHours(1));

        Assert.Equal(RevocationStatus.Good, (await Check(TestPki.Leaf(Ca, "CN=IN.TIME"), Ocsp(http.Url("/ocsp")))).Status);
    }

    public static IEnumerable<object[]> FuzzFindings =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Tls", "OcspFuzzFindings"), "*.der").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>
    /// Answers afl++ found (scripts/fuzz.sh ocsp) that made the reader throw: malformed certificates and
    /// extensions inside an otherwise well-formed response, parsed by BouncyCastle only when read.
    /// </summary>
    [Theory]
    [MemberData(nameof(FuzzFindings))]
    public void Ocsp_must_read_an_answer_the_fuzzer_crashed_it_with_as_unknown(string finding)
    {
        var body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Tls", "OcspFuzzFindings", finding));
        var leaf = TestPki.Leaf(Ca, "CN=FUZZED");
        var issuer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(Ca.Certificate.RawData);
        var id = new Org.BouncyCastle.Ocsp.CertificateID(
            new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(Org.BouncyCastle.Asn1.Oiw.OiwObjectIdentifiers.IdSha1, Org.BouncyCastle.Asn1.DerNull.Instance), issuer, OcspAnswers.SerialOf(leaf.Certificate));

        var answer = OcspClient.Interpret(new Uri("http://127.0.0.1/ocsp"), body, id, new byte[16], issuer, leaf.Certificate, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out var nextUpdate);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Null(nextUpdate);
    }

    [Fact]
    public async Task Ocsp_must_not_let_a_malformed_answer_hide_a_revocation_the_CRL_knows()
    {
        // Before the fix, the reader's exception ended the whole revocation check as Unknown: the CRL was never read.
        var http = new LoopbackHttp();
        _disposables.Add(http);
        var finding = (string)FuzzFindings.First()[0];
        http.Handler = _ => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Tls", "OcspFuzzFindings", finding));
        var revoked = TestPki.Leaf(Ca, "CN=REVOKED.ON.CRL");
        var crl = CrlDocument.Parse(TestPki.Crl(Ca, [revoked.Certificate]), "CA CRL");

        var answer = await Check(revoked, Ocsp(http.Url("/ocsp"), crl));

        Assert.Equal(RevocationStatus.Revoked, answer.Status);
    }

    [Fact]
    public async Task Transport_must_cut_off_a_running_peer_revoked_after_its_handshake_within_one_recheck()
    {
        var responder = Responder();
        var peer = TestPki.Leaf(Ca, "CN=REVOKED.LATER");
        responder.Good(peer.Certificate);
        var client = new OcspClient();
        var revocation = new RevocationSettings([CrlDocument.Parse(TestPki.Crl(TestPki.Shared.Root, []), "root CRL")], OcspResponder: responder.Url, Ocsp: client);
        var (i, r) = await LoopbackTls.ConnectAsync();
        _disposables.Add(i);
        _disposables.Add(r);
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings()));
        var needs = new PeerRequirements(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!);
        var inOwner = CreateTestProbe("in-owner");
        var outOwner = CreateTestProbe("out-owner");
        Sys.ActorOf(Transport.Props(new StartHandshake("in", HandshakeRole.Responder, r.GetStream(), "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), needs, ActorRefs.Nobody) { Revocation = revocation },
            supervisor, inOwner, new Transport.Settings(RevocationRecheck: TimeSpan.FromMilliseconds(300))));
        Sys.ActorOf(Transport.Props(new StartHandshake("out", HandshakeRole.Initiator, i.GetStream(), "QM2", TestPki.Shared.Credentials(peer.WithKey()), needs, ActorRefs.Nobody), supervisor, outOwner));
        await inOwner.ExpectMsgAsync<Transport.Connected>(TimeSpan.FromSeconds(20));
        await outOwner.ExpectMsgAsync<Transport.Connected>(TimeSpan.FromSeconds(20));
        var atHandshake = responder.Requests;
        await inOwner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(800));

        // Each re-check must ask the responder again rather than read the answer cached at the handshake.
        await AwaitConditionAsync(() => Task.FromResult(responder.Requests > atHandshake), TimeSpan.FromSeconds(5));
        var asked = responder.Requests;

        // The responder's answers are valid for 5 minutes: a re-check served from the cache would not see this.
        responder.Revoked(peer.Certificate);
        var revoked = DateTime.UtcNow;

        var closed = await inOwner.ExpectMsgAsync<Transport.ConnectionClosed>(TimeSpan.FromSeconds(5));
        Output!.WriteLine($"cut off {(DateTime.UtcNow - revoked).TotalMilliseconds:F0} ms after the revocation (re-check every 300 ms)");
        Assert.True(responder.Requests > asked);
        Assert.Equal("AMQ9633E", closed.AmqCode);
        Assert.Contains("revoked while the connection ran", closed.Reason, StringComparison.Ordinal);
        Assert.NotNull((await outOwner.ExpectMsgAsync<Transport.ConnectionClosed>(TimeSpan.FromSeconds(10))).Reason);
    }

    public new void Dispose()
    {
        Shutdown();
        foreach (var d in _disposables)
        {
            d.Dispose();
        }

        base.Dispose();
    }
}
