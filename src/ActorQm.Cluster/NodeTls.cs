using System.Security.Cryptography.X509Certificates;
using ActorQm.Tls;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ActorQm.Cluster;

/// <summary>
/// Akka.Remote between ActorQm nodes over mutually authenticated TLS with the same material and
/// the same checks as channels: the node certificate comes from the key repository; a peer node
/// is accepted only if its chain validates against the repository's trust anchors with ActorQm's
/// validator (never the system store), its certificate may act as TLS server and client, and
/// its DN matches the node filter (SSLPEER syntax). A refusal is logged with the AMQ code of the
/// check that failed; the association is not made.
/// </summary>
public static class NodeTls
{
    /// <summary>The Akka.Remote TLS setup (for <c>BootstrapSetup.And(...)</c> or Akka.Remote.Hosting's SslOptions).</summary>
    /// <param name="peerFilter">SSLPEER-style filter every peer node's DN must match; null: any DN the chain vouches for.</param>
    public static DotNettySslSetup Setup(KeyRepository repository, string label, string? peerFilter = null) =>
        new(Certificate(repository, label), suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            Validator(repository.Credentials(label), peerFilter is { Length: > 0 } ? DistinguishedNameFilter.Parse(peerFilter) : null));

    /// <summary>The node's certificate with its private key.</summary>
    public static X509Certificate2 Certificate(KeyRepository repository, string label) =>
        repository.Credentials(label).Certificate ?? throw new KeyRepositoryException("AMQ9642E", $"no personal certificate labelled '{label}' for this node");

    /// <summary>Decides on a peer node's certificate with ActorQm's chain validator and the node filter.</summary>
    public static CertificateValidationCallback Validator(TlsCredentials credentials, DistinguishedNameFilter? filter) =>
        (certificate, _, remotePeer, _, log) =>
        {
            if (certificate is null)
            {
                log.Error("AMQ9637E: node {0} sent no certificate; cluster links need mutual authentication.", remotePeer);
                return false;
            }

            // Node links run both ways: a node certificate must serve as TLS server and as TLS client.
            foreach (var usage in new[] { CertificateUsage.Server, CertificateUsage.Client })
            {
                var result = ChainValidator.Validate(certificate, new ChainPolicy(credentials.TrustAnchors, credentials.Intermediates, usage));
                if (!result.IsValid)
                {
                    log.Error("AMQ9633E: node {0} refused: bad certificate ({1}): {2} [subject '{3}']", remotePeer, result.FailedStep, result.Reason, PeerName.Subject(certificate));
                    return false;
                }
            }

            if (filter?.Mismatch(PeerName.Subject(certificate)) is { } why)
            {
                log.Error("AMQ9636E: node {0} refused: its DN '{1}' does not match the node filter '{2}': {3}.", remotePeer, PeerName.Subject(certificate), filter.Text, why);
                return false;
            }

            return true;
        };
}
