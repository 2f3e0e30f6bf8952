namespace ActorQm.Tls;

/// <summary>The steps of a handshake (docs/tls.md), in order: <see cref="HandshakeVerifier"/> checks each, the runtime's handshake actor has one state per step.</summary>
public enum HandshakeStep
{
    CertificateExchange,
    ChainValidation,
    Revocation,
    PeerFilter,
    Accepted,
    Rejected,
}

/// <summary>Which end of the connection we are: the initiator is the TLS client.</summary>
public enum HandshakeRole
{
    Initiator,
    Responder,
}
