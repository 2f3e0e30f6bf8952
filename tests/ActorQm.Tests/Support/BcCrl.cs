using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using X509Extension = System.Security.Cryptography.X509Certificates.X509Extension;

namespace ActorQm.Tests.Support;

/// <summary>
/// CRLs with the extensions .NET's CRL builder cannot write (issuingDistributionPoint, deltaCRLIndicator,
/// certificateIssuer entries, made-up critical extensions), built and signed with BouncyCastle's
/// X509V2CrlGenerator by the test CA's real key.
/// </summary>
internal static class BcCrl
{
    /// <summary>A made-up extension nobody recognises.</summary>
    public const string UnknownOid = "1.3.6.1.4.1.99999.1";

    /// <summary>One revoked certificate: its serial, reason (RFC 5280 CRLReason), and optionally a certificateIssuer or a made-up critical extension.</summary>
    public sealed record Entry(BigInteger Serial, int Reason = CrlReason.KeyCompromise, X509Name? CertificateIssuer = null, bool UnknownCritical = false)
    {
        public static Entry Of(X509Certificate2 certificate, int reason = CrlReason.KeyCompromise, X509Name? certificateIssuer = null, bool unknownCritical = false) =>
            new(SerialOf(certificate), reason, certificateIssuer, unknownCritical);
    }

    public static BigInteger SerialOf(X509Certificate2 certificate) => new(certificate.SerialNumber, 16);

    public static X509Name Name(TestPki.Issued ca) => new X509CertificateParser().ReadCertificate(ca.Certificate.RawData).SubjectDN;

    /// <summary>An issuingDistributionPoint, optionally naming <paramref name="url"/> as its distribution point.</summary>
    public static IssuingDistributionPoint Idp(bool onlyUser = false, bool onlyCa = false, int? reasons = null, bool indirect = false, bool onlyAttribute = false, string? url = null) =>
        new(url is null ? null : new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, url))),
            onlyUser, onlyCa, reasons is { } r ? new ReasonFlags(r) : null, indirect, onlyAttribute);

    /// <summary>An issuingDistributionPoint named relative to the CRL issuer (nameRelativeToCRLIssuer) by one RDN, <c>CN=<paramref name="cn"/></c>.</summary>
    public static IssuingDistributionPoint RelativeIdp(string cn) =>
        new(new DistributionPointName(DistributionPointName.NameRelativeToCrlIssuer, new DerSet(new DerSequence(X509Name.CN, new DerUtf8String(cn)))),
            false, false, null, false, false);

    /// <summary>A CRL distribution points extension naming one directoryName, <paramref name="name"/>.</summary>
    public static X509Extension DirectoryDistributionPoint(X509Name name) =>
        new("2.5.29.31", new CrlDistPoint([new DistributionPoint(new DistributionPointName(new GeneralNames(new GeneralName(name))), null, null)]).GetDerEncoded(), false);

    /// <summary>A CRL (a delta CRL when <paramref name="deltaOf"/> is set) signed by <paramref name="issuer"/>.</summary>
    public static byte[] Build(TestPki.Issued issuer, IEnumerable<Entry> entries, long number = 1, IssuingDistributionPoint? idp = null, long? deltaOf = null,
        bool unknownCritical = false, DateTimeOffset? nextUpdate = null)
    {
        var generator = new X509V2CrlGenerator();
        generator.SetIssuerDN(Name(issuer));
        generator.SetThisUpdate(TestPki.Now.AddHours(-1).UtcDateTime);
        generator.SetNextUpdate((nextUpdate ?? TestPki.Now.AddDays(7)).UtcDateTime);
        generator.AddExtension(X509Extensions.CrlNumber, false, DerInteger.ValueOf(number));
        if (idp is not null)
        {
            generator.AddExtension(X509Extensions.IssuingDistributionPoint, true, idp);
        }

        if (deltaOf is { } baseNumber)
        {
            generator.AddExtension(X509Extensions.DeltaCrlIndicator, true, DerInteger.ValueOf(baseNumber));
        }

        if (unknownCritical)
        {
            generator.AddExtension(UnknownOid, true, DerNull.Instance);
        }

        foreach (var entry in entries)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(X509Extensions.ReasonCode, false, new CrlReason(entry.Reason));
            if (entry.CertificateIssuer is { } certificateIssuer)
            {
                extensions.AddExtension(X509Extensions.CertificateIssuer, true, new GeneralNames(new GeneralName(certificateIssuer)));
            }

            if (entry.UnknownCritical)
            {
                extensions.AddExtension(new DerObjectIdentifier(UnknownOid), true, DerNull.Instance);
            }

            generator.AddCrlEntry(entry.Serial, TestPki.Now.AddHours(-2).UtcDateTime, extensions.Generate());
        }

        var key = PrivateKeyFactory.CreateKey(issuer.Key.ExportPkcs8PrivateKey());
        return generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", key)).GetEncoded();
    }

    /// <summary>A freshestCRL extension (2.5.29.46) naming where the issuer's delta CRLs are.</summary>
    public static X509Extension FreshestCrl(Uri url) =>
        new("2.5.29.46", CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url.ToString()]).RawData, false);

    /// <summary>A CRL distribution points extension naming <paramref name="url"/>.</summary>
    public static X509Extension DistributionPoint(string url) => CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url]);
}
