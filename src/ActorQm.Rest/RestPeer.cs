using System.Security.Cryptography.X509Certificates;
using ActorQm.Authority;
using ActorQm.Messages;
using ActorQm.Tls;

namespace ActorQm.Rest;

/// <summary>
/// Who sent a REST request, decided once per HTTPS connection before any request on it is read: the client
/// certificate walks the steps of a channel's handshake (chain to our anchors, OCSP and CRLs, the SSLPEER-style
/// filter), and the principal is the certificate's one CN with the groups the settings give it (as MQ's basic
/// registry maps a certificate to a user). A connection that fails keeps its failure: every request on it is
/// refused with it, nothing runs (docs/rest.md).
/// </summary>
public sealed record RestPeer(Principal? Principal, PeerIdentity? Peer, StepFailure? Failure)
{
    internal static async Task<RestPeer> VerifyAsync(NegotiatedSession session, HandshakeVerifier verifier, Func<string, Principal> principalFor, CancellationToken cancel)
    {
        var (verified, failure) = await verifier.VerifyAsync(session, cancel).ConfigureAwait(false);
        if (failure is not null)
        {
            return new RestPeer(null, session.Peer, failure);
        }

        // Exactly one CN: with two, which one is the user would be the first match's choice, never a decision.
        var names = verified!.Peer!.Subject.ValuesOf("CN").ToList();
        if (names.Count != 1 || names[0].Length == 0 || names[0].Length > 12 * 8)
        {
            return new RestPeer(null, verified.Peer, new StepFailure(HandshakeStep.PeerFilter, "AMQ9637E", MqReason.NotAuthorized,
                $"the client certificate's subject has {names.Count} common names; the REST API maps exactly one CN to a user", verified.Peer));
        }

        return new RestPeer(principalFor(names[0]), verified.Peer, null);
    }

    /// <summary>What the log says of the peer: subject, issuer and serial, never more of the certificate.</summary>
    public string Describe() => Peer is { } p ? $"'{p.Subject}' (issuer '{p.Issuer}', serial {p.Serial})" : "a client without a certificate";

    internal static X509Certificate2? Copy(X509Certificate2? certificate) => certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
}
