using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;

namespace ActorQm.Tls;

/// <summary>What the TLS layer negotiated: protocol, suite, the peer's certificate and the path the TLS layer built with what the peer sent.</summary>
public sealed record NegotiatedSession(SslProtocols Protocol, TlsCipherSuite Suite, X509Certificate2? PeerCertificate, ChainSnapshot? Chain)
{
    /// <summary>Who presented the certificate (its names read once), or null when none came.</summary>
    public PeerIdentity? Peer { get; } = PeerCertificate is { } certificate ? PeerIdentity.Of(certificate) : null;

    /// <summary>The CipherSpec negotiated, as MQ names it.</summary>
    public string CipherSpec => CipherSpecs.NameOf(Suite, Protocol);
}

/// <summary>A refusal at one step, with MQ's AMQ code and reason; <see cref="Culprit"/> is the certificate that failed (the peer's when null).</summary>
public sealed record StepFailure(HandshakeStep Step, string AmqCode, MqReason Reason, string Detail, PeerIdentity? Peer, X509Certificate2? Culprit = null);

/// <summary>The outcome of a step: on to <see cref="Next"/>, or refused with <see cref="Failure"/>; a <see cref="Warning"/> (AMQ9717W) is logged and the peer goes on.</summary>
public sealed record StepResult(HandshakeStep Next, StepFailure? Failure, string? Warning = null)
{
    internal static StepResult Refuse(StepFailure failure) => new(HandshakeStep.Rejected, failure);
}

/// <summary>An accepted peer: who it is (null under SSLCAUTH(OPTIONAL) without a certificate), the validated path and the MCA user a SSLPEERMAP record gave it.</summary>
public sealed record VerifiedPeer(NegotiatedSession Session, PeerIdentity? Peer, IReadOnlyList<X509Certificate2> Chain, string? McaUser, IReadOnlyList<string> Warnings);

/// <summary>
/// The verification steps of one TLS handshake (docs/tls.md), as plain code: certificate exchange (TLS negotiation
/// and the CipherSpec check), chain validation, revocation, peer filter. The runtime's handshake actor runs them as
/// the transitions of its state machine; the client runs them in order (<see cref="RunAsInitiatorAsync"/>). Each step
/// answers with the next step or the refusal MQ reports for it, so both ends refuse the same peer with the same code.
/// No byte of the caller's protocol may cross the stream before every step has passed.
/// </summary>
public sealed class HandshakeVerifier
{
    private readonly TlsCredentials _credentials;
    private X509Certificate2? _peerCertificate;
    private ChainSnapshot? _chain;

    /// <summary>The checks of one connection, for <paramref name="role"/>, against <paramref name="requirements"/>.</summary>
    public HandshakeVerifier(HandshakeRole role, TlsCredentials credentials, PeerRequirements requirements, RevocationSettings revocation)
    {
        Role = role;
        _credentials = credentials;
        Requirements = requirements;
        Revocation = revocation;
        Policy = new ChainPolicy(credentials.TrustAnchors, credentials.Intermediates, role == HandshakeRole.Responder ? CertificateUsage.Client : CertificateUsage.Server);
    }

    public HandshakeRole Role { get; }

    public PeerRequirements Requirements { get; }

    public RevocationSettings Revocation { get; private set; }

    /// <summary>
    /// Responder, before the revocation step: the policy of the channel the initiator's server name named (beyond MQ, docs/tls.md,
    /// "Revocation per channel"); the runtime then checks that the initial data names the same channel.
    /// </summary>
    public void UseRevocation(RevocationSettings revocation) => Revocation = revocation;

    /// <summary>What the peer's certificate path must satisfy: our trust anchors and intermediates, and the usage its role needs.</summary>
    public ChainPolicy Policy { get; }

    /// <summary>Step 1 as the TLS client: negotiate, offering the channel's CipherSpec and our certificate (if the key repository holds one).</summary>
    public async Task<NegotiatedSession> NegotiateAsInitiatorAsync(SslStream stream, string targetHost, CancellationToken cancel)
    {
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = Requirements.Cipher.Protocols,
            CipherSuitesPolicy = SuitesPolicy(Requirements.Cipher.Offered),
            ClientCertificateContext = _credentials.Context,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = ChainValidator.ChainPolicyFor(Policy),
            RemoteCertificateValidationCallback = Capture,
        }, cancel).ConfigureAwait(false);
        return Session(stream);
    }

    /// <summary>
    /// Step 1 as the TLS server. It offers every CipherSpec of <paramref name="cipherSpecs"/> within <paramref name="protocols"/>:
    /// the channel's SSLCIPH is checked after the initial data names the channel (docs/tls.md), so an initiator that insists
    /// on another CipherSpec is refused there with AMQ9631E, as in MQ. When the initiator names a channel in its server name
    /// (MQ's SNI encoding) and <paramref name="channelCipherSpec"/> gives that channel's own CipherSpec, the responder prefers
    /// it, and its protocol when the initiator supports that, so an initiator offering an alias such as ANY_TLS12_OR_HIGHER
    /// meets the channel's SSLCIPH. It always asks for a client certificate, and presents the certificate
    /// <paramref name="credentialsForServerName"/> picks from the server name (a channel's CERTLABL), else its own.
    /// </summary>
    public async Task<NegotiatedSession> NegotiateAsResponderAsync(SslStream stream, SslProtocols protocols, IEnumerable<CipherSpec> cipherSpecs,
        Func<string?, TlsCredentials?>? credentialsForServerName, CancellationToken cancel, Func<string?, CipherSpec?>? channelCipherSpec = null)
    {
        var own = _credentials.Context ?? throw new InvalidOperationException("a responder needs a certificate of its own (the queue manager's CERTLABL)");
        var enabled = cipherSpecs.Where(c => protocols.HasFlag(c.Protocol)).ToList();
        var allSuites = SuitesPolicy(enabled);
        await stream.AuthenticateAsServerAsync((_, hello, _, _) =>
        {
            // The server name only orders and narrows what is offered, never widens it: a spec not enabled here is ignored.
            var narrowed = channelCipherSpec?.Invoke(hello.ServerName) is { } spec && enabled.Contains(spec) ? spec : null;
            return ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credentialsForServerName?.Invoke(hello.ServerName)?.Context ?? own,
                // Every connection is a full handshake, as in MQ: the peer presents its certificate each time and every
                // step runs on it; a resumed TLS 1.3 session carries no certificate to check (docs/tls.md, "Resumption").
                AllowTlsResume = false,
                // The steps ran on the certificate of the handshake: a renegotiation must not bring another after them.
                AllowRenegotiation = false,
                ClientCertificateRequired = true,
                // The channel's protocol when the initiator supports it (an ANY_TLS12_OR_HIGHER initiator meets a TLS 1.2 channel).
                EnabledSslProtocols = narrowed is not null && hello.SslProtocols.HasFlag(narrowed.Protocol) ? narrowed.Protocol : protocols,
                CipherSuitesPolicy = narrowed is null ? allSuites : SuitesPolicy([narrowed, .. enabled.Where(c => c != narrowed)]),
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = ChainValidator.ChainPolicyFor(Policy),
                RemoteCertificateValidationCallback = Capture,
            });
        }, null, cancel).ConfigureAwait(false);
        return Session(stream);
    }

    /// <summary>Step 1 failed inside TLS: the code MQ gives at this end (a broken connection is AMQ9665E).</summary>
    public StepFailure NegotiationFailed(Exception e) =>
        new(HandshakeStep.CertificateExchange, e is IOException ? "AMQ9665E" : Role == HandshakeRole.Responder ? "AMQ9616E" : "AMQ9641E",
            MqReason.SslInitializationError, $"TLS negotiation with the remote end failed: {e.GetBaseException().Message}", null);

    /// <summary>Step 1 done by TLS: the CipherSpec must be the channel's, and a certificate must come where one is required.</summary>
    public StepResult AfterNegotiation(NegotiatedSession session)
    {
        var responder = Role == HandshakeRole.Responder;
        if (!Requirements.Cipher.Accepts(session.Protocol, session.Suite))
        {
            return StepResult.Refuse(new StepFailure(HandshakeStep.CertificateExchange, responder ? "AMQ9631E" : "AMQ9641E", MqReason.SslInitializationError,
                $"the CipherSpec negotiated ({session.CipherSpec}) is not the one required by the channel definition ({Requirements.Cipher.Value})", null));
        }

        if (session.PeerCertificate is not null)
        {
            return new StepResult(HandshakeStep.ChainValidation, null);
        }

        if (!responder)
        {
            return StepResult.Refuse(new StepFailure(HandshakeStep.CertificateExchange, "AMQ9633E", MqReason.SslInitializationError, "the remote end sent no certificate", null));
        }

        // SSLCAUTH(OPTIONAL) and no certificate: nothing to validate, nothing to filter on; revocation has nothing to check either.
        return Requirements.ClientAuthRequired || Requirements.SslPeer is not null
            ? StepResult.Refuse(new StepFailure(HandshakeStep.CertificateExchange, "AMQ9637E", MqReason.SslInitializationError,
                "the remote end sent no certificate, and SSLCAUTH(REQUIRED) or SSLPEER requires one", null))
            : new StepResult(HandshakeStep.Revocation, null);
    }

    /// <summary>
    /// Step 2: every signature up to one of our trust anchors (RFC 5280 §6), on the path the peer presented or, failing that, any
    /// path we can build. A peer that validated before with the same certificates gets the path validated then, while all of
    /// it is within its validity (<see cref="ValidatedChainCache"/>); the later steps run on it as on a path validated now.
    /// </summary>
    public ChainValidationResult ValidateChain(NegotiatedSession session)
    {
        var peer = session.PeerCertificate ?? throw new InvalidOperationException("no peer certificate to validate");
        return _credentials.ValidatedChains.Validate(peer, session.Chain, Policy);
    }

    /// <summary>Step 2's verdict.</summary>
    public StepResult AfterChain(NegotiatedSession session, ChainValidationResult result) =>
        result.IsValid
            ? new StepResult(HandshakeStep.Revocation, null)
            : StepResult.Refuse(new StepFailure(HandshakeStep.ChainValidation, "AMQ9633E", MqReason.SslInitializationError,
                $"bad certificate from the remote end: {result.FailedStep} check failed: {result.Reason}", session.Peer, result.Certificate));

    /// <summary>
    /// Step 3: OCSP and CRLs for every certificate of the path but the root. When the validated path is not GOOD, the other
    /// valid paths are asked too: one GOOD path accepts the peer, as a path builder would have chosen it.
    /// </summary>
    public Task<(RevocationAnswer Answer, IReadOnlyList<X509Certificate2> Chain)> CheckRevocationAsync(NegotiatedSession session, IReadOnlyList<X509Certificate2> chain, DateTimeOffset now, CancellationToken cancel)
    {
        var others = session.PeerCertificate is { } peer && chain.Count > 0 ? ChainValidator.OtherValidPaths(peer, Policy, session.Chain, chain) : [];
        return RevocationChecker.CheckAnyPathAsync(chain, others, Revocation, now, cancel);
    }

    /// <summary>Step 3's verdict: REVOKED refuses; UNKNOWN refuses, warns or passes as OCSPAuthentication says.</summary>
    public StepResult AfterRevocation(NegotiatedSession session, RevocationAnswer answer) => answer.Status switch
    {
        RevocationStatus.Revoked => StepResult.Refuse(new StepFailure(HandshakeStep.Revocation, "AMQ9633E", MqReason.SslCertificateRevoked,
            $"bad certificate from the remote end: {answer.Detail}", session.Peer, answer.Certificate)),
        RevocationStatus.Unknown when Revocation.Unknown == UnknownRevocationPolicy.Required => StepResult.Refuse(new StepFailure(HandshakeStep.Revocation, "AMQ9716E",
            MqReason.SslInitializationError, $"revocation status of the remote certificate could not be determined: {answer.Detail}", session.Peer, answer.Certificate)),
        RevocationStatus.Unknown when Revocation.Unknown == UnknownRevocationPolicy.Warn => new StepResult(HandshakeStep.PeerFilter, null,
            $"revocation status unknown, accepted under WARN: {answer.Detail}"),
        _ => new StepResult(HandshakeStep.PeerFilter, null),
    };

    /// <summary>Step 3 could not finish (an error inside the check or its time ran out): no answer is not GOOD, whatever OCSPAuthentication says.</summary>
    public StepFailure RevocationNotDetermined(NegotiatedSession session, string why) =>
        new(HandshakeStep.Revocation, "AMQ9716E", MqReason.SslInitializationError, $"revocation check failed: {why}", session.Peer);

    /// <summary>Step 4: SSLPEER, then the initiating end's CHLAUTH SSLPEERMAP records (<see cref="PeerRequirements.CheckPeer"/>).</summary>
    public PeerCheck CheckPeer(NegotiatedSession session) => Requirements.CheckPeer(session.Peer, Role);

    /// <summary>The failure's detail with the certificate that failed named by subject, issuer and serial (never more of it).</summary>
    public string Describe(StepFailure failure)
    {
        var certificate = failure.Culprit ?? failure.Peer?.Certificate;
        var which = Role == HandshakeRole.Responder ? "from the initiating end" : "from the responding end";
        return certificate is null ? failure.Detail
            : $"{failure.Detail} [certificate {which}: subject '{PeerName.Subject(certificate)}', issuer '{PeerName.Issuer(certificate)}', serial {certificate.SerialNumber}]";
    }

    /// <summary>
    /// Every step in order as the TLS client, for a caller without a state machine: the peer, or the first failing step.
    /// The stream is the caller's either way (it disposes it on failure).
    /// </summary>
    public async Task<(VerifiedPeer? Peer, StepFailure? Failure)> RunAsInitiatorAsync(SslStream stream, string targetHost, CancellationToken cancel)
    {
        NegotiatedSession session;
        try
        {
            session = await NegotiateAsInitiatorAsync(stream, targetHost, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            return (null, NegotiationFailed(e));
        }

        return await VerifyAsync(session, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Every step after the TLS negotiation (CipherSpec, chain, revocation, peer filter), for a caller whose TLS layer
    /// negotiated the session (an HTTPS server): the peer, or the first failing step.
    /// </summary>
    public async Task<(VerifiedPeer? Peer, StepFailure? Failure)> VerifyAsync(NegotiatedSession session, CancellationToken cancel)
    {
        var warnings = new List<string>();
        var step = AfterNegotiation(session);
        IReadOnlyList<X509Certificate2> chain = [];
        if (step.Next == HandshakeStep.ChainValidation)
        {
            var validated = ValidateChain(session);
            chain = validated.Chain;
            step = AfterChain(session, validated);
        }

        if (step.Next == HandshakeStep.Revocation)
        {
            try
            {
                var (answer, path) = await CheckRevocationAsync(session, chain, DateTimeOffset.UtcNow, cancel).ConfigureAwait(false);
                chain = path;
                step = AfterRevocation(session, answer);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                step = StepResult.Refuse(RevocationNotDetermined(session, e.GetBaseException().Message));
            }
        }

        if (step.Warning is { } warning)
        {
            warnings.Add($"AMQ9717W: {warning}");
        }

        if (step.Failure is { } failure)
        {
            return (null, failure);
        }

        var check = CheckPeer(session);
        if (check.AmqCode is { } code)
        {
            return (null, new StepFailure(HandshakeStep.PeerFilter, code, check.Reason, check.Detail, session.Peer));
        }

        if (check.Warning is { } blocked)
        {
            warnings.Add($"AMQ9787W: {blocked}");
        }

        return (new VerifiedPeer(session, session.Peer, chain, check.McaUser, warnings), null);
    }

    // .NET can restrict TLS 1.2 and 1.3 suites on Linux and macOS only (docs/tls.md); Windows takes its system's list.
    private static CipherSuitesPolicy? SuitesPolicy(IEnumerable<CipherSpec> specs) => OperatingSystem.IsWindows() ? null : CipherSpecs.Policy(specs);

    private NegotiatedSession Session(SslStream stream) => new(stream.SslProtocol, stream.NegotiatedCipherSuite, _peerCertificate, _chain);

    /// <summary>
    /// Only records what the peer presented and the path the TLS layer built for it with our trust settings (it builds one
    /// anyway): the decision is taken by the steps, after the TLS layer is done and before any protocol byte is exchanged.
    /// </summary>
    private bool Capture(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is not null)
        {
            _peerCertificate = new X509Certificate2(certificate);
        }

        if (chain is not null && certificate is not null)
        {
            _chain = ChainSnapshot.Of(chain);
        }

        return true;
    }
}
