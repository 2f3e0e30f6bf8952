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

    public void Dispose() => _http.Dispose();
}
