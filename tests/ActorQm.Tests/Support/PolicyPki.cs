using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tests.Support;

/// <summary>
/// CA certificates carrying the policy extensions of RFC 5280 (certificatePolicies, policyMappings,
/// policyConstraints, inhibitAnyPolicy), DER-encoded here so that malformed ones can be made too.
/// </summary>
internal static class PolicyPki
{
    public const string AnyPolicy = "2.5.29.32.0";
    private static int _serial = 70_000;

    /// <summary>A policy OID of the test's own arc.</summary>
    public static string P(int n) => $"1.3.6.1.4.1.55555.1.{n}";

    public static X509Extension Policies(params string[] oids)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var oid in oids)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                }
            }
        }

        return new X509Extension("2.5.29.32", writer.Encode(), false);
    }

    public static X509Extension Mappings(params (string Issuer, string Subject)[] pairs)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (issuer, subject) in pairs)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(issuer);
                    writer.WriteObjectIdentifier(subject);
                }
            }
        }

        return new X509Extension("2.5.29.33", writer.Encode(), true);
    }

    /// <summary>policyConstraints: [0] requireExplicitPolicy, [1] inhibitPolicyMapping (SkipCerts), always critical.</summary>
    public static X509Extension Constraints(int? requireExplicitPolicy = null, int? inhibitPolicyMapping = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            if (requireExplicitPolicy is { } require)
            {
                writer.WriteInteger(require, new Asn1Tag(TagClass.ContextSpecific, 0));
            }

            if (inhibitPolicyMapping is { } inhibit)
            {
                writer.WriteInteger(inhibit, new Asn1Tag(TagClass.ContextSpecific, 1));
            }
        }

        return new X509Extension("2.5.29.36", writer.Encode(), true);
    }

    public static X509Extension InhibitAny(int skipCerts)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(skipCerts);
        return new X509Extension("2.5.29.54", writer.Encode(), true);
    }

    public static X509Extension Raw(string oid, string hex, bool critical = true) => new(oid, Convert.FromHexString(hex), critical);

    /// <summary>A self-signed trust anchor with the given extensions.</summary>
    public static TestPki.Issued Root(string cn, params X509Extension[] extensions)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest($"CN={cn},O=Example", key, extensions);
        var cert = request.CreateSelfSigned(TestPki.Now.AddDays(-30), TestPki.Now.AddYears(5));
        return new TestPki.Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    /// <summary>A CA named <paramref name="cn"/> issued by <paramref name="issuer"/>.</summary>
    public static TestPki.Issued Ca(TestPki.Issued issuer, string cn, params X509Extension[] extensions) =>
        Issue(issuer, $"CN={cn},O=Example", extensions);

    /// <summary>A key-rollover certificate: <paramref name="ca"/>'s own name, a new key, signed by <paramref name="ca"/>.</summary>
    public static TestPki.Issued SelfIssued(TestPki.Issued ca, params X509Extension[] extensions) =>
        Issue(ca, ca.Certificate.Subject, extensions);

    private static TestPki.Issued Issue(TestPki.Issued issuer, string subject, X509Extension[] extensions)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(subject, key, extensions);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        Array.Reverse(serial);
        var cert = request.Create(issuer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key),
            TestPki.Now.AddDays(-10), TestPki.Now.AddYears(2), serial);
        return new TestPki.Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    private static CertificateRequest CaRequest(string subject, ECDsa key, X509Extension[] extensions)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        return request;
    }
}
