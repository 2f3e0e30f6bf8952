using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using Akka.Actor;

namespace ActorQm.Tls;

/// <summary>The steps of a handshake (spec §1): each is a state of <see cref="HandshakeActor"/>.</summary>
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

/// <summary>A CHLAUTH SSLPEERMAP record as the handshake applies it; <see cref="Address"/> is its optional ADDRESS filter.</summary>
public sealed record SslPeerMapRule(DistinguishedNameFilter SslPeer, DistinguishedNameFilter? SslCertIssuer, string UserSource, string McaUser, string Profile, bool Warn = false, string Address = "")
{
    /// <summary>
    /// Whether the record applies to a peer. With an ADDRESS filter and no known address (the initiating
    /// end's handshake), only a NOACCESS record applies: an unknown never helps the peer.
    /// </summary>
    public bool Matches(PeerName subject, PeerName issuer, System.Net.IPAddress? from = null) =>
        SslPeer.Matches(subject) && (SslCertIssuer is null || SslCertIssuer.Matches(issuer)) && AddressAllows(from);

    /// <summary>
    /// The record that applies to a peer: the most specific that matches (<see cref="Compare"/>; the same choice DISPLAY CHLAUTH
    /// MATCH(RUNCHECK) shows). A name that repeats an attribute a record names matches no MAP record, but does match a NOACCESS
    /// record that one of its values satisfies: ambiguity never helps the peer (docs/tls.md, SSLPEER).
    /// </summary>
    public static SslPeerMapRule? Select(IEnumerable<SslPeerMapRule> rules, PeerName subject, PeerName issuer, System.Net.IPAddress? from = null) =>
        rules.Where(r => r.Applies(subject, issuer, from)).OrderByDescending(r => r, Comparer<SslPeerMapRule>.Create(Compare)).FirstOrDefault();

    /// <summary>Whether the record matches, or is a NOACCESS record that an ambiguous name could satisfy.</summary>
    public bool Applies(PeerName subject, PeerName issuer, System.Net.IPAddress? from) =>
        Matches(subject, issuer, from) || (UserSource == "NOACCESS" && BlocksAmbiguous(subject, issuer) && AddressAllows(from));

    /// <summary>
    /// ActorQm's precedence between matching records (docs/tls.md, CHLAUTH): the SSLPEER ranked attribute by attribute
    /// (<see cref="DistinguishedNameFilter.CompareSpecificity"/>); at equal rank a record with SSLCERTI, then one with ADDRESS;
    /// then the more specific SSLCERTI; then a blocking record; last the record's text, so the choice never depends on the
    /// order records were defined in.
    /// </summary>
    public static int Compare(SslPeerMapRule a, SslPeerMapRule b)
    {
        var byPeer = a.SslPeer.CompareSpecificity(b.SslPeer);
        if (byPeer != 0)
        {
            return byPeer;
        }

        var byQualifiers = (a.SslCertIssuer is not null, a.Address.Length > 0).CompareTo((b.SslCertIssuer is not null, b.Address.Length > 0));
        if (byQualifiers != 0)
        {
            return byQualifiers;
        }

        var byIssuer = a.SslCertIssuer is { } ai && b.SslCertIssuer is { } bi ? ai.CompareSpecificity(bi) : 0;
        if (byIssuer != 0)
        {
            return byIssuer;
        }

        var byBlocking = a.Blocking.CompareTo(b.Blocking);
        return byBlocking != 0 ? byBlocking : string.CompareOrdinal(b.Identity, a.Identity);
    }

    /// <summary>NOACCESS outweighs the rest, and a refusing one a WARN(YES) one.</summary>
    internal int Blocking => UserSource == "NOACCESS" ? (Warn ? 1 : 2) : 0;

    private string Identity => $"{Profile}\u0001{SslPeer.Text}\u0001{SslCertIssuer?.Text}\u0001{Address}\u0001{UserSource}\u0001{McaUser}";

    private bool AddressAllows(System.Net.IPAddress? from) =>
        Address.Length == 0 || (from is null ? UserSource == "NOACCESS" : AddressPattern.Matches(Address, from));

    private bool BlocksAmbiguous(PeerName subject, PeerName issuer) =>
        SslPeer.MatchesAnyValue(subject) && (SslCertIssuer is null || SslCertIssuer.MatchesAnyValue(issuer));
}

/// <summary>What the peer must satisfy: the channel's SSLCIPH, SSLPEER, SSLCAUTH and its SSLPEERMAP records.</summary>
public sealed record PeerRequirements(
    CipherSpecSelection Cipher,
    DistinguishedNameFilter? SslPeer = null,
    bool ClientAuthRequired = true,
    IReadOnlyList<SslPeerMapRule>? PeerMaps = null)
{
    /// <summary>
    /// SSLPEER, then the most specific CHLAUTH SSLPEERMAP record of <see cref="PeerMaps"/> (the initiating end's
    /// own channel; a responder weighs its mapping records at channel admission, docs/tls.md, CHLAUTH).
    /// </summary>
    public PeerCheck CheckPeer(PeerIdentity? peer, HandshakeRole role)
    {
        if (SslPeer is { } filter && (peer is null ? "no certificate" : filter.Mismatch(peer.Subject)) is { } why)
        {
            return new PeerCheck("AMQ9636E", role == HandshakeRole.Responder ? MqReason.NotAuthorized : MqReason.SslPeerNameMismatch,
                $"the distinguished name of the remote end ({peer?.Subject.ToString() ?? "no certificate"}) does not match SSLPEER('{filter.Text}'): {why}", null);
        }

        var rule = peer is not null && PeerMaps is { Count: > 0 } maps ? SslPeerMapRule.Select(maps, peer.Subject, peer.Issuer) : null;
        var record = rule is null ? null : $"CHLAUTH('{rule.Profile}') TYPE(SSLPEERMAP) SSLPEER('{rule.SslPeer.Text}') USERSRC({rule.UserSource})";
        return rule switch
        {
            { UserSource: "NOACCESS", Warn: false } => new PeerCheck("AMQ9777E", MqReason.NotAuthorized, $"channel was blocked by {record}", null),
            { UserSource: "NOACCESS" } => new PeerCheck(null, MqReason.None, string.Empty, null) { Warning = $"channel would have been blocked by {record} WARN(YES)" },
            _ => new PeerCheck(null, MqReason.None, string.Empty, rule is { UserSource: "MAP" } ? rule.McaUser : null),
        };
    }
}

/// <summary>The answer of the peer filter: refused with an AMQ code and MQRC, or passed with the MCA user a SSLPEERMAP record maps to.</summary>
public sealed record PeerCheck(string? AmqCode, MqReason Reason, string Detail, string? McaUser)
{
    /// <summary>A NOACCESS record in WARN(YES) mode matched: the peer passes and this is logged.</summary>
    public string? Warning { get; init; }
}

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

/// <summary>Set by a handshake actor once it has answered; read by its supervisor when the actor is gone.</summary>
internal sealed class HandshakeOutcome
{
    private volatile bool _answered;

    public bool Answered => _answered;

    public void MarkAnswered() => _answered = true;
}

/// <summary>Protocol and Props of <see cref="HandshakeActor"/>: one per connection, spawned by <see cref="HandshakeSupervisor"/>.</summary>
public static class Handshake
{
    internal static Props Props(StartHandshake request, TimeSpan stepTimeout, HandshakeOutcome outcome) =>
        Akka.Actor.Props.Create(() => new HandshakeActor(request, stepTimeout, outcome));

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

        /// <summary>Revocation sources and what an undeterminable status does; none by default (spec 6.4 #4).</summary>
        public RevocationSettings Revocation { get; init; } = RevocationSettings.None;

        /// <summary>
        /// Responder only: picks the certificate to present from the server name the initiator sent
        /// (a channel's CERTLABL via <see cref="ChannelSni"/>); null or no match keeps <see cref="Credentials"/>.
        /// </summary>
        public Func<string?, TlsCredentials?>? CredentialsForServerName { get; init; }
    }

    /// <summary>
    /// The peer is accepted: the stream is now the caller's, and channel bytes may flow. <see cref="Stream"/> is null
    /// on a queue manager serving a connection that another cluster node accepted and holds (a routed connection).
    /// </summary>
    public sealed record HandshakeSucceeded(
        string ConnectionId,
        SslStream? Stream,
        PeerIdentity? Peer,
        SslProtocols Protocol,
        TlsCipherSuite Suite,
        string CipherSpec,
        string? McaUser,
        TimeSpan Elapsed)
    {
        /// <summary>The validated chain, peer first (empty when the peer sent no certificate): what periodic revocation re-checks use.</summary>
        public IReadOnlyList<X509Certificate2> Chain { get; init; } = [];
    }

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
    public sealed record ChannelSslError(string ConnectionId, HandshakeRole Role, SslReasonQualifier Qualifier, string AmqCode, string Detail, string? PeerSubject);

    /// <summary>Published on the EventStream at every state change, so probes and operators see which step decided.</summary>
    public sealed record HandshakeTransitioned(string ConnectionId, HandshakeRole Role, HandshakeStep From, HandshakeStep To, TimeSpan Elapsed, string? Detail = null);

    /// <summary>The Channel SSL Warning event (MQRC 2552): revocation status unknown, accepted under WARN.</summary>
    public sealed record ChannelSslWarning(string ConnectionId, HandshakeRole Role, SslReasonQualifier Qualifier, string AmqCode, string Detail);
}
