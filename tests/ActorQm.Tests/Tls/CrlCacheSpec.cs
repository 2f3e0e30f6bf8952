using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>
/// The CRL cache as a hostile distribution point sees it: what it keeps (only CRLs verified against the
/// issuer, never past a cap), how often it asks again after a failure, and how much it reads.
/// </summary>
public sealed class CrlCacheSpec : IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly LoopbackHttp _http = new();

    private static Task<RevocationAnswer> CheckLeaf(TestPki.Issued leaf, CrlCache cache) =>
        RevocationChecker.CheckAsync([leaf.Certificate, Ca.Certificate],
            new RevocationSettings([CrlDocument.Parse(TestPki.Crl(Root, []), "root CRL")], CdpCheckExtensions: true, Cache: cache, FetchTimeout: TimeSpan.FromSeconds(5)),
            DateTimeOffset.UtcNow, CancellationToken.None);

    private TestPki.Issued LeafPointingAt(string path, string cn) =>
        TestPki.Leaf(Ca, cn, extensions: [BcCrl.DistributionPoint(_http.Url(path).ToString())]);

    [Fact]
    public async Task CrlCache_must_not_keep_a_CRL_that_fails_verification()
    {
        var leaf = LeafPointingAt("/ca.crl", "CN=POISONED");
        var impostor = new TestPki.Issued(Ca.Certificate, System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256));
        _http.Serve("/ca.crl", TestPki.Crl(impostor, [], nextUpdate: TestPki.Now.AddYears(5)));
        var cache = new CrlCache();

        var answer = await CheckLeaf(leaf, cache);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("not signed by its issuer", answer.Detail, StringComparison.Ordinal);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task CrlCache_must_not_let_a_certificate_of_another_CA_put_a_CAs_distribution_point_into_back_off()
    {
        // A CA in the trust store issues a certificate whose CDP names our CA's URL: that CRL does not
        // verify for it, and must not make our CA's own certificates wait out a back-off.
        var other = TestPki.Intermediate(Root, "Other CA");
        var url = _http.Url("/ca.crl").ToString();
        var stranger = TestPki.Leaf(other, "CN=STRANGER", extensions: [BcCrl.DistributionPoint(url)]);
        var ours = LeafPointingAt("/ca.crl", "CN=OURS");
        _http.Serve("/ca.crl", TestPki.Crl(Ca, [ours.Certificate]));
        var cache = new CrlCache();
        var settings = new RevocationSettings([CrlDocument.Parse(TestPki.Crl(Root, []), "root CRL")], CdpCheckExtensions: true, Cache: cache, FetchTimeout: TimeSpan.FromSeconds(5));

        var strangers = await RevocationChecker.CheckAsync([stranger.Certificate, other.Certificate], settings, DateTimeOffset.UtcNow, CancellationToken.None);
        var answer = await CheckLeaf(ours, cache);

        Assert.Equal(RevocationStatus.Unknown, strangers.Status);
        Assert.Equal(RevocationStatus.Revoked, answer.Status);
    }

    [Fact]
    public async Task CrlCache_must_ask_a_failing_source_again_only_after_a_growing_capped_back_off()
    {
        var clock = new ManualClock();
        var cache = new CrlCache(time: clock);
        var url = _http.Url("/ca.crl");
        var impostor = new TestPki.Issued(Ca.Certificate, System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256));
        _http.Serve("/ca.crl", TestPki.Crl(impostor, [], nextUpdate: TestPki.Now.AddYears(5)));
        var bcCa = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(Ca.Certificate.RawData);
        string? Verify(CrlDocument crl) => crl.UsableFor(bcCa, Ca.Certificate, DateTimeOffset.UtcNow);
        Task<IReadOnlyList<CrlDocument>> Fetch() => cache.FetchAsync([url], Verify, TimeSpan.FromSeconds(5), CancellationToken.None);

        await Fetch();
        clock.Advance(CrlCache.RetryMin - TimeSpan.FromSeconds(1));
        Assert.Empty(await Fetch());
        Assert.Equal(1, _http.Requests);
        Assert.Contains("not signed by its issuer", cache.Problem(url.ToString()), StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Fetch();
        Assert.Equal(2, _http.Requests);
        clock.Advance(CrlCache.RetryMin);
        await Fetch();
        Assert.Equal(2, _http.Requests);
        clock.Advance(CrlCache.RetryMin);
        await Fetch();
        Assert.Equal(3, _http.Requests);
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(CrlCache.RetryMax);
            await Fetch();
        }

        Assert.Equal(13, _http.Requests);
        Assert.Equal(0, cache.Count);

        _http.Serve("/ca.crl", TestPki.Crl(Ca, [], nextUpdate: TestPki.Now.AddYears(5)));
        clock.Advance(CrlCache.RetryMax);
        Assert.Single(await Fetch());
        Assert.Equal(1, cache.Count);
        Assert.Null(cache.Problem(url.ToString()));
    }

    [Fact]
    public async Task CrlCache_must_keep_a_verified_CRL_no_longer_than_its_maximum_lifetime()
    {
        var clock = new ManualClock();
        var cache = new CrlCache(time: clock);
        var url = _http.Url("/ca.crl");
        _http.Serve("/ca.crl", TestPki.Crl(Ca, [], nextUpdate: TestPki.Now.AddYears(5)));
        Task<IReadOnlyList<CrlDocument>> Fetch() => cache.FetchAsync([url], _ => null, TimeSpan.FromSeconds(5), CancellationToken.None);

        await Fetch();
        Assert.Equal(clock.GetUtcNow() + CrlCache.MaxLifetime, Assert.Single(cache.Entries).Value);
        clock.Advance(CrlCache.MaxLifetime - TimeSpan.FromSeconds(1));
        await Fetch();
        Assert.Equal(1, _http.Requests);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Fetch();
        Assert.Equal(2, _http.Requests);
    }

    [Fact]
    public async Task CrlCache_must_refuse_a_CRL_larger_than_its_cap_as_no_answer()
    {
        var many = Enumerable.Range(0, 200).Select(_ => TestPki.Leaf(Ca, "CN=FILLER").Certificate).ToList();
        var leaf = LeafPointingAt("/big.crl", "CN=BEHIND.A.BIG.CRL");
        _http.Serve("/big.crl", TestPki.Crl(Ca, [leaf.Certificate, .. many]));
        var cache = new CrlCache(maxBytes: 4096);

        var answer = await CheckLeaf(leaf, cache);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("tls.crl-max-bytes", answer.Detail, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(leaf, new CrlCache())).Status);
    }

    [Fact]
    public async Task CrlCache_must_stop_reading_an_endless_body_at_its_cap()
    {
        await using var endless = new EndlessStream();

        var e = await Assert.ThrowsAsync<IOException>(() => CrlCache.ReadCappedAsync(endless, 1024 * 1024, "an endless server", CancellationToken.None));

        Assert.Contains("tls.crl-max-bytes", e.Message, StringComparison.Ordinal);
        Assert.True(endless.Served <= 1024 * 1024 + 81920, $"read {endless.Served} bytes");
    }

    [Fact]
    public async Task CrlCache_must_have_LDAP_refuse_an_answer_announced_larger_than_its_cap_before_reading_it()
    {
        using var server = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        server.Start();
        var port = ((System.Net.IPEndPoint)server.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await server.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await stream.ReadAtLeastAsync(new byte[256], 1, throwOnEndOfStream: false);
            // An LDAPMessage announcing 256 MiB, of which nothing follows.
            await stream.WriteAsync(new byte[] { 0x30, 0x84, 0x10, 0x00, 0x00, 0x00 });
            await stream.FlushAsync();
            await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false);
        });

        var e = await Assert.ThrowsAsync<IOException>(() => LdapCrlClient.FetchAsync(new LdapCrlServer("127.0.0.1", port), "CN=Test", CancellationToken.None, 1024 * 1024));

        Assert.Contains("tls.crl-max-bytes", e.Message, StringComparison.Ordinal);
        server.Stop();
        await serve.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public void Dispose() => _http.Dispose();

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>A body that never ends, counting what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)0x30, offset, count);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
