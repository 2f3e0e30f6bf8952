using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.X509;

namespace ActorQm.Tls;

public enum RevocationStatus
{
    Good,
    Revoked,
    Unknown,
}

/// <summary>What OCSPAuthentication says an UNKNOWN answer does (docs/tls.md); ActorQm applies it to CRL sources too.</summary>
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

/// <summary>
/// Where revocation information comes from (docs/tls.md: the AUTHINFO OCSP responder, the AIA
/// responder if OCSPCheckExtensions, distribution points if CDPCheckExtensions, then configured
/// CRLs), and what UNKNOWN means (OCSPAuthentication).
/// </summary>
public sealed record RevocationSettings(
    IReadOnlyList<CrlDocument> Crls,
    bool CdpCheckExtensions = false,
    UnknownRevocationPolicy Unknown = UnknownRevocationPolicy.Required,
    TimeSpan? FetchTimeout = null,
    CrlCache? Cache = null,
    Uri? OcspResponder = null,
    bool OcspCheckExtensions = false,
    OcspClient? Ocsp = null,
    string? ConfigurationError = null,
    IReadOnlyList<LdapCrlServer>? LdapServers = null,
    RevokedCertificates? Revoked = null)
{
    public static readonly RevocationSettings None = new([]);

    /// <summary>Sources that were configured but could not be loaded: every status is unknown until they are fixed.</summary>
    /// <summary>
    /// Ask every OCSP responder and CRL source again rather than answer from the caches (revocation re-checks of a running
    /// connection); the fresh answers then refresh the caches. Bounded by the same timeout and policy.
    /// </summary>
    public bool Fresh { get; init; }

    public static RevocationSettings Unusable(string why, UnknownRevocationPolicy unknown) => new([], Unknown: unknown, ConfigurationError: why);

    public bool ChecksAnything => Revoked is { Count: > 0 } || ChecksSources;

    /// <summary>Any OCSP or CRL source (or a broken configuration of one).</summary>
    public bool ChecksSources => ConfigurationError is not null || Crls.Count > 0 || CdpCheckExtensions || LdapServers is { Count: > 0 }
        || (Ocsp is not null && (OcspResponder is not null || OcspCheckExtensions));

    public TimeSpan EffectiveFetchTimeout => FetchTimeout ?? TimeSpan.FromSeconds(5);
}

/// <summary>
/// Checks every certificate of a validated chain except the root (docs/tls.md): OCSP (the configured
/// responder, then the AIA one), whose first definitive answer wins; else the CRLs of the issuer from
/// distribution points over HTTP (with the delta CRLs of freshestCRL), the AUTHINFO(CRLLDAP) servers
/// (both through <see cref="CrlCache"/>) and configured CRL files (for air-gapped sites), weighed
/// together by <see cref="CrlStatus"/>. A certificate no source can decide is UNKNOWN. See docs/tls.md.
/// </summary>
public static class RevocationChecker
{
    /// <summary>The freshestCRL extension: where the issuer publishes delta CRLs.</summary>
    public const string FreshestCrlOid = "2.5.29.46";

    private const string CrlDistributionPointsOid = "2.5.29.31";

    /// <summary>
    /// Checks the validated <paramref name="chain"/>; when it is not GOOD, each of the peer's
    /// <paramref name="otherPaths"/> in turn (RFC 5280 validates paths, not certificates: a CA
    /// cross-certificate revoked by one root does not condemn a peer another root still vouches for).
    /// The first GOOD path is the answer, with that path; else the first path's answer.
    /// </summary>
    public static async Task<(RevocationAnswer Answer, IReadOnlyList<X509Certificate2> Chain)> CheckAnyPathAsync(IReadOnlyList<X509Certificate2> chain,
        IEnumerable<IReadOnlyList<X509Certificate2>> otherPaths, RevocationSettings settings, DateTimeOffset now, CancellationToken cancel)
    {
        var first = await CheckAsync(chain, settings, now, cancel).ConfigureAwait(false);
        if (first.Status == RevocationStatus.Good)
        {
            return (first, chain);
        }

        foreach (var path in otherPaths)
        {
            cancel.ThrowIfCancellationRequested();
            var answer = await CheckAsync(path, settings, now, cancel).ConfigureAwait(false);
            if (answer.Status == RevocationStatus.Good)
            {
                return (answer, path);
            }
        }

        return (first, chain);
    }

    public static async Task<RevocationAnswer> CheckAsync(IReadOnlyList<X509Certificate2> chain, RevocationSettings settings, DateTimeOffset now, CancellationToken cancel)
    {
        if (!settings.ChecksAnything)
        {
            return RevocationAnswer.NotChecked;
        }

        // Beyond MQ: what this actor system already knows revoked (REVOKE CERT, the cluster) decides first.
        if (settings.Revoked is { Count: > 0 } known)
        {
            foreach (var certificate in chain)
            {
                if (known.Find(certificate) is { } entry)
                {
                    return new RevocationAnswer(RevocationStatus.Revoked, "revocation list " + entry.Source, $"serial {certificate.SerialNumber} of '{PeerName.Issuer(certificate)}' is on this system's revocation list ({entry.Source})", certificate);
                }
            }

            if (!settings.ChecksSources)
            {
                return RevocationAnswer.NotChecked;
            }
        }

        if (settings.ConfigurationError is { } broken)
        {
            return new RevocationAnswer(RevocationStatus.Unknown, "configuration", broken, chain.Count > 0 ? chain[0] : null);
        }

        var parser = new X509CertificateParser();
        var answeredBy = new List<string>();
        for (var i = 0; i + 1 < chain.Count; i++)
        {
            var subject = chain[i];
            var issuer = chain[i + 1];
            var bcIssuer = parser.ReadCertificate(issuer.RawData);
            var serial = parser.ReadCertificate(subject.RawData).SerialNumber;
            var role = i == 0 ? "peer certificate" : "intermediate";
            var unknowns = new List<RevocationAnswer>();
            // Fetched CRLs are cached per issuer (CrlCache's scope): one CA's certificates cannot spoil another's.
            var scope = issuer.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);

            // Sources in the spec's order; the first definitive answer wins, UNKNOWN falls through.
            var responders = new List<Uri>();
            if (settings.Ocsp is not null && settings.OcspResponder is { } configured)
            {
                responders.Add(configured);
            }

            if (settings.Ocsp is not null && settings.OcspCheckExtensions)
            {
                if (OcspClient.AiaResponder(subject) is { } aia)
                {
                    responders.Add(aia);
                }
                else if (OcspClient.AiaOcspLocations(subject) is { Count: > 0 } elsewhere)
                {
                    // Named, but not by an http URL we can ask: that is no answer, not "nothing to check".
                    unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "OCSP (AIA)", $"the {role}'s OCSP responder {string.Join(", ", elsewhere)} cannot be asked (http only)", subject));
                }
            }

            var httpPoints = settings.CdpCheckExtensions ? DistributionPoints(subject) : [];
            if (settings.CdpCheckExtensions && httpPoints.Count == 0 && subject.Extensions[CrlDistributionPointsOid] is not null)
            {
                unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "CRL (CDP)", $"the {role}'s CRL distribution points cannot be read (http only)", subject));
            }

            // Spec 6.4 #4 per certificate: with only the extension-driven sources enabled, a certificate
            // that carries neither AIA nor CDP gives them nothing to ask, so it is not checked.
            if (responders.Count == 0 && unknowns.Count == 0 && httpPoints.Count == 0
                && settings.LdapServers is not { Count: > 0 } && settings.Crls.Count == 0)
            {
                continue;
            }

            RevocationAnswer? decided = null;
            foreach (var responder in responders)
            {
                var answer = await settings.Ocsp!.CheckAsync(responder, subject, issuer, now, settings.EffectiveFetchTimeout, cancel, settings.Fresh).ConfigureAwait(false);
                if (answer.Status != RevocationStatus.Unknown)
                {
                    decided = answer;
                    break;
                }

                unknowns.Add(answer);
            }

            if (decided is null)
            {
                // Every CRL of the issuer from every CRL source is weighed together: no first usable CRL decides.
                var crls = new List<CrlDocument>(settings.Crls);
                string? Verify(CrlDocument crl) => crl.IsFrom(bcIssuer) ? crl.UsableFor(bcIssuer, issuer, now) : $"CRL from {crl.Source} is issued by '{crl.Issuer}', not by '{issuer.Subject}'";
                if (settings.CdpCheckExtensions && settings.Cache is { } cache)
                {
                    // The freshestCRL extension names where the issuer's delta CRLs are (RFC 5280 §5.2.6).
                    var urls = httpPoints.Concat(DistributionPoints(subject, FreshestCrlOid)).Distinct().ToList();
                    var fetched = await cache.FetchAsync(urls, Verify, settings.EffectiveFetchTimeout, cancel, settings.Fresh, scope).ConfigureAwait(false);
                    crls.AddRange(fetched);
                    foreach (var url in urls.Where(u => !fetched.Any(c => c.Source == u.ToString())))
                    {
                        unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "CRL " + url, cache.Problem(CrlCache.Key(url, scope)) ?? $"no CRL could be read from {url}", subject));
                    }
                }

                if (settings.LdapServers is { Count: > 0 } servers && settings.Cache is { } ldapCache)
                {
                    foreach (var server in servers)
                    {
                        var key = $"{server}/{issuer.Subject} for {scope}";
                        var fromLdap = await ldapCache.GetAsync(key, ct => LdapCrlClient.FetchAsync(server, issuer.Subject, ct, ldapCache.MaxBytes), Verify, settings.EffectiveFetchTimeout, cancel, settings.Fresh).ConfigureAwait(false);
                        if (fromLdap is null)
                        {
                            unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "LDAP " + server, $"no CRL for '{issuer.Subject}' could be read from {server}{(ldapCache.Problem(key) is { } why ? $" ({why})" : string.Empty)}", subject));
                            continue;
                        }

                        crls.Add(fromLdap);
                    }
                }

                decided = CrlStatus.Decide(crls, bcIssuer, issuer, subject, serial, role, now, unknowns);
            }

            if (decided is { Status: RevocationStatus.Revoked })
            {
                return decided;
            }

            if (decided is null)
            {
                return unknowns.Count == 0
                    ? new RevocationAnswer(RevocationStatus.Unknown, "CRL", $"no revocation source covers the {role} issued by '{issuer.Subject}'", subject, NoSourceForIssuer: true)
                    : new RevocationAnswer(RevocationStatus.Unknown, string.Join(", ", unknowns.Select(u => u.Source).Distinct()), string.Join("; ", unknowns.Select(u => u.Detail)), subject);
            }

            answeredBy.Add(decided.Source);
        }

        // The sources that answered, the peer certificate's first (what the handshake's timeline and metrics show).
        return new RevocationAnswer(RevocationStatus.Good, answeredBy.Count == 0 ? "none" : string.Join(", ", answeredBy.Distinct()), "no certificate of the chain is revoked", null);
    }

    /// <summary>HTTP URLs of the certificate's CRL distribution points (or, with <see cref="FreshestCrlOid"/>, of its delta CRLs).</summary>
    public static IReadOnlyList<Uri> DistributionPoints(X509Certificate2 certificate, string extension = CrlDistributionPointsOid)
    {
        var ext = certificate.Extensions[extension];
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
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException)
        {
            return [];
        }
    }
}
