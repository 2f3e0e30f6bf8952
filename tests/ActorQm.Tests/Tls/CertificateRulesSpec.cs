using System.Security.Cryptography.X509Certificates;
using ActorQm.Tls;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Signature-algorithm rules on RSA chains made with BouncyCastle: RSASSA-PSS is judged by the hash
/// in its parameters, and the trust anchor's own signature is not judged (RFC 5280 6.1.1).
/// </summary>
public sealed class CertificateRulesSpec
{
    private static readonly SecureRandom Random = new(new Org.BouncyCastle.Crypto.Prng.DigestRandomGenerator(new Org.BouncyCastle.Crypto.Digests.Sha256Digest()));
    private static int _serial = 100;

    static CertificateRulesSpec() => Random.SetSeed(20261204);

    private static AsymmetricCipherKeyPair RsaKey()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(Random, 2048));
        return generator.GenerateKeyPair();
    }

    private static X509Certificate2 Issue(string subject, AsymmetricCipherKeyPair key, string issuer, AsymmetricCipherKeyPair issuerKey, string algorithm, bool ca)
    {
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(BigInteger.ValueOf(Interlocked.Increment(ref _serial)));
        generator.SetIssuerDN(new X509Name(issuer));
        generator.SetSubjectDN(new X509Name(subject));
        generator.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        generator.SetNotAfter(DateTime.UtcNow.AddDays(30));
        generator.SetPublicKey(key.Public);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(ca));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(ca ? KeyUsage.KeyCertSign | KeyUsage.CrlSign : KeyUsage.DigitalSignature));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(key.Public));
        if (subject != issuer)
        {
            generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(issuerKey.Public));
        }

        var certificate = generator.Generate(new Asn1SignatureFactory(algorithm, issuerKey.Private, Random));
        return X509CertificateLoader.LoadCertificate(certificate.GetEncoded());
    }

    private static readonly AsymmetricCipherKeyPair RootKey = RsaKey();
    private static readonly AsymmetricCipherKeyPair LeafKey = RsaKey();

    private static ChainValidationResult Validate(X509Certificate2 leaf, X509Certificate2 root) =>
        ChainValidator.Validate(leaf, new ChainPolicy([root], [], CertificateUsage.Client));

    [Fact]
    public void CertificateRules_must_refuse_RSASSA_PSS_whose_parameters_name_SHA1()
    {
        var root = Issue("CN=RSA Root", RootKey, "CN=RSA Root", RootKey, "SHA256WITHRSA", ca: true);
        var leaf = Issue("CN=APP1", LeafKey, "CN=RSA Root", RootKey, "SHA1WITHRSAANDMGF1", ca: false);

        var result = Validate(leaf, root);

        Assert.False(result.IsValid, result.ToString());
        Assert.Equal(ValidationStep.KeyStrength, result.FailedStep);
        Assert.Contains("RSASSA-PSS", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateRules_must_accept_RSASSA_PSS_with_SHA256()
    {
        var root = Issue("CN=RSA Root", RootKey, "CN=RSA Root", RootKey, "SHA256WITHRSA", ca: true);
        var leaf = Issue("CN=APP1", LeafKey, "CN=RSA Root", RootKey, "SHA256WITHRSAANDMGF1", ca: false);

        var result = Validate(leaf, root);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void CertificateRules_must_not_judge_the_signature_of_a_self_signed_trust_anchor()
    {
        var root = Issue("CN=Old RSA Root", RootKey, "CN=Old RSA Root", RootKey, "SHA1WITHRSA", ca: true);
        var leaf = Issue("CN=APP1", LeafKey, "CN=Old RSA Root", RootKey, "SHA256WITHRSA", ca: false);

        var result = Validate(leaf, root);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void CertificateRules_must_still_refuse_SHA1_below_the_anchor()
    {
        var root = Issue("CN=RSA Root", RootKey, "CN=RSA Root", RootKey, "SHA256WITHRSA", ca: true);
        var leaf = Issue("CN=APP1", LeafKey, "CN=RSA Root", RootKey, "SHA1WITHRSA", ca: false);

        var result = Validate(leaf, root);

        Assert.False(result.IsValid, result.ToString());
        Assert.Equal(ValidationStep.KeyStrength, result.FailedStep);
    }
}
