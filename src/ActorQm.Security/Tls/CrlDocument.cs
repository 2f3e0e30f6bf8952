using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>
/// One certificate revocation list, parsed and checked with BouncyCastle (X509Chain has no API to
/// take a CRL, and .NET's CRL builder does not verify one). Whether it can be trusted is decided
/// per issuer by <see cref="UsableFor"/> (signature, cRLSign, CRLNumber, no unrecognised critical
/// extension, dates); what it may answer for by <see cref="OutOfScopeFor"/> (its
/// issuingDistributionPoint, RFC 5280 §5.2.5 and §6.3.3). <see cref="CrlStatus"/> combines them; see
/// docs/tls.md, Revocation.
/// </summary>
public sealed class CrlDocument
{
    /// <summary>Every reason of RFC 5280 §5.3.1 but unused, in ReasonFlags' bits (as OpenSSL's CRLDP_ALL_REASONS).</summary>
    internal const int AllReasons = 0x807F;

    internal const int CertificateHold = CrlReason.CertificateHold;
    internal const int RemoveFromCrl = CrlReason.RemoveFromCrl;

    // What this reader processes; any other extension marked critical makes the CRL unusable (RFC 5280 §5.2, §5.3).
    private static readonly HashSet<string> KnownCrlExtensions = ["2.5.29.20", "2.5.29.27", "2.5.29.28", "2.5.29.35", "2.5.29.46", "2.5.29.18", "1.3.6.1.5.5.7.1.1"];
    private static readonly HashSet<string> KnownEntryExtensions = ["2.5.29.21", "2.5.29.23", "2.5.29.24", "2.5.29.29"];

    private readonly X509Crl _crl;
    private readonly byte[]? _idpDer;
    private readonly string? _defect;
    private readonly Dictionary<BigInteger, List<(GeneralNames? Issuer, int Reason)>> _entries = new();
    private readonly bool _entriesNameIssuers;

    private CrlDocument(X509Crl crl, string source)
    {
        _crl = crl;
        Source = source;
        try
        {
            var list = CertificateList.GetInstance(crl.GetEncoded());
            var extensions = list.TbsCertList.Extensions;
            if (extensions?.GetExtension(X509Extensions.IssuingDistributionPoint) is { } idp)
            {
                Idp = IssuingDistributionPoint.GetInstance(idp.GetParsedValue());
                _idpDer = Idp.GetDerEncoded();
            }

            Number = extensions?.GetExtension(X509Extensions.CrlNumber) is { } number ? DerInteger.GetInstance(number.GetParsedValue()).Value : null;
            DeltaBase = extensions?.GetExtension(X509Extensions.DeltaCrlIndicator) is { } delta ? DerInteger.GetInstance(delta.GetParsedValue()).Value : null;
            _defect = extensions is null ? null : UnknownCritical(extensions, KnownCrlExtensions, "the CRL");
            GeneralNames? current = null;
            foreach (var entry in list.GetRevokedCertificateEnumeration())
            {
                var entryExtensions = entry.Extensions;
                if (entryExtensions?.GetExtension(X509Extensions.CertificateIssuer) is { } named)
                {
                    // RFC 5280 §5.3.3: this and the following entries belong to the issuer it names.
                    current = GeneralNames.GetInstance(named.GetParsedValue());
                    _entriesNameIssuers = true;
                }

                var reason = entryExtensions?.GetExtension(X509Extensions.ReasonCode) is { } code ? DerEnumerated.GetInstance(code.GetParsedValue()).IntValueExact : CrlReason.Unspecified;
                _defect ??= entryExtensions is null ? null : UnknownCritical(entryExtensions, KnownEntryExtensions, $"the entry for serial {entry.UserCertificate.Value.ToString(16)}");
                var serial = entry.UserCertificate.Value;
                if (!_entries.TryGetValue(serial, out var listed))
                {
                    _entries[serial] = listed = [];
                }

                listed.Add((current, reason));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException or IOException or FormatException or ArithmeticException)
        {
            _defect = $"its extensions cannot be read ({e.Message})";
        }
    }

    /// <summary>Where it came from (file, URL, test), for messages.</summary>
    public string Source { get; }

    public DateTimeOffset ThisUpdate => new(DateTime.SpecifyKind(_crl.ThisUpdate, DateTimeKind.Utc));

    public DateTimeOffset? NextUpdate => _crl.NextUpdate is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : null;

    public string Issuer => _crl.IssuerDN.ToString();

    /// <summary>Its CRLNumber, if it has one.</summary>
    internal BigInteger? Number { get; }

    /// <summary>The BaseCRLNumber of a delta CRL (deltaCRLIndicator); null for a complete CRL.</summary>
    internal BigInteger? DeltaBase { get; }

    internal bool IsDelta => DeltaBase is not null;

    internal IssuingDistributionPoint? Idp { get; }

    /// <summary>The reasons it covers (onlySomeReasons, else all).</summary>
    internal int Reasons => Idp?.OnlySomeReasons is { } some ? some.IntValue & AllReasons : AllReasons;

    /// <summary>Reads a DER or PEM CRL; throws <see cref="FormatException"/> when it is not one.</summary>
    public static CrlDocument Parse(ReadOnlySpan<byte> data, string source)
    {
        try
        {
            var crl = new X509CrlParser().ReadCrl(data.ToArray()) ?? throw new FormatException($"{source} holds no CRL");
            return new CrlDocument(crl, source);
        }
        catch (Exception e) when (e is not FormatException)
        {
            throw new FormatException($"{source} is not a CRL: {e.Message}", e);
        }
    }

    public static CrlDocument Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Is this CRL issued by the issuer of a certificate (same issuer name)?</summary>
    internal bool IsFrom(BcCertificate issuer) => _crl.IssuerDN.Equivalent(issuer.SubjectDN, inOrder: true);

    private const string RsaPssOid = "1.2.840.113549.1.1.10";

    private string? PssWeakness()
    {
        try
        {
            return CertificateRules.PssParametersWeakness(_crl.GetSigAlgParams() is { Length: > 0 } parameters ? parameters : null);
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return "RSASSA-PSS with unreadable parameters";
        }
    }

    /// <summary>Why this CRL cannot be relied on for certificates of <paramref name="issuer"/> at <paramref name="now"/>, or null.</summary>
    internal string? UsableFor(BcCertificate issuer, X509Certificate2 issuerCertificate, DateTimeOffset now)
    {
        try
        {
            _crl.Verify(issuer.GetPublicKey());
        }
        catch (Exception)
        {
            // BouncyCastle throws whatever it meets on a signature it cannot check (an unknown algorithm
            // gives SecurityUtilityException): any of them means "not signed by the issuer".
            return $"CRL from {Source} is not signed by its issuer '{issuerCertificate.Subject}'";
        }

        // As for certificates (CertificateRules): a CRL signed with MD5 or SHA-1 could be a forgery.
        if (CertificateRules.WeakSignatureAlgorithms.Contains(_crl.SigAlgOid))
        {
            return $"CRL from {Source} is signed with a weak algorithm ({_crl.SigAlgName})";
        }

        if (_crl.SigAlgOid == RsaPssOid && PssWeakness() is { } weakPss)
        {
            return $"CRL from {Source} is signed with a weak algorithm ({weakPss})";
        }

        var keyUsage = issuerCertificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is not null && !keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign))
        {
            return $"issuer '{issuerCertificate.Subject}' of the CRL from {Source} may not sign CRLs (keyUsage lacks cRLSign)";
        }

        if (_defect is not null)
        {
            return $"CRL from {Source} is not used: {_defect}";
        }

        if (Number is null)
        {
            return $"CRL from {Source} has no CRLNumber";
        }

        if (_crl.GetCriticalExtensionOids()?.Contains(X509Extensions.CrlNumber.Id) == true)
        {
            return $"CRL from {Source} marks CRLNumber critical";
        }

        if (_entriesNameIssuers && Idp?.IsIndirectCrl != true)
        {
            // certificateIssuer belongs in indirect CRLs only (RFC 5280 §5.3.3): a CRL mixing them up cannot be read safely.
            return $"CRL from {Source} is not used: its entries name a certificateIssuer but it is not an indirect CRL";
        }

        if (ThisUpdate > now + TimeSpan.FromMinutes(5))
        {
            return $"CRL from {Source} is not valid before {ThisUpdate:u}";
        }

        if (NextUpdate is { } next && next < now)
        {
            return $"CRL from {Source} expired at {next:u} (nextUpdate)";
        }

        return null;
    }

    /// <summary>
    /// Why this CRL may not answer for <paramref name="certificate"/> (issued by <paramref name="issuer"/>) by its
    /// issuingDistributionPoint (RFC 5280 §6.3.3 (b)(2)), or null when its scope covers it.
    /// </summary>
    internal string? OutOfScopeFor(X509Certificate2 certificate, X509Name issuer)
    {
        if (Idp is not { } idp)
        {
            return null;
        }

        var isCa = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;
        if (idp.OnlyContainsAttributeCerts)
        {
            return $"CRL from {Source} is for attribute certificates only";
        }

        if (idp.OnlyContainsCACerts && !isCa)
        {
            return $"CRL from {Source} is for CA certificates only (an ARL)";
        }

        if (idp.OnlyContainsUserCerts && isCa)
        {
            return $"CRL from {Source} is for user certificates only";
        }

        if (idp.DistributionPoint is { } point)
        {
            var named = point.Type == DistributionPointName.FullName
                ? GeneralNames.GetInstance(point.Name).GetNames()
                : [new GeneralName(X509Name.GetInstance(new DerSequence(Asn1Sequence.GetInstance(_crl.IssuerDN.ToAsn1Object()).ToArray().Append(point.Name).ToArray())))];

            // RFC 5280 §6.3.3: a certificate without CRL distribution points is checked as if it had one named by its issuer.
            var points = DistributionPointNames(certificate);
            var wanted = points.Count > 0 ? points : [new GeneralName(issuer)];
            if (!named.Any(n => wanted.Any(w => SameName(n, w))))
            {
                return $"CRL from {Source} is for another distribution point than the certificate's";
            }
        }

        return null;
    }

    /// <summary>Can this delta CRL update <paramref name="complete"/> (RFC 5280 §5.2.4): same issuer and scope, built on it, newer?</summary>
    internal bool Updates(CrlDocument complete) =>
        DeltaBase is { } baseNumber && !complete.IsDelta && complete.Number is { } number && Number is { } own
        && _crl.IssuerDN.Equivalent(complete._crl.IssuerDN, inOrder: true)
        && (_idpDer ?? []).AsSpan().SequenceEqual(complete._idpDer ?? [])
        && baseNumber.CompareTo(number) <= 0 && own.CompareTo(number) > 0;

    /// <summary>
    /// The reason codes of this CRL's entries for <paramref name="serial"/> of <paramref name="issuer"/>: in an
    /// indirect CRL an entry belongs to the issuer named by the latest certificateIssuer (RFC 5280 §5.3.3), so a
    /// serial of another CA never matches.
    /// </summary>
    internal IReadOnlyList<int> ReasonsFor(BigInteger serial, X509Name issuer) =>
        _entries.TryGetValue(serial, out var listed)
            ? listed.Where(e => e.Issuer is null ? _crl.IssuerDN.Equivalent(issuer, inOrder: true) : e.Issuer.GetNames().Any(n => SameName(n, new GeneralName(issuer)))).Select(e => e.Reason).ToList()
            : [];

    /// <summary>The names of every distribution point of a CRL distribution points (or freshestCRL) extension of a certificate.</summary>
    internal static IReadOnlyList<GeneralName> DistributionPointNames(X509Certificate2 certificate, string oid = "2.5.29.31")
    {
        if (certificate.Extensions[oid] is not { } ext)
        {
            return [];
        }

        try
        {
            return CrlDistPoint.GetInstance(Asn1Object.FromByteArray(ext.RawData)).GetDistributionPoints()
                .Where(p => p.DistributionPointName?.Type == DistributionPointName.FullName)
                .SelectMany(p => GeneralNames.GetInstance(p.DistributionPointName.Name).GetNames())
                .ToList();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException)
        {
            return [];
        }
    }

    private static bool SameName(GeneralName a, GeneralName b) =>
        a.TagNo == b.TagNo && (a.TagNo == GeneralName.DirectoryName
            ? X509Name.GetInstance(a.Name).Equivalent(X509Name.GetInstance(b.Name), inOrder: true)
            : a.Name.ToAsn1Object().Equals(b.Name.ToAsn1Object()));

    private static string? UnknownCritical(X509Extensions extensions, HashSet<string> known, string where) =>
        extensions.GetCriticalExtensionOids().Select(o => o.Id).FirstOrDefault(o => !known.Contains(o)) is { } unknown
            ? $"{where} has an unrecognised critical extension {unknown}"
            : null;
}
