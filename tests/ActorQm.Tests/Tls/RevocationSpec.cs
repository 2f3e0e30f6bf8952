using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Tls;

/// <summary>
/// The revocation step of the handshake with real CRLs signed by the test's CA: from files, and
/// from distribution points served over loopback HTTP. Both ends run real TLS.
/// </summary>
public sealed class RevocationSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly List<IDisposable> _disposables = new();

    private static CrlDocument Crl(TestPki.Issued issuer, IEnumerable<X509Certificate2> revoked, DateTimeOffset? nextUpdate = null) =>
        CrlDocument.Parse(TestPki.Crl(issuer, revoked, nextUpdate), "test CRL");

    /// <summary>QM2 (responder) checks the initiator's certificate with <paramref name="revocation"/>.</summary>
    private Task<object> Accept(TestPki.Issued initiator, RevocationSettings revocation) =>
        this.RespondToAsync(TestPki.Shared.Credentials(initiator.WithKey()), revocation, _disposables);

    private static HandshakeFailed Refused(object outcome, string code)
    {
        var failed = Assert.IsType<HandshakeFailed>(outcome);
        Assert.Equal(HandshakeStep.Revocation, failed.Step);
        Assert.Equal(code, failed.AmqCode);
        return failed;
    }

    /// <summary>A CA with one key under two issuers: straight under the root, and (an older cross-certificate) under the shared intermediate.</summary>
    private static (TestPki.Issued Direct, TestPki.Issued Cross) CrossSignedCa(string cn)
    {
        var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return (TestPki.Intermediate(Root, cn, key: key), TestPki.Intermediate(Ca, cn, key: key));
    }

    [Fact]
    public async Task Revocation_must_accept_a_peer_over_another_valid_path_when_a_cross_certificate_on_the_first_is_revoked()
    {
        var (direct, cross) = CrossSignedCa("Migrated CA");
        var leaf = TestPki.Leaf(direct, "CN=MIGRATED.QM");
        var settings = new RevocationSettings([Crl(Root, []), Crl(Ca, [cross.Certificate]), Crl(direct, [])]);
        var policy = new ChainPolicy([Root.Certificate], [Ca.Certificate, cross.Certificate, direct.Certificate], CertificateUsage.Client);
        IReadOnlyList<X509Certificate2> viaCross = [leaf.Certificate, cross.Certificate, Ca.Certificate, Root.Certificate];

        var (answer, chain) = await RevocationChecker.CheckAnyPathAsync(viaCross, ChainValidator.OtherValidPaths(leaf.Certificate, policy, null, viaCross), settings, DateTimeOffset.UtcNow, CancellationToken.None);
        // Over TLS the caller sends the path through the cross-certificate (a TLS stack sends one path)
        // and the key repository also holds the CA's certificate under the root: accepted whichever
        // path the TLS layer builds (the check above is the one that needs the other path).
        var overTls = await this.RespondToAsync(new TlsCredentials(leaf.WithKey(), [cross.Certificate, Ca.Certificate], [Root.Certificate], []), settings, _disposables,
            new TlsCredentials(TestPki.Shared.Qm2, [Ca.Certificate], [Root.Certificate], [Ca.Certificate, direct.Certificate]));

        Assert.Equal(RevocationStatus.Good, answer.Status);
        Assert.Equal([leaf.Certificate.Thumbprint, direct.Certificate.Thumbprint, Root.Certificate.Thumbprint], chain.Select(c => c.Thumbprint));
        Assert.True(overTls is HandshakeSucceeded, overTls.ToString());
    }

    [Fact]
    public async Task Revocation_must_refuse_a_revoked_peer_whichever_path_it_takes()
    {
        var (direct, cross) = CrossSignedCa("Migrating CA");
        var leaf = TestPki.Leaf(direct, "CN=REVOKED.MIGRATED.QM");
        var settings = new RevocationSettings([Crl(Root, []), Crl(Ca, []), Crl(direct, [leaf.Certificate])]);

        var outcome = await this.RespondToAsync(new TlsCredentials(leaf.WithKey(), [cross.Certificate, Ca.Certificate, direct.Certificate], [Root.Certificate], []), settings, _disposables);

        Refused(outcome, "AMQ9633E");
    }

    [Fact]
    public async Task Revocation_must_refuse_a_peer_on_its_issuers_CRL_with_MQRC_2401()
    {
        var revoked = TestPki.Leaf(Ca, "CN=REVOKED.QM");

        var failed = Refused(await Accept(revoked, new RevocationSettings([Crl(Ca, [revoked.Certificate])])), "AMQ9633E");

        Assert.Equal(MqReason.SslCertificateRevoked, failed.Reason);
        Assert.Contains("CN=REVOKED.QM", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_must_refuse_the_peer_when_the_check_itself_fails_even_under_OPTIONAL()
    {
        // A fault inside the checker (here a null CRL entry it trips over) is no answer; OPTIONAL covers only unknown statuses.
        var settings = new RevocationSettings([Crl(Ca, []), null!], Unknown: UnknownRevocationPolicy.Optional);

        var failed = Refused(await Accept(TestPki.Leaf(Ca, "CN=CHECK.FAULTED"), settings), "AMQ9716E");

        Assert.Contains("revocation check failed", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_must_check_the_whole_chain_except_the_root()
    {
        var revokedCa = TestPki.Intermediate(Root, "Revoked CA");
        var leaf = TestPki.Leaf(revokedCa, "CN=UNDER.REVOKED.CA");
        var settings = new RevocationSettings([Crl(Root, [revokedCa.Certificate]), Crl(revokedCa, [])]);

        var failed = Refused(await this.RespondToAsync(new TlsCredentials(leaf.WithKey(), [revokedCa.Certificate], [Root.Certificate], []), settings, _disposables), "AMQ9633E");
        Assert.Contains("intermediate is revoked", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_must_accept_a_peer_that_no_CRL_lists_and_say_so_in_the_transition()
    {
        var steps = CreateTestProbe("steps");
        Sys.EventStream.Subscribe(steps, typeof(HandshakeTransitioned));
        var other = TestPki.Leaf(Ca, "CN=SOMEONE.ELSE");
        var settings = new RevocationSettings([Crl(Ca, [other.Certificate]), Crl(Root, [])]);

        var accepted = Assert.IsType<HandshakeSucceeded>(await Accept(TestPki.Leaf(Ca, "CN=GOOD.QM"), settings));

        accepted.Stream.Dispose();
        var left = await steps.FishForMessageAsync<HandshakeTransitioned>(t => t.ConnectionId == "in" && t.From == HandshakeStep.Revocation, TimeSpan.FromSeconds(5));
        Assert.Equal(RevocationStatus.Good, left.Revocation!.Status);
        Assert.Contains(": Good", left.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnknownRevocationPolicy.Required, false)]
    [InlineData(UnknownRevocationPolicy.Warn, true)]
    [InlineData(UnknownRevocationPolicy.Optional, true)]
    public async Task Revocation_must_apply_the_policy_to_an_expired_CRL(UnknownRevocationPolicy policy, bool accepted)
    {
        var warnings = CreateTestProbe("warnings");
        Sys.EventStream.Subscribe(warnings, typeof(ChannelSslWarning));
        var stale = CrlDocument.Parse(TestPki.Crl(Ca, [], nextUpdate: TestPki.Now.AddDays(-1), thisUpdate: TestPki.Now.AddDays(-3)), "stale CRL");

        var outcome = await Accept(TestPki.Leaf(Ca, "CN=APP"), new RevocationSettings([stale, Crl(Root, [])], Unknown: policy));

        if (accepted)
        {
            Assert.IsType<HandshakeSucceeded>(outcome);
        }
        else
        {
            Assert.Contains("expired", Refused(outcome, "AMQ9716E").Detail, StringComparison.Ordinal);
        }

        if (policy == UnknownRevocationPolicy.Warn)
        {
            Assert.Equal(SslReasonQualifier.UnknownRevocation, (await warnings.ExpectMsgAsync<ChannelSslWarning>()).Qualifier);
        }
        else
        {
            await warnings.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        }
    }

    [Fact]
    public async Task Revocation_must_not_trust_a_CRL_signed_by_another_key_with_the_same_issuer_name()
    {
        var impostor = TestPki.Intermediate(TestPki.Root("Test Root CA"), "Test Intermediate CA");
        var forged = CrlDocument.Parse(TestPki.Crl(impostor, []), "forged CRL");

        Assert.Contains("not signed by its issuer", Refused(await Accept(TestPki.Leaf(Ca, "CN=APP"), new RevocationSettings([forged, Crl(Root, [])])), "AMQ9716E").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_must_fetch_a_distribution_point_once_and_serve_the_next_handshake_from_the_cache()
    {
        var http = new LoopbackHttp();
        _disposables.Add(http);
        var url = http.Url("/ca.crl");
        var revoked = TestPki.Leaf(Ca, "CN=CDP.REVOKED", extensions: [CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url.ToString()])]);
        var good = TestPki.Leaf(Ca, "CN=CDP.GOOD", extensions: [CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url.ToString()])]);
        http.Serve("/ca.crl", TestPki.Crl(Ca, [revoked.Certificate]));
        var cache = new CrlCache();
        var settings = new RevocationSettings([Crl(Root, [])], CdpCheckExtensions: true, Cache: cache);

        Refused(await Accept(revoked, settings), "AMQ9633E");
        Assert.IsType<HandshakeSucceeded>(await Accept(good, settings));

        Assert.Equal(1, http.Requests);
        Assert.StartsWith(url.ToString(), Assert.Single(cache.Entries).Key, StringComparison.Ordinal);
        cache.Flush();
        Refused(await Accept(revoked, settings), "AMQ9633E");
        Assert.Equal(2, http.Requests);
    }

    [Fact]
    public async Task Revocation_must_give_up_on_a_hanging_distribution_point_within_its_timeout()
    {
        var http = new LoopbackHttp { Stall = true };
        _disposables.Add(http);
        var peer = TestPki.Leaf(Ca, "CN=SLOW.CDP", extensions: [CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([http.Url("/slow.crl").ToString()])]);
        var settings = new RevocationSettings([Crl(Root, [])], CdpCheckExtensions: true, FetchTimeout: TimeSpan.FromMilliseconds(500), Cache: new CrlCache());

        var started = DateTime.UtcNow;
        Refused(await Accept(peer, settings), "AMQ9716E");

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8));
    }

    private static Task<RevocationAnswer> CheckLeaf(TestPki.Issued leaf, RevocationSettings settings) =>
        RevocationChecker.CheckAsync([leaf.Certificate, Ca.Certificate], settings, DateTimeOffset.UtcNow, CancellationToken.None);

    private static CrlDocument Bc(byte[] der, string name) => CrlDocument.Parse(der, name);

    [Fact]
    public async Task Revocation_must_find_a_revocation_on_the_real_CRL_when_an_ARL_of_the_issuer_is_seen_first()
    {
        var leaf = TestPki.Leaf(Ca, "CN=ARL.FIRST");
        var arl = Bc(BcCrl.Build(Ca, [], idp: BcCrl.Idp(onlyCa: true)), "ARL");

        var answer = await CheckLeaf(leaf, new RevocationSettings([arl, Crl(Ca, [leaf.Certificate])]));

        Assert.Equal(RevocationStatus.Revoked, answer.Status);
        Assert.Equal(RevocationStatus.Unknown, (await CheckLeaf(leaf, new RevocationSettings([arl]))).Status);
    }

    [Fact]
    public async Task Revocation_must_find_a_revocation_on_any_usable_CRL_not_only_the_first()
    {
        var leaf = TestPki.Leaf(Ca, "CN=SECOND.CRL");
        var older = Bc(BcCrl.Build(Ca, [], number: 1), "older CRL");
        var newer = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(leaf.Certificate)], number: 2), "newer CRL");

        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(leaf, new RevocationSettings([older, newer]))).Status);
    }

    [Fact]
    public async Task Revocation_must_apply_a_delta_CRL_to_its_base()
    {
        var leaf = TestPki.Leaf(Ca, "CN=DELTA.REVOKED");
        var good = TestPki.Leaf(Ca, "CN=DELTA.GOOD");
        var baseCrl = Bc(BcCrl.Build(Ca, [], number: 10), "base CRL");
        var delta = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(leaf.Certificate)], number: 11, deltaOf: 10), "delta CRL");

        var answer = await CheckLeaf(leaf, new RevocationSettings([baseCrl, delta]));

        Assert.Equal(RevocationStatus.Revoked, answer.Status);
        Assert.Contains("delta CRL", answer.Detail, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(good, new RevocationSettings([baseCrl, delta]))).Status);
    }

    [Fact]
    public async Task Revocation_must_release_a_certificateHold_only_by_a_delta_that_applies_to_the_base()
    {
        var held = TestPki.Leaf(Ca, "CN=ON.HOLD");
        var baseCrl = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(held.Certificate, Org.BouncyCastle.Asn1.X509.CrlReason.CertificateHold)], number: 10), "base CRL");
        var release = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(held.Certificate, Org.BouncyCastle.Asn1.X509.CrlReason.RemoveFromCrl)], number: 11, deltaOf: 10), "delta CRL");
        var tooNew = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(held.Certificate, Org.BouncyCastle.Asn1.X509.CrlReason.RemoveFromCrl)], number: 13, deltaOf: 12), "delta of a later base");
        var otherScope = Bc(BcCrl.Build(Ca, [BcCrl.Entry.Of(held.Certificate, Org.BouncyCastle.Asn1.X509.CrlReason.RemoveFromCrl)], number: 11, deltaOf: 10,
            idp: BcCrl.Idp(onlyUser: true)), "delta of another scope");

        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(held, new RevocationSettings([baseCrl]))).Status);
        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(held, new RevocationSettings([baseCrl, release]))).Status);
        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(held, new RevocationSettings([baseCrl, tooNew]))).Status);
        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(held, new RevocationSettings([baseCrl, otherScope]))).Status);
    }

    [Fact]
    public async Task Revocation_must_fetch_the_delta_CRL_named_by_the_certificates_freshestCRL()
    {
        var http = new LoopbackHttp();
        _disposables.Add(http);
        var baseUrl = http.Url("/ca.crl");
        var deltaUrl = http.Url("/ca-delta.crl");
        var leaf = TestPki.Leaf(Ca, "CN=FRESHEST", extensions: [BcCrl.DistributionPoint(baseUrl.ToString()), BcCrl.FreshestCrl(deltaUrl)]);
        http.Serve("/ca.crl", BcCrl.Build(Ca, [], number: 20));
        http.Serve("/ca-delta.crl", BcCrl.Build(Ca, [BcCrl.Entry.Of(leaf.Certificate)], number: 21, deltaOf: 20));

        var answer = await CheckLeaf(leaf, new RevocationSettings([Crl(Root, [])], CdpCheckExtensions: true, Cache: new CrlCache()));

        Assert.Equal(RevocationStatus.Revoked, answer.Status);
        Assert.Contains(deltaUrl.ToString(), answer.Source, StringComparison.Ordinal);
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
