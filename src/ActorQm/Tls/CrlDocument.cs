using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>
/// One certificate revocation list, parsed and checked with BouncyCastle (X509Chain has no API to
/// take a CRL, and .NET's CRL builder does not verify one). Whether it can be trusted is decided
/// per issuer by <see cref="UsableFor"/>: signature by that issuer, cRLSign where keyUsage is
/// present, a non-critical CRLNumber, and a validity period covering the time of the check.
/// </summary>
public sealed class CrlDocument
{
    private const string CrlNumberOid = "2.5.29.20";
    private readonly X509Crl _crl;

    private CrlDocument(X509Crl crl, string source)
    {
        _crl = crl;
        Source = source;
    }

    /// <summary>Where it came from (file, URL, test), for messages.</summary>
    public string Source { get; }

    public DateTimeOffset ThisUpdate => new(DateTime.SpecifyKind(_crl.ThisUpdate, DateTimeKind.Utc));

    public DateTimeOffset? NextUpdate => _crl.NextUpdate is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : null;

    public string Issuer => _crl.IssuerDN.ToString();

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

    /// <summary>Why this CRL cannot be relied on for certificates of <paramref name="issuer"/> at <paramref name="now"/>, or null.</summary>
    internal string? UsableFor(BcCertificate issuer, X509Certificate2 issuerCertificate, DateTimeOffset now)
    {
        try
        {
            _crl.Verify(issuer.GetPublicKey());
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException or Org.BouncyCastle.Security.Certificates.CrlException or InvalidOperationException)
        {
            return $"CRL from {Source} is not signed by its issuer '{issuerCertificate.Subject}'";
        }

        var keyUsage = issuerCertificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is not null && !keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign))
        {
            return $"issuer '{issuerCertificate.Subject}' of the CRL from {Source} may not sign CRLs (keyUsage lacks cRLSign)";
        }

        if (_crl.GetExtensionValue(new Org.BouncyCastle.Asn1.DerObjectIdentifier(CrlNumberOid)) is null)
        {
            return $"CRL from {Source} has no CRLNumber";
        }

        if (_crl.GetCriticalExtensionOids()?.Contains(CrlNumberOid) == true)
        {
            return $"CRL from {Source} marks CRLNumber critical";
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

    internal bool Lists(BigInteger serial) => _crl.GetRevokedCertificate(serial) is not null;
}
