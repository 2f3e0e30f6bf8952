using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using Akka.Actor;

namespace ActorQm.Tls;

/// <summary>Protocol and Props of <see cref="HandshakeActor"/>: one per connection, spawned by <see cref="HandshakeSupervisor"/>.</summary>
public static class Handshake
{
    internal static Props Props(StartHandshake request, TimeSpan stepTimeout) =>
        Akka.Actor.Props.Create(() => new HandshakeActor(request, stepTimeout));

    /// <summary>
    /// To the supervisor (the handshake actor's parent), before the actor stops: it has answered <see cref="StartHandshake.ReplyTo"/>.
    /// Arrives before the supervisor's Terminated for that actor, so a handshake actor that dies without it is refused there.
    /// </summary>
    internal sealed record Answered(StartHandshake Request);

    /// <summary>
    /// Walk the handshake over <see cref="Transport"/> (a connected socket stream, not yet used).
    /// The answer, <see cref="HandshakeSucceeded"/> or <see cref="HandshakeFailed"/>, goes to <see cref="ReplyTo"/>.
    /// </summary>
    public sealed record StartHandshake(
        string ConnectionId,
        HandshakeRole Role,
        Stream Transport,
        string TargetHost,
        TlsCredentials Credentials,
        PeerRequirements Requirements,
        IActorRef ReplyTo,
        SslProtocols ResponderProtocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        /// <summary>
        /// Responder only: the CipherSpecs it enables (qm.ini AllowedCipherSpecs); null: every current one.
        /// A proposal outside them fails inside the TLS handshake (AMQ9616).
        /// </summary>
        public IReadOnlyList<CipherSpec>? ResponderCipherSpecs { get; init; }

        /// <summary>Revocation sources and what an undeterminable status does; none by default (docs/tls.md).</summary>
        public RevocationSettings Revocation { get; init; } = RevocationSettings.None;

        /// <summary>
        /// Responder only: picks the certificate to present from the server name the initiator sent
        /// (a channel's CERTLABL via <see cref="ChannelSni"/>); null or no match keeps <see cref="Credentials"/>.
        /// </summary>
        public Func<string?, TlsCredentials?>? CredentialsForServerName { get; init; }

        /// <summary>
        /// Responder only: the CipherSpec of the channel the initiator's server name encodes (<see cref="ChannelSni"/>), when that
        /// channel names a specific one; the responder then offers only it. Null or no answer: every enabled CipherSpec.
        /// </summary>
        public Func<string?, CipherSpec?>? CipherSpecForServerName { get; init; }

        /// <summary>
        /// Responder only, beyond MQ: channels with their own revocation policy, by name. When the initiator's server name names
        /// one of them (<see cref="ChannelSni"/>), the revocation step uses its policy and <see cref="PeerSession.RevocationChannel"/>
        /// says so, for the check once the initial data names the channel (docs/tls.md, "Revocation per channel").
        /// </summary>
        public IReadOnlyDictionary<string, RevocationSettings>? ChannelRevocation { get; init; }

        /// <summary>The remote end in MQ's CONNAME form, <c>host(port)</c>, when the caller knows it: for logs and events only.</summary>
        public string? ConnectionName { get; init; }

        /// <summary>The channel, when this end knows it before the handshake (an initiator does; a responder learns it later).</summary>
        public string? ChannelName { get; init; }

        /// <summary>
        /// Responder only, development only (tls.development-channels-in-the-clear; docs/tls.md, "Plaintext channels"): a
        /// connection that starts in the clear is handed on without TLS, as a session that is <see cref="PeerSession.InTheClear"/>,
        /// instead of refused with AMQ9639E; the channel its initial data names must then have no SSLCIPH. Off by default.
        /// </summary>
        public bool AcceptInTheClear { get; init; }
    }

    /// <summary>
    /// Who the accepted peer is and what was negotiated, with no stream in it: what channel actors and the queue manager
    /// receive (the transport alone holds the stream). A connection another cluster node accepted is described the same way.
    /// </summary>
    public sealed record PeerSession(
        string ConnectionId,
        PeerIdentity? Peer,
        SslProtocols Protocol,
        TlsCipherSuite Suite,
        string CipherSpec,
        string? McaUser,
        TimeSpan Elapsed)
    {
        /// <summary>The validated chain, peer first (empty when the peer sent no certificate): what periodic revocation re-checks use.</summary>
        public IReadOnlyList<X509Certificate2> Chain { get; init; } = [];

        /// <summary>The channel whose own revocation policy the handshake applied; null: the one in <see cref="StartHandshake.Revocation"/>.</summary>
        public string? RevocationChannel { get; init; }

        /// <summary>The revocation policy the handshake applied, for the connection's later re-checks; null: the request's.</summary>
        public RevocationSettings? Revocation { get; init; }

        /// <summary>
        /// No TLS at all: no encryption, no peer identity (<see cref="Peer"/> is null). Only under the development setting
        /// tls.development-channels-in-the-clear, and only for a message channel without SSLCIPH at both ends.
        /// </summary>
        public bool InTheClear { get; init; }

        /// <summary>A session in the clear (development only, see <see cref="InTheClear"/>).</summary>
        public static PeerSession Clear(string connectionId, TimeSpan elapsed) =>
            new(connectionId, null, SslProtocols.None, default, string.Empty, null, elapsed) { InTheClear = true };
    }

    /// <summary>
    /// The peer is accepted: to <see cref="StartHandshake.ReplyTo"/> only (in the runtime, the transport actor, which then owns
    /// <see cref="Stream"/>; channel bytes may flow). The stream is TLS unless the session is <see cref="PeerSession.InTheClear"/>.
    /// </summary>
    public sealed record HandshakeSucceeded(PeerSession Session, Stream Stream);

    /// <summary>The peer is refused at <see cref="Step"/>; the connection is already closed.</summary>
    public sealed record HandshakeFailed(
        string ConnectionId,
        HandshakeStep Step,
        string AmqCode,
        MqReason Reason,
        string Detail,
        PeerIdentity? Peer)
    {
        public override string ToString() => $"{AmqCode}: {Detail} (step {Step}, MQRC {(int)Reason})";
    }

    /// <summary>MQ's reason qualifiers of the Channel SSL Error event (cmqcfc.h).</summary>
    public enum SslReasonQualifier
    {
        HandshakeError = 13,
        CipherSpecError = 14,
        ClientAuthError = 15,
        PeerNameError = 16,
        UnknownRevocation = 19,
        ChannelBlockedNoAccess = 23,
    }

    /// <summary>
    /// The Channel SSL Error event (MQRC 2371), published on the EventStream for every refused
    /// handshake, with MQ's reason qualifier saying which check failed.
    /// </summary>
    public sealed record ChannelSslError(string ConnectionId, HandshakeRole Role, SslReasonQualifier Qualifier, string AmqCode, string Detail, string? PeerSubject)
    {
        /// <summary>The step that refused.</summary>
        public HandshakeStep Step { get; init; }

        /// <summary>The MQ reason code of the refusal.</summary>
        public MqReason Reason { get; init; }

        /// <summary>The peer certificate's issuer and serial number, when it sent one.</summary>
        public string? PeerIssuer { get; init; }

        /// <inheritdoc cref="PeerIssuer"/>
        public string? PeerSerial { get; init; }

        /// <inheritdoc cref="StartHandshake.ConnectionName"/>
        public string? ConnectionName { get; init; }

        /// <inheritdoc cref="StartHandshake.ChannelName"/>
        public string? ChannelName { get; init; }
    }

    /// <summary>
    /// Published on the EventStream at every state change, so probes and operators see which step decided. Leaving the
    /// revocation step, <see cref="Revocation"/> is the answer that decided (status, source, the certificate it is about) and
    /// <see cref="Detail"/> says it in words.
    /// </summary>
    public sealed record HandshakeTransitioned(string ConnectionId, HandshakeRole Role, HandshakeStep From, HandshakeStep To, TimeSpan Elapsed, string? Detail = null)
    {
        public RevocationAnswer? Revocation { get; init; }
    }

    /// <summary>The Channel SSL Warning event (MQRC 2552): revocation status unknown, accepted under WARN.</summary>
    public sealed record ChannelSslWarning(string ConnectionId, HandshakeRole Role, SslReasonQualifier Qualifier, string AmqCode, string Detail)
    {
        /// <inheritdoc cref="StartHandshake.ConnectionName"/>
        public string? ConnectionName { get; init; }

        /// <inheritdoc cref="StartHandshake.ChannelName"/>
        public string? ChannelName { get; init; }
    }
}
