using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Cli.Dev;

/// <summary>
/// A throwaway development PKI: a root CA, an intermediate CA, and end-entity certificates for
/// queue managers and clients (ECDSA P-256, SHA-256, serverAuth and clientAuth), written as MQ-style
/// key repository folders (<c>personal/LABEL.p12</c>, <c>trusted/*.pem</c>, a stash file) and PEM.
/// For demos and tests only: its keys sit unprotected on disk and nothing is ever revoked for real.
/// </summary>
public sealed class DevPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private DevPki(Issued root, Issued intermediate, Uri? ocsp)
    {
        Root = root;
        Intermediate = intermediate;
        Ocsp = ocsp;
    }

    public sealed record Issued(X509Certificate2 Certificate, ECDsa Key);

    public Issued Root { get; }

    public Issued Intermediate { get; }

    /// <summary>The OCSP responder named in end-entity certificates' AIA, if any.</summary>
    public Uri? Ocsp { get; }

    public const string Organisation = "O=ActorQm Demo";

    /// <param name="ocsp">Written into each end-entity certificate's AIA extension so peers can ask it.</param>
    public static DevPki Create(Uri? ocsp = null)
    {
        var now = DateTimeOffset.UtcNow;
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = CaRequest($"CN=ActorQm Dev Root CA,{Organisation}", rootKey, null);
        var root = new Issued(X509CertificateLoader.LoadCertificate(rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(2)).RawData), rootKey);
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = CaRequest($"CN=ActorQm Dev Intermediate CA,{Organisation}", caKey, 0);
        caRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root.Certificate, true, false));
        var intermediate = Sign(caRequest, root, now.AddDays(-1), now.AddYears(1), caKey);
        return new DevPki(root, intermediate, ocsp);
    }

    /// <summary>
    /// An end-entity certificate issued by the intermediate, usable as TLS server and client; with <paramref name="loopbackNames"/>
    /// it also names localhost and 127.0.0.1 (for servers that other tools check by host name, such as the benchmark's peers).
    /// </summary>
    public Issued Issue(string subject, TimeSpan? validity = null, bool loopbackNames = false)
    {
        var now = DateTimeOffset.UtcNow;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate.Certificate, true, false));
        if (Ocsp is { } url)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([url.ToString()], null));
        }

        if (loopbackNames)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        return Sign(request, Intermediate, now.AddMinutes(-10), now + (validity ?? TimeSpan.FromDays(90)), key);
    }

    /// <summary>A CRL of <paramref name="issuer"/> (DER) listing <paramref name="revoked"/>, valid for a week.</summary>
    public static byte[] Crl(Issued issuer, params X509Certificate2[] revoked)
    {
        var now = DateTimeOffset.UtcNow;
        var builder = new CertificateRevocationListBuilder();
        foreach (var cert in revoked)
        {
            builder.AddEntry(cert, now.AddMinutes(-5), X509RevocationReason.KeyCompromise);
        }

        return builder.Build(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), 1, now.AddDays(7),
            HashAlgorithmName.SHA256, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false), now.AddMinutes(-5));
    }

    /// <summary>
    /// Writes a key repository folder at <paramref name="path"/> (what QMGR SSLKEYR names): the
    /// certificate under <paramref name="label"/> with its key, the two CAs as trusted, a stash file.
    /// </summary>
    public void WriteKeyRepository(string path, string label, Issued own, string password = "actorqm-dev")
    {
        Directory.CreateDirectory(Path.Combine(path, "personal"));
        Directory.CreateDirectory(Path.Combine(path, "trusted"));
        File.WriteAllText(Path.Combine(path, "trusted", "root.pem"), Root.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(path, "trusted", "intermediate.pem"), Intermediate.Certificate.ExportCertificatePem());
        using var withKey = own.Certificate.CopyWithPrivateKey(own.Key);
        WritePrivate(Path.Combine(path, "personal", label + ".p12"), withKey.Export(X509ContentType.Pkcs12, password));
        WritePrivate(path + ".sth", System.Text.Encoding.UTF8.GetBytes(password + "\n"));
    }

    /// <summary>Certificate and key as PEM (for openssl and other tools).</summary>
    public static void WritePem(string directory, string name, Issued issued)
    {
        File.WriteAllText(Path.Combine(directory, name + ".pem"), issued.Certificate.ExportCertificatePem());
        WritePrivate(Path.Combine(directory, name + ".key"), System.Text.Encoding.ASCII.GetBytes(issued.Key.ExportPkcs8PrivateKeyPem()));
    }

    private static void WritePrivate(string path, byte[] content)
    {
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static CertificateRequest CaRequest(string subject, ECDsa key, int? pathLength)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength.HasValue, pathLength ?? 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static Issued Sign(CertificateRequest request, Issued issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, ECDsa key)
    {
        // 16 random octets, positive and minimally encoded (first octet 0x01-0x7F), as RFC 5280 asks.
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        var cert = request.Create(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), notBefore, notAfter, serial);
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }
}
