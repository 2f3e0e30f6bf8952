using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Fresh revocation checks (<see cref="RevocationSettings.Fresh"/>, what a running connection's re-checks use) ask
/// the sources past the caches and leave the fresh answer cached. The re-check of a connection over real TLS is
/// OcspSpec's Transport_must_cut_off_a_running_peer_revoked_after_its_handshake_within_one_recheck.
/// </summary>
public sealed class RevocationRecheckSpec : IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly LoopbackHttp _http = new();

    [Fact]
    public async Task Revocation_must_fetch_a_distribution_point_again_on_a_fresh_check_and_cache_what_it_got()
    {
        var url = _http.Url("/ca.crl");
        var leaf = TestPki.Leaf(Ca, "CN=CDP.REVOKED.LATER", extensions: [CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url.ToString()])]);
        _http.Serve("/ca.crl", TestPki.Crl(Ca, []));
        var settings = new RevocationSettings([], CdpCheckExtensions: true, Cache: new CrlCache());
        Task<RevocationAnswer> Check(RevocationSettings s) => RevocationChecker.CheckAsync([leaf.Certificate, Ca.Certificate], s, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(RevocationStatus.Good, (await Check(settings)).Status);

        // The CA revokes the leaf and publishes a new CRL, while the first one (valid for a week) is cached.
        _http.Serve("/ca.crl", TestPki.Crl(Ca, [leaf.Certificate], number: 2));

        Assert.Equal(RevocationStatus.Good, (await Check(settings)).Status);
        Assert.Equal(1, _http.Requests);
        Assert.Equal(RevocationStatus.Revoked, (await Check(settings with { Fresh = true })).Status);
        Assert.Equal(2, _http.Requests);
        Assert.Equal(RevocationStatus.Revoked, (await Check(settings)).Status);
        Assert.Equal(2, _http.Requests);
    }

    public void Dispose() => _http.Dispose();
}
