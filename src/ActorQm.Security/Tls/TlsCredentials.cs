using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>Our certificate (with key) and what we trust, from the key repository.</summary>
public sealed record TlsCredentials(X509Certificate2? Certificate, IReadOnlyList<X509Certificate2> CertificateChain, IReadOnlyList<X509Certificate2> TrustAnchors, IReadOnlyList<X509Certificate2> Intermediates)
{
    private SslStreamCertificateContext? _context;

    /// <summary>
    /// Beyond MQ: staple an OCSP response to our certificate when we are the TLS server. The runtime
    /// fetches it from the certificate's AIA responder in the background and refreshes it before it
    /// expires; a certificate without an OCSP AIA is sent without one.
    /// </summary>
    public bool OcspStapling { get; init; }

    /// <summary>
    /// The peers' chains validated under these trust anchors (docs/tls.md, "Validated-chain cache"). Every credentials of one
    /// key repository share the repository's, which REFRESH SECURITY TYPE(SSL) empties and replaces with the repository;
    /// credentials made otherwise have their own.
    /// </summary>
    internal ValidatedChainCache ValidatedChains { get; init; } = new();

    /// <summary>
    /// Built once and shared by every handshake with these credentials (building it walks the chain).
    /// The trust anchors go in too: the runtime needs the complete path to ask for a staple, and it
    /// sends only the certificates of the path, never an unrelated one.
    /// </summary>
    public SslStreamCertificateContext? Context =>
        Certificate is null ? null : _context ??= SslStreamCertificateContext.Create(Certificate, new X509Certificate2Collection(CertificateChain.Concat(TrustAnchors).ToArray()), offline: !OcspStapling);
}

/// <summary>Who the peer proved to be.</summary>
public sealed record PeerIdentity(X509Certificate2 Certificate, PeerName Subject, PeerName Issuer, string Serial)
{
    public static PeerIdentity Of(X509Certificate2 certificate) =>
        new(certificate, PeerName.Subject(certificate), PeerName.Issuer(certificate), certificate.SerialNumber);
}
