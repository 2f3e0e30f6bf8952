using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>A certificate named by its issuer's DN and its serial (hex, as X509Certificate2.SerialNumber).</summary>
public sealed record RevokedCertificate(string Issuer, string Serial, string Source)
{
    /// <summary>The issuer as MQ renders DNs (CN first), compared without case; the serial as hex without colons or leading zeros.</summary>
    public static string Key(PeerName issuer, string serial) =>
        $"{issuer.ToString().ToUpperInvariant()}|{serial.Replace(":", string.Empty, StringComparison.Ordinal).TrimStart('0').ToUpperInvariant()}";

    public string Key() => Key(PeerName.Parse(Issuer), Serial);
}

/// <summary>
/// Beyond MQ: certificates known revoked, whatever said so (an administrator's REVOKE CERT, or a peer
/// node through the cluster). Every handshake consults it before its other revocation sources; the
/// runtime keeps one per actor system and ends every running connection whose peer chain holds a newly
/// revoked certificate (it passes <c>announce</c>, which publishes <see cref="CertificateRevoked"/>).
/// </summary>
public sealed class RevokedCertificates(Action<RevokedCertificates.CertificateRevoked>? announce = null)
{
    private readonly ConcurrentDictionary<string, RevokedCertificate> _revoked = new(StringComparer.Ordinal);

    public int Count => _revoked.Count;

    public IReadOnlyCollection<RevokedCertificate> All => _revoked.Values.ToList();

    /// <summary>Adds a revocation; true when it is new (and then announced).</summary>
    public bool Add(RevokedCertificate revoked)
    {
        if (!_revoked.TryAdd(revoked.Key(), revoked))
        {
            return false;
        }

        announce?.Invoke(new CertificateRevoked(revoked));
        return true;
    }

    /// <summary>The entry for a certificate of a chain, or null.</summary>
    public RevokedCertificate? Find(X509Certificate2 certificate) =>
        _revoked.GetValueOrDefault(RevokedCertificate.Key(PeerName.Issuer(certificate), certificate.SerialNumber));

    /// <summary>Announced when a certificate joins the list.</summary>
    public sealed record CertificateRevoked(RevokedCertificate Certificate);
}
