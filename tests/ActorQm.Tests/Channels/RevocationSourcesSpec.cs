using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Configuration;

namespace ActorQm.Tests.Channels;

public sealed class RevocationSourcesSpec
{
    private readonly TestCatalog _objects = new();
    private readonly TlsSettings _tls = ActorQmSettings.ForQueueManager("QM1").Tls;

    private ObjectCatalog Catalog => _objects.Catalog;

    private MqscOutcome Run(string command) => _objects.Run(command);

    [Fact]
    public void Sources_must_follow_SSLCRLNL_to_the_OCSP_AUTHINFO_and_take_the_rest_from_HOCON()
    {
        Run("DEFINE AUTHINFO(OCSP.1) AUTHTYPE(OCSP) OCSPURL('http://ocsp.example:8080/')");
        Run("DEFINE AUTHINFO(LDAP.CRL) AUTHTYPE(CRLLDAP) CONNAME('ldap(389)')");
        Run("DEFINE NAMELIST(REVOC.NL) NAMES(OCSP.1, LDAP.CRL)");
        Run("ALTER QMGR SSLCRLNL(REVOC.NL)");

        var built = RevocationSources.FromCatalog(Catalog, _tls, new OcspClient(), new CrlCache());

        Assert.Equal(new Uri("http://ocsp.example:8080/"), built.Settings.OcspResponder);
        Assert.True(built.Settings.OcspCheckExtensions);
        Assert.False(built.Settings.CdpCheckExtensions);
        Assert.Equal(UnknownRevocationPolicy.Required, built.Settings.Unknown);
        Assert.Equal(new LdapCrlServer("ldap", 389, string.Empty, string.Empty), Assert.Single(built.Settings.LdapServers!));
        Assert.Empty(built.Warnings);
    }

    [Fact]
    public void Sources_must_refuse_a_namelist_with_two_OCSP_objects()
    {
        Run("DEFINE AUTHINFO(OCSP.1) AUTHTYPE(OCSP) OCSPURL('http://a/')");
        Run("DEFINE AUTHINFO(OCSP.2) AUTHTYPE(OCSP) OCSPURL('http://b/')");
        Run("DEFINE NAMELIST(TWO) NAMES(OCSP.1, OCSP.2)");

        var refused = Run("ALTER QMGR SSLCRLNL(TWO)");
        Run("DEFINE NAMELIST(ONE) NAMES(OCSP.1)");
        Run("ALTER QMGR SSLCRLNL(ONE)");
        Run("ALTER NAMELIST(ONE) NAMES(OCSP.1, OCSP.2)");

        Assert.Contains("more than one AUTHINFO of AUTHTYPE(OCSP)", refused.Lines[0], StringComparison.Ordinal);
        var e = Assert.Throws<InvalidOperationException>(() => RevocationSources.FromCatalog(Catalog, _tls, new OcspClient(), new CrlCache()));
        Assert.Contains("more than one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_settings_must_read_allowed_CipherSpecs_and_refuse_deprecated_ones()
    {
        var allowed = ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.tls.allowed-cipher-specs = [TLS_AES_256_GCM_SHA384, ECDHE_ECDSA_AES_256_GCM_SHA384]"));
        var weak = ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.tls.allowed-cipher-specs = [RC4_MD5_US]");

        Assert.Equal(["TLS_AES_256_GCM_SHA384", "ECDHE_ECDSA_AES_256_GCM_SHA384"], allowed.QueueManagers[0].Tls.AllowedCipherSpecs!.Select(c => c.Name));
        Assert.Null(_tls.AllowedCipherSpecs);
        Assert.Contains("deprecated", Assert.Throws<ConfigurationException>(() => ActorQmSettings.Create(weak)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_settings_must_refuse_an_unknown_OCSP_authentication_value()
    {
        var config = ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.tls.ocsp-authentication = maybe");

        var e = Assert.Throws<ConfigurationException>(() => ActorQmSettings.Create(config));

        Assert.Contains("required, warn or optional", e.Message, StringComparison.Ordinal);
    }
}
