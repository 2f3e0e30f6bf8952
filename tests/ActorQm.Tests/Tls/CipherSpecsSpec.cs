using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class CipherSpecsSpec
{
    private const string Spec12 = "ECDHE_ECDSA_AES_128_GCM_SHA256";
    private const string Spec13 = "TLS_AES_128_GCM_SHA256";
    private static readonly X509Certificate2 ServerCertificate = LoopbackTls.EcdsaServerCertificate();

    [Theory]
    [InlineData("")]
    [InlineData("ANY")]
    [InlineData("any_tls13_or_higher")]
    [InlineData("TLS_CHACHA20_POLY1305_SHA256")]
    [InlineData("ECDHE_RSA_AES_256_GCM_SHA384")]
    [InlineData("TLS_RSA_WITH_AES_128_CBC_SHA256")]
    public void CipherSpecs_must_accept_current_names_and_aliases(string value) => Assert.Null(CipherSpecs.DefinitionError(value));

    [Theory]
    [InlineData("RC4_MD5_US", "deprecated (SSL 3.0)")]
    [InlineData("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "deprecated (TLS 1.0)")]
    [InlineData("ECDHE_RSA_RC4_128_SHA256", "deprecated (TLS 1.2 with a broken or no cipher)")]
    [InlineData("TLS_RSA_WITH_NULL_SHA256", "deprecated")]
    [InlineData("TLS_AES_512_GCM_SHA512", "not a CipherSpec")]
    [InlineData("ECDHE_ECDSA_AES_128_GCM_SHA256_AND_MORE_TEXT", "longer than 32")]
    public void CipherSpecs_must_refuse_deprecated_and_unknown_names(string value, string why) =>
        Assert.Contains(why, CipherSpecs.DefinitionError(value), StringComparison.Ordinal);

    [Fact]
    public void CipherSpecs_must_leave_nothing_for_TLS13_only_values_where_TLS13_is_off()
    {
        Assert.Null(CipherSpecs.Select("ANY_TLS13", allowTls13: false));
        Assert.Null(CipherSpecs.Select(Spec13, allowTls13: false));
        Assert.Equal(SslProtocols.Tls12, CipherSpecs.Select("ANY_TLS12_OR_HIGHER", allowTls13: false)!.Protocols);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, CipherSpecs.Select("ANY")!.Protocols);
    }

    [Fact]
    public void CipherSpecs_must_offer_TLS13_first_in_MQ_preference_order()
    {
        Assert.Equal(["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"], CipherSpecs.Current.Take(3).Select(c => c.Name));
        Assert.DoesNotContain(CipherSpecs.Current, c => c.Deprecated);
        Assert.Equal("ECDHE_ECDSA_AES_256_GCM_SHA384", CipherSpecs.NameOf(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, SslProtocols.Tls12));
    }

    private static readonly string[] Values = [Spec12, Spec13, "ANY", "ANY_TLS12", "ANY_TLS13", "ANY_TLS12_OR_HIGHER", "ANY_TLS13_OR_HIGHER"];

    /// <summary>Spec §5.3, TLS 1.3 enabled at both ends: rows are the initiator, columns the responder.</summary>
    private static readonly string[] BothTls13 =
    [
        "CFCCFCF",
        "FCCFCCC",
        "FLCFCCC",
        "LFCCFCF",
        "FLCFCCC",
        "FLCFCCC",
        "FLCFCCC",
    ];

    public static TheoryData<string, string, char> MatrixWithTls13()
    {
        var data = new TheoryData<string, string, char>();
        for (var row = 0; row < Values.Length; row++)
        {
            for (var column = 0; column < Values.Length; column++)
            {
                data.Add(Values[row], Values[column], BothTls13[row][column]);
            }
        }

        return data;
    }

    /// <summary>
    /// Real handshakes: the responder offers every CipherSpec it has enabled (it does not know the
    /// channel yet), the initiator offers what its SSLCIPH allows, and the responder then checks the
    /// negotiated suite against the channel's SSLCIPH. 'L' cells depend on which suite wins; for
    /// them only the rule itself is checked.
    /// </summary>
    [Theory]
    [MemberData(nameof(MatrixWithTls13))]
    public async Task CipherSpecs_must_follow_the_alias_matrix_with_TLS13_at_both_ends(string initiator, string responder, char expected)
    {
        var outcome = await Negotiate(initiator, responder, responderTls13: true);

        if (expected != 'L')
        {
            Assert.Equal(expected, outcome);
        }
    }

    [Theory]
    [InlineData(Spec12, Spec12, 'C')]
    [InlineData(Spec12, "ANY", 'C')]
    [InlineData("ANY", "ANY_TLS12", 'C')]
    [InlineData("ANY_TLS12_OR_HIGHER", "ANY", 'C')]
    [InlineData("ANY_TLS12", "ANY_TLS12_OR_HIGHER", 'C')]
    [InlineData("ANY_TLS12_OR_HIGHER", "ANY_TLS12", 'C')]
    public async Task CipherSpecs_must_follow_the_alias_matrix_with_TLS13_off_at_the_responder(string initiator, string responder, char expected)
    {
        Assert.Equal(expected, await Negotiate(initiator, responder, responderTls13: false));
    }

    [Fact]
    public async Task CipherSpecs_must_not_connect_an_RSA_certificate_with_an_ECDSA_only_CipherSpec()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new CertificateRequest("CN=QM2", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var rsaCertificate = X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12), null);
        var offered = CipherSpecs.Select(Spec12)!;

        await Assert.ThrowsAnyAsync<Exception>(() => LoopbackTls.HandshakeAsync(
            new SslServerAuthenticationOptions { ServerCertificate = rsaCertificate, EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13, CipherSuitesPolicy = CipherSpecs.Policy(CipherSpecs.Current) },
            new SslClientAuthenticationOptions
            {
                TargetHost = "QM2",
                EnabledSslProtocols = offered.Protocols,
                CipherSuitesPolicy = CipherSpecs.Policy(offered.Offered),
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == rsaCertificate.GetCertHashString(),
            }));
    }

    private static async Task<char> Negotiate(string initiator, string responder, bool responderTls13)
    {
        var offered = CipherSpecs.Select(initiator)!;
        var server = new SslServerAuthenticationOptions
        {
            ServerCertificate = ServerCertificate,
            EnabledSslProtocols = responderTls13 ? SslProtocols.Tls12 | SslProtocols.Tls13 : SslProtocols.Tls12,
            CipherSuitesPolicy = CipherSpecs.Policy(CipherSpecs.Current),
        };
        var client = new SslClientAuthenticationOptions
        {
            TargetHost = "QM2",
            EnabledSslProtocols = offered.Protocols,
            CipherSuitesPolicy = CipherSpecs.Policy(offered.Offered),
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == ServerCertificate.GetCertHashString(),
        };

        try
        {
            var (protocol, suite) = await LoopbackTls.HandshakeAsync(server, client);
            Assert.True(offered.Accepts(protocol, suite), $"negotiated {protocol} {suite} outside what {initiator} offered");
            return CipherSpecs.Select(responder, responderTls13)?.Accepts(protocol, suite) == true ? 'C' : 'F';
        }
        catch (AuthenticationException)
        {
            return 'F';
        }
    }
}
