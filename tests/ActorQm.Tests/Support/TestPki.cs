using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tests.Support;

/// <summary>
/// Certificates minted for a test with the .NET CertificateRequest API: a root, intermediates
/// and leaves, each with a real key pair and real signatures. Nothing is written to disk.
/// </summary>
internal sealed class TestPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private static int _serial;

    public static DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

    /// <summary>One PKI for the TLS specs: a root, an intermediate, and queue managers QM1 and QM2 with keys.</summary>
    public static class Shared
    {
        public static readonly Issued Root = TestPki.Root();
        public static readonly Issued Ca = Intermediate(Root);
        public static readonly X509Certificate2 Qm1 = Leaf(Ca, "CN=QM1,OU=MQ,O=Example").WithKey();
        public static readonly X509Certificate2 Qm2 = Leaf(Ca, "CN=QM2,OU=MQ,O=Example").WithKey();

        /// <summary>Our certificate (sent with the intermediate), trusting the shared root.</summary>
        public static ActorQm.Tls.TlsCredentials Credentials(X509Certificate2? own) => new(own, [Ca.Certificate], [Root.Certificate], []);
    }

    public sealed record Issued(X509Certificate2 Certificate, ECDsa Key)
    {
        /// <summary>The certificate with its private key, usable by SslStream.</summary>
        public X509Certificate2 WithKey() =>
            X509CertificateLoader.LoadPkcs12(Certificate.CopyWithPrivateKey(Key).Export(X509ContentType.Pkcs12), null);
    }

    public static Issued Root(string cn = "Test Root CA", DateTimeOffset? notAfter = null, DateTimeOffset? notBefore = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(cn, key, pathLength: null);
        var cert = request.CreateSelfSigned(notBefore ?? Now.AddDays(-30), notAfter ?? Now.AddYears(5));
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    /// <summary>An intermediate CA; the same <paramref name="key"/> and name under two issuers make a cross-signed CA.</summary>
    public static Issued Intermediate(Issued issuer, string cn = "Test Intermediate CA", int? pathLength = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, ECDsa? key = null)
    {
        key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(cn, key, pathLength);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        return Sign(request, issuer, notBefore ?? Now.AddDays(-10), notAfter ?? Now.AddYears(2), key);
    }

    public static Issued Leaf(Issued issuer, string subject = "CN=QM2,OU=MQ,O=Example", bool server = true, bool client = true,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool ca = false, X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature,
        IEnumerable<X509Extension>? extensions = null, bool ocspSigning = false, X500DistinguishedName? rawSubject = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(rawSubject ?? new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var purposes = new OidCollection();
        if (server)
        {
            purposes.Add(ServerAuth);
        }

        if (client)
        {
            purposes.Add(ClientAuth);
        }

        if (ocspSigning)
        {
            purposes.Add(new Oid("1.3.6.1.5.5.7.3.9"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(purposes, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        foreach (var extension in extensions ?? [])
        {
            request.CertificateExtensions.Add(extension);
        }

        return Sign(request, issuer, notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddDays(90), key);
    }

    /// <summary>
    /// A name written byte for byte, leaf-first (CN first; DER order is the reverse): one attribute per RDN
    /// with the string tag given, even where the tag forbids the content (a '*' in a PrintableString).
    /// </summary>
    public static X500DistinguishedName RawName(params (string Oid, UniversalTagNumber Tag, byte[] Value)[] leafFirst)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (oid, tag, value) in leafFirst.Reverse())
            {
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    // Written as raw TLV: AsnWriter refuses content its tag forbids, which is the point here.
                    writer.WriteEncodedValue([(byte)tag, (byte)value.Length, .. value]);
                }
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }

    /// <summary>A real CRL signed by <paramref name="issuer"/>'s key listing <paramref name="revoked"/>.</summary>
    public static byte[] Crl(Issued issuer, IEnumerable<X509Certificate2> revoked, DateTimeOffset? nextUpdate = null, DateTimeOffset? thisUpdate = null, long number = 1)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var cert in revoked)
        {
            builder.AddEntry(cert, Now.AddHours(-1), X509RevocationReason.KeyCompromise);
        }

        return builder.Build(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), number,
            nextUpdate ?? Now.AddDays(7), HashAlgorithmName.SHA256, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false), thisUpdate ?? Now.AddHours(-1));
    }

    /// <summary>A leaf with an RSA key of the given size (for weak-key cases).</summary>
    public static X509Certificate2 RsaLeaf(Issued issuer, int bits)
    {
        using var rsa = RSA.Create(bits);
        var request = new CertificateRequest("CN=weak", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + 1000);
        return X509CertificateLoader.LoadCertificate(request.Create(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), Now.AddDays(-1), Now.AddDays(30), serial).RawData);
    }

    private static CertificateRequest CaRequest(string cn, ECDsa key, int? pathLength)
    {
        var request = new CertificateRequest($"CN={cn},O=Example", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength.HasValue, pathLength ?? 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static Issued Sign(CertificateRequest request, Issued issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, ECDsa key)
    {
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + 1000);
        var cert = request.Create(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), notBefore, notAfter, serial);
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }
}
