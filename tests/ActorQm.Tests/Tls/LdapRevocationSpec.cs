using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>CRLs read from a real slapd, as AUTHINFO(CRLLDAP) does: the entry named like the issuer.</summary>
public sealed class LdapRevocationSpec : IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly Slapd _slapd = new();

    private RevocationSettings Ldap(LdapCrlServer? server = null, CrlCache? cache = null) =>
        new([], Cache: cache ?? new CrlCache(), FetchTimeout: TimeSpan.FromSeconds(3), LdapServers: [server ?? new LdapCrlServer("127.0.0.1", _slapd.Port)]);

    private static Task<RevocationAnswer> Check(TestPki.Issued leaf, RevocationSettings settings) =>
        RevocationChecker.CheckAsync([leaf.Certificate, Ca.Certificate], settings, DateTimeOffset.UtcNow, CancellationToken.None);

    [Fact]
    public async Task Ldap_must_find_the_issuers_CRL_and_report_revoked_and_good_certificates()
    {
        var revoked = TestPki.Leaf(Ca, "CN=LDAP.REVOKED");
        var good = TestPki.Leaf(Ca, "CN=LDAP.GOOD");
        _slapd.PublishCrl(Ca.Certificate.Subject, "Test Intermediate CA", TestPki.Crl(Ca, [revoked.Certificate]));
        var cache = new CrlCache();

        var r = await Check(revoked, Ldap(cache: cache));
        var g = await Check(good, Ldap(cache: cache));

        Assert.Equal(RevocationStatus.Revoked, r.Status);
        Assert.StartsWith("CRL ldap://127.0.0.1:", r.Source, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Good, g.Status);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task Ldap_must_give_unknown_when_the_issuer_has_no_entry_or_the_server_is_down()
    {
        var leaf = TestPki.Leaf(Ca, "CN=NO.ENTRY");

        var missing = await Check(leaf, Ldap());
        var down = await Check(leaf, Ldap(new LdapCrlServer("127.0.0.1", 9)));

        Assert.Equal(RevocationStatus.Unknown, missing.Status);
        Assert.Equal(RevocationStatus.Unknown, down.Status);
        Assert.Contains("could be read from ldap://127.0.0.1:9", down.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldap_server_must_read_an_MQ_CONNAME()
    {
        Assert.Equal(new LdapCrlServer("ldap.example", 389, "cn=x", "p"), LdapCrlServer.FromConnName("ldap.example", "cn=x", "p"));
        Assert.Equal(636, LdapCrlServer.FromConnName("ldap.example(636)", null, null).Port);
        Assert.Throws<FormatException>(() => LdapCrlServer.FromConnName("ldap.example(port)", null, null));
    }

    public void Dispose() => _slapd.Dispose();
}
