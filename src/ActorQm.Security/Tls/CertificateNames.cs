using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>Name comparisons on the DER of subject and issuer, as path building compares them.</summary>
internal static class CertificateNames
{
    /// <summary>Subject and issuer are the same name (a root, or a CA's key-rollover certificate).</summary>
    public static bool IsSelfIssued(this X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    /// <summary><paramref name="issuer"/>'s subject is <paramref name="certificate"/>'s issuer name.</summary>
    public static bool IsNamedIssuerOf(this X509Certificate2 issuer, X509Certificate2 certificate) =>
        issuer.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
