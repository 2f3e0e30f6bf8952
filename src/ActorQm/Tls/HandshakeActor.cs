using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tls;

/// <summary>State data of <see cref="HandshakeActor"/>: one record per step.</summary>
internal abstract record HandshakeData;

internal sealed record Exchanging : HandshakeData;

/// <summary>What the TLS layer negotiated; the peer certificate and what the peer sent with it.</summary>
internal sealed record TlsSession(SslStream Stream, SslProtocols Protocol, TlsCipherSuite Suite, X509Certificate2? PeerCertificate, ChainSnapshot? Chain);

internal sealed record Validating(TlsSession Session) : HandshakeData;

internal sealed record CheckingRevocation(TlsSession Session, PeerIdentity? Peer, IReadOnlyList<X509Certificate2> Chain) : HandshakeData;

internal sealed record Filtering(TlsSession Session, PeerIdentity? Peer, IReadOnlyList<X509Certificate2> Chain) : HandshakeData;

internal sealed record Finished(HandshakeFailed? Failure) : HandshakeData;

/// <summary>
/// One connection's handshake as an FSM whose states are the spec's steps: certificate exchange
/// (TLS negotiation and the CipherSpec check), chain validation, revocation (a pass-through until
/// the revocation issue fills it), peer filter (SSLPEER, then CHLAUTH SSLPEERMAP), then accepted or
/// rejected with the first failing reason. Every transition is published; each step has a timeout.
/// The stream is handed over only on acceptance; no channel byte crosses it before that.
/// </summary>
internal sealed class HandshakeActor : FSM<HandshakeStep, HandshakeData>
{
    internal static readonly ActivitySource Tracing = new("ActorQm.Tls");

    private readonly StartHandshake _request;
    private readonly HandshakeOutcome _outcome;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _cancel = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Activity? _span;
    private readonly SslStream _stream;
    private readonly ChainPolicy _chainPolicy;
    private X509Certificate2? _peerCertificate;
    private ChainSnapshot? _chain;
    private bool _handedOver;
    private string? _revocationDetail;

    public HandshakeActor(StartHandshake request, TimeSpan stepTimeout, HandshakeOutcome outcome)
    {
        _request = request;
        _outcome = outcome;
        _stream = new SslStream(request.Transport, leaveInnerStreamOpen: false);
        _chainPolicy = new ChainPolicy(request.Credentials.TrustAnchors, request.Credentials.Intermediates,
            request.Role == HandshakeRole.Responder ? CertificateUsage.Client : CertificateUsage.Server);
        _span = Tracing.StartActivity("actorqm.tls.handshake");
        _span?.SetTag("actorqm.connection", request.ConnectionId);
        _span?.SetTag("actorqm.role", request.Role.ToString());

        StartWith(HandshakeStep.CertificateExchange, new Exchanging());

        When(HandshakeStep.CertificateExchange, e => e.FsmEvent switch
        {
            Negotiated n => AfterNegotiation(n.Session),
            NegotiationFailed f => Reject(HandshakeStep.CertificateExchange, f.AmqCode, f.Reason, f.Detail, null),
            StateTimeout => Reject(HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.SslInitializationError, $"TLS handshake with the remote end did not complete within {stepTimeout.TotalSeconds:F1} s", null),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.ChainValidation, e => (e.FsmEvent, e.StateData) switch
        {
            (ChainChecked c, Validating v) when c.Result.IsValid => GoTo(HandshakeStep.Revocation).Using(new CheckingRevocation(v.Session, PeerIdentity.Of(v.Session.PeerCertificate!), c.Result.Chain)),
            (ChainChecked c, Validating v) => Reject(HandshakeStep.ChainValidation, "AMQ9633E", MqReason.SslInitializationError,
                $"bad certificate from the remote end: {c.Result.FailedStep} check failed: {c.Result.Reason}", PeerIdentity.Of(v.Session.PeerCertificate!), c.Result.Certificate),
            (StateTimeout, Validating v) => Reject(HandshakeStep.ChainValidation, "AMQ9633E", MqReason.SslInitializationError, "certificate validation did not complete in time", PeerIdentity.Of(v.Session.PeerCertificate!)),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.Revocation, e => (e.FsmEvent, e.StateData) switch
        {
            (RevocationChecked a, CheckingRevocation r) => AfterRevocation(a.Answer, r with { Chain = a.Chain }),
            // An error inside the check is no answer: refused whatever OCSPAuthentication says, like a check that does not finish.
            (RevocationFaulted f, CheckingRevocation r) => Reject(HandshakeStep.Revocation, "AMQ9716E", MqReason.SslInitializationError, $"revocation check failed: {f.Reason}", r.Peer),
            (StateTimeout, CheckingRevocation r) => Reject(HandshakeStep.Revocation, "AMQ9716E", MqReason.SslInitializationError, "revocation status could not be determined in time", r.Peer),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.PeerFilter, e => (e.FsmEvent, e.StateData) switch
        {
            (FilterPeer, Filtering f) => ApplyPeerFilter(f),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.Accepted, _ => null);
        When(HandshakeStep.Rejected, _ => null);

        OnTransition((from, to) =>
        {
            if (from == to)
            {
                // Initialize() announces the start state as a transition to itself; nothing happened yet.
                return;
            }

            var elapsed = _clock.Elapsed;
            var detail = from == HandshakeStep.Revocation ? _revocationDetail : null;
            Context.System.EventStream.Publish(new HandshakeTransitioned(_request.ConnectionId, _request.Role, from, to, elapsed, detail));
            _span?.AddEvent(new ActivityEvent($"{from}->{to}", tags: new ActivityTagsCollection { ["elapsed_ms"] = elapsed.TotalMilliseconds, ["detail"] = detail }));
            switch (to)
            {
                case HandshakeStep.ChainValidation when NextStateData is Validating v:
                    ValidateChain(v.Session);
                    break;
                case HandshakeStep.Revocation when NextStateData is CheckingRevocation r:
                    CheckRevocation(r);
                    break;
                case HandshakeStep.PeerFilter:
                    Self.Tell(FilterPeer.Instance);
                    break;
                case HandshakeStep.Accepted or HandshakeStep.Rejected:
                    Context.Stop(Self);
                    break;
            }
        });

        Initialize();
    }

    protected override void PreStart()
    {
        base.PreStart();
        Negotiate().PipeTo(Self);
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        if (!_handedOver)
        {
            _stream.Dispose();
        }

        _span?.SetTag("actorqm.outcome", StateName.ToString());
        _span?.Dispose();
        base.PostStop();
    }

    private async Task<object> Negotiate()
    {
        var credentials = _request.Credentials;
        var requirements = _request.Requirements;
        try
        {
            if (_request.Role == HandshakeRole.Initiator)
            {
                await _stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = _request.TargetHost,
                    EnabledSslProtocols = requirements.Cipher.Protocols,
                    CipherSuitesPolicy = CipherSpecs.Policy(requirements.Cipher.Offered),
                    ClientCertificateContext = credentials.Context,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    CertificateChainPolicy = ChainValidator.ChainPolicyFor(_chainPolicy),
                    RemoteCertificateValidationCallback = Capture,
                }, _cancel.Token).ConfigureAwait(false);
            }
            else
            {
                // The responder does not know the channel yet (spec 1.3): it offers every CipherSpec it
                // has enabled and always asks for a client certificate (spec 1.5). Its certificate is
                // the channel's own when the initiator named the channel in SNI (spec 7.3).
                var queueManagerCertificate = credentials.Context ?? throw new InvalidOperationException("a responder needs a certificate of its own (the queue manager's CERTLABL)");
                await _stream.AuthenticateAsServerAsync((_, hello, _, _) =>
                {
                    var chosen = _request.CredentialsForServerName?.Invoke(hello.ServerName) ?? credentials;
                    return ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = chosen.Context ?? queueManagerCertificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = _request.ResponderProtocols,
                        CipherSuitesPolicy = CipherSpecs.Policy((_request.ResponderCipherSpecs ?? CipherSpecs.Current).Where(c => _request.ResponderProtocols.HasFlag(c.Protocol))),
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        CertificateChainPolicy = ChainValidator.ChainPolicyFor(_chainPolicy),
                        RemoteCertificateValidationCallback = Capture,
                    });
                }, null, _cancel.Token).ConfigureAwait(false);
            }

            return new Negotiated(new TlsSession(_stream, _stream.SslProtocol, _stream.NegotiatedCipherSuite, _peerCertificate, _chain));
        }
        catch (Exception e)
        {
            // Whatever went wrong, the answer is a refusal of this connection, not a crash.
            var code = _request.Role == HandshakeRole.Responder ? "AMQ9616E" : "AMQ9641E";
            return new NegotiationFailed(e is IOException ? "AMQ9665E" : code, MqReason.SslInitializationError,
                $"TLS negotiation with the remote end failed: {e.GetBaseException().Message}");
        }
    }

    /// <summary>
    /// Only records what the peer presented and the path the TLS layer built for it with our trust
    /// settings (it builds one anyway): the decision is the FSM's, after the TLS layer is done and
    /// before any channel byte is exchanged.
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

    private State<HandshakeStep, HandshakeData> AfterNegotiation(TlsSession session)
    {
        var responder = _request.Role == HandshakeRole.Responder;
        var requirements = _request.Requirements;
        var negotiated = CipherSpecs.NameOf(session.Suite, session.Protocol);
        if (!requirements.Cipher.Accepts(session.Protocol, session.Suite))
        {
            return Reject(HandshakeStep.CertificateExchange, responder ? "AMQ9631E" : "AMQ9641E", MqReason.SslInitializationError,
                $"the CipherSpec negotiated ({negotiated}) is not the one required by the channel definition ({requirements.Cipher.Value})", null);
        }

        if (session.PeerCertificate is null)
        {
            if (responder && (requirements.ClientAuthRequired || requirements.SslPeer is not null))
            {
                return Reject(HandshakeStep.CertificateExchange, "AMQ9637E", MqReason.SslInitializationError,
                    "the remote end sent no certificate, and SSLCAUTH(REQUIRED) or SSLPEER requires one", null);
            }

            if (!responder)
            {
                return Reject(HandshakeStep.CertificateExchange, "AMQ9633E", MqReason.SslInitializationError, "the remote queue manager sent no certificate", null);
            }

            // SSLCAUTH(OPTIONAL) and no certificate: nothing to validate, nothing to filter on.
            return GoTo(HandshakeStep.Revocation).Using(new CheckingRevocation(session, null, []));
        }

        return GoTo(HandshakeStep.ChainValidation).Using(new Validating(session));
    }

    private void ValidateChain(TlsSession session)
    {
        var peer = session.PeerCertificate!;
        var result = session.Chain is { } built ? ChainValidator.ValidatePresented(built, peer, _chainPolicy) : ChainValidator.Validate(peer, _chainPolicy);
        Self.Tell(new ChainChecked(result));
    }

    private void CheckRevocation(CheckingRevocation r)
    {
        // A slow distribution point costs this handshake at most the fetch timeout (and the step
        // timeout bounds the whole step); other handshakes run in their own actors.
        var others = r.Session.PeerCertificate is { } peer && r.Chain.Count > 0
            ? ChainValidator.OtherValidPaths(peer, _chainPolicy, r.Session.Chain, r.Chain)
            : [];
        RevocationChecker.CheckAnyPathAsync(r.Chain, others, _request.Revocation, DateTimeOffset.UtcNow, _cancel.Token)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)new RevocationChecked(t.Result.Answer, t.Result.Chain)
                : new RevocationFaulted(t.Exception?.GetBaseException().Message ?? "cancelled"), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private State<HandshakeStep, HandshakeData> AfterRevocation(RevocationAnswer answer, CheckingRevocation r)
    {
        _revocationDetail = $"{answer.Source}: {answer.Status} ({answer.Detail})";
        switch (answer.Status)
        {
            case RevocationStatus.Revoked:
                return Reject(HandshakeStep.Revocation, "AMQ9633E", MqReason.SslCertificateRevoked, $"bad certificate from the remote end: {answer.Detail}", r.Peer, answer.Certificate);
            case RevocationStatus.Unknown when _request.Revocation.Unknown == UnknownRevocationPolicy.Required:
                return Reject(HandshakeStep.Revocation, "AMQ9716E", MqReason.SslInitializationError, $"revocation status of the remote certificate could not be determined: {answer.Detail}", r.Peer, answer.Certificate);
            case RevocationStatus.Unknown when _request.Revocation.Unknown == UnknownRevocationPolicy.Warn:
                _log.Warning("AMQ9717W: connection {0}: revocation status unknown, accepted under WARN: {1}", _request.ConnectionId, answer.Detail);
                Context.System.EventStream.Publish(new ChannelSslWarning(_request.ConnectionId, _request.Role, SslReasonQualifier.UnknownRevocation, "AMQ9717W", answer.Detail));
                break;
        }

        return GoTo(HandshakeStep.PeerFilter).Using(new Filtering(r.Session, r.Peer, r.Chain));
    }

    private State<HandshakeStep, HandshakeData> ApplyPeerFilter(Filtering f)
    {
        var check = _request.Requirements.CheckPeer(f.Peer, _request.Role);
        if (check.AmqCode is { } code)
        {
            return Reject(HandshakeStep.PeerFilter, code, check.Reason, check.Detail, f.Peer);
        }

        if (check.Warning is { } warning)
        {
            // MQRC 2578 (CHANNEL_BLOCKED_WARNING), as the queue manager logs it at channel admission.
            _log.Warning("AMQ9787W: connection {0}: {1}", _request.ConnectionId, warning);
        }

        _handedOver = true;
        _outcome.MarkAnswered();
        var session = f.Session;
        _request.ReplyTo.Tell(new HandshakeSucceeded(_request.ConnectionId, session.Stream, f.Peer, session.Protocol, session.Suite,
            CipherSpecs.NameOf(session.Suite, session.Protocol), check.McaUser, _clock.Elapsed) { Chain = f.Chain });
        return GoTo(HandshakeStep.Accepted).Using(new Finished(null));
    }

    private State<HandshakeStep, HandshakeData> Reject(HandshakeStep step, string code, MqReason reason, string detail, PeerIdentity? peer, X509Certificate2? culprit = null)
    {
        var certificate = culprit ?? peer?.Certificate;
        var which = _request.Role == HandshakeRole.Responder ? "from the initiating end" : "from the responding end";
        var full = certificate is null ? detail : $"{detail} [certificate {which}: subject '{PeerName.Subject(certificate)}', issuer '{PeerName.Issuer(certificate)}', serial {certificate.SerialNumber}]";
        var failure = new HandshakeFailed(_request.ConnectionId, step, code, reason, full, peer);
        _log.Warning("{0}: connection {1} refused at {2}: {3}", code, _request.ConnectionId, step, full);
        _span?.SetStatus(ActivityStatusCode.Error, code);
        _outcome.MarkAnswered();
        _request.ReplyTo.Tell(failure);
        Context.System.EventStream.Publish(new ChannelSslError(_request.ConnectionId, _request.Role, Qualifier(code), code, full, peer?.Subject.ToString()));
        return GoTo(HandshakeStep.Rejected).Using(new Finished(failure));
    }

    private static SslReasonQualifier Qualifier(string code) => code switch
    {
        "AMQ9631E" or "AMQ9641E" or "AMQ9616E" => SslReasonQualifier.CipherSpecError,
        "AMQ9637E" => SslReasonQualifier.ClientAuthError,
        "AMQ9636E" => SslReasonQualifier.PeerNameError,
        "AMQ9777E" => SslReasonQualifier.ChannelBlockedNoAccess,
        _ => SslReasonQualifier.HandshakeError,
    };

    private sealed record Negotiated(TlsSession Session);

    private sealed record NegotiationFailed(string AmqCode, MqReason Reason, string Detail);

    private sealed record ChainChecked(ChainValidationResult Result);

    /// <summary>The answer, and the path it is for (another valid path when the first was not GOOD).</summary>
    private sealed record RevocationChecked(RevocationAnswer Answer, IReadOnlyList<X509Certificate2> Chain);

    private sealed record RevocationFaulted(string Reason);

    private sealed record FilterPeer
    {
        public static readonly FilterPeer Instance = new();
    }
}
