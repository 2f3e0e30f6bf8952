using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.X509;

namespace ActorQm.Tls;

public enum RevocationStatus
{
    Good,
    Revoked,
    Unknown,
}

/// <summary>What OCSPAuthentication says an UNKNOWN answer does (spec §6.5); ActorQm applies it to CRL sources too.</summary>
public enum UnknownRevocationPolicy
{
    Required,
    Warn,
    Optional,
}

/// <summary>The answer for a whole chain: the first revoked or undeterminable certificate decides.</summary>
public sealed record RevocationAnswer(RevocationStatus Status, string Source, string Detail, X509Certificate2? Certificate, bool NoSourceForIssuer = false)
{
    public static readonly RevocationAnswer NotChecked = new(RevocationStatus.Good, "none", "no revocation source configured", null);
}

/// <summary>Where revocation information comes from, and what UNKNOWN means.</summary>
public sealed record RevocationSettings(
    IReadOnlyList<CrlDocument> Crls,
    bool CdpCheckExtensions = false,
    UnknownRevocationPolicy Unknown = UnknownRevocationPolicy.Required,
    TimeSpan? FetchTimeout = null,
    CrlCache? Cache = null)
{
    public static readonly RevocationSettings None = new([]);

    public bool ChecksAnything => Crls.Count > 0 || CdpCheckExtensions;

    public TimeSpan EffectiveFetchTimeout => FetchTimeout ?? TimeSpan.FromSeconds(5);
}

/// <summary>
/// Checks every certificate of a validated chain except the root (spec §6.4) against CRLs: those
/// configured (files, for air-gapped sites), then, if CDPCheckExtensions, those named by the
/// certificate's CRL distribution points over HTTP (cached until nextUpdate). The first usable CRL
/// from the certificate's issuer is definitive; a certificate with none is UNKNOWN.
/// </summary>
public static class RevocationChecker
{
    public static async Task<RevocationAnswer> CheckAsync(IReadOnlyList<X509Certificate2> chain, RevocationSettings settings, DateTimeOffset now, CancellationToken cancel)
    {
        if (!settings.ChecksAnything)
        {
            return RevocationAnswer.NotChecked;
        }

        var parser = new X509CertificateParser();
        for (var i = 0; i + 1 < chain.Count; i++)
        {
            var subject = chain[i];
            var issuer = chain[i + 1];
            var bcIssuer = parser.ReadCertificate(issuer.RawData);
            var serial = parser.ReadCertificate(subject.RawData).SerialNumber;
            var role = i == 0 ? "peer certificate" : "intermediate";

            var candidates = settings.Crls.Where(c => c.IsFrom(bcIssuer)).ToList();
            if (candidates.Count == 0 && settings.CdpCheckExtensions && settings.Cache is { } cache)
            {
                candidates.AddRange(await cache.FetchAsync(DistributionPoints(subject), settings.EffectiveFetchTimeout, cancel).ConfigureAwait(false));
                candidates.RemoveAll(c => !c.IsFrom(bcIssuer));
            }

            if (candidates.Count == 0)
            {
                return new RevocationAnswer(RevocationStatus.Unknown, "CRL", $"no CRL from '{issuer.Subject}' covers the {role}", subject, NoSourceForIssuer: true);
            }

            var problems = new List<string>();
            var decided = false;
            foreach (var crl in candidates)
            {
                if (crl.UsableFor(bcIssuer, issuer, now) is { } problem)
                {
                    problems.Add(problem);
                    continue;
                }

                if (crl.Lists(serial))
                {
                    return new RevocationAnswer(RevocationStatus.Revoked, crl.Source, $"the {role} is revoked (serial {subject.SerialNumber} is on the CRL of '{issuer.Subject}' from {crl.Source})", subject);
                }

                decided = true;
                break;
            }

            if (!decided)
            {
                return new RevocationAnswer(RevocationStatus.Unknown, "CRL", string.Join("; ", problems), subject);
            }
        }

        return new RevocationAnswer(RevocationStatus.Good, "CRL", "no certificate of the chain is on a CRL", null);
    }

    /// <summary>HTTP URLs of the certificate's CRL distribution points.</summary>
    public static IReadOnlyList<Uri> DistributionPoints(X509Certificate2 certificate)
    {
        var ext = certificate.Extensions["2.5.29.31"];
        if (ext is null)
        {
            return [];
        }

        try
        {
            var points = Org.BouncyCastle.Asn1.X509.CrlDistPoint.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(ext.RawData));
            var uris = new List<Uri>();
            foreach (var point in points.GetDistributionPoints())
            {
                if (point.DistributionPointName?.Name is Org.BouncyCastle.Asn1.X509.GeneralNames names)
                {
                    foreach (var name in names.GetNames())
                    {
                        if (name.TagNo == Org.BouncyCastle.Asn1.X509.GeneralName.UniformResourceIdentifier
                            && Uri.TryCreate(name.Name.ToString(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp)
                        {
                            uris.Add(uri);
                        }
                    }
                }
            }

            return uris;
        }
        catch (ArgumentException)
        {
            return [];
        }
    }
}
