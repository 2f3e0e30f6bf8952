using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Protocol;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tls;

/// <summary>State data of <see cref="HandshakeActor"/>: one record per step.</summary>
internal abstract record HandshakeData;

internal sealed record Exchanging : HandshakeData;

internal sealed record Validating(NegotiatedSession Session) : HandshakeData;

internal sealed record CheckingRevocation(NegotiatedSession Session, IReadOnlyList<X509Certificate2> Chain) : HandshakeData;

internal sealed record Filtering(NegotiatedSession Session, IReadOnlyList<X509Certificate2> Chain) : HandshakeData;

internal sealed record Finished(HandshakeFailed? Failure) : HandshakeData;

/// <summary>
/// One connection's handshake as an FSM whose states are the steps of <see cref="HandshakeVerifier"/>: certificate
/// exchange (TLS negotiation and the CipherSpec check), chain validation, revocation, peer filter (SSLPEER, then CHLAUTH
/// SSLPEERMAP), then accepted or rejected with the first failing reason. The checks are the verifier's (the client runs
/// the same ones); this actor adds a timeout per step, publishes every transition and hands the stream over only on
/// acceptance, so no channel byte crosses it before that.
/// </summary>
internal sealed class HandshakeActor : FSM<HandshakeStep, HandshakeData>
{
    internal static readonly ActivitySource Tracing = new(ActorQmTelemetry.ActivitySourceName);

    private readonly StartHandshake _request;
    private readonly HandshakeVerifier _verifier;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _stepStarted;
    private readonly CancellationTokenSource _cancel = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Activity? _span;
    private readonly ReplayStream _transport;
    private readonly SslStream _stream;
    private bool _handedOver;
    private Task? _farewell;
    private RevocationAnswer? _revocation;
    private string? _revocationChannel;

    public HandshakeActor(StartHandshake request, TimeSpan stepTimeout)
    {
        _request = request;
        _transport = new ReplayStream(request.Transport);
        _stream = new SslStream(_transport, leaveInnerStreamOpen: false);
        _verifier = new HandshakeVerifier(request.Role, request.Credentials, request.Requirements, request.Revocation);
        _span = Tracing.StartActivity("actorqm.tls.handshake");
        _span?.SetTag("actorqm.connection", request.ConnectionId);
        _span?.SetTag("actorqm.role", request.Role.ToString());

        StartWith(HandshakeStep.CertificateExchange, new Exchanging());

        When(HandshakeStep.CertificateExchange, e => e.FsmEvent switch
        {
            Negotiated n => Follow(_verifier.AfterNegotiation(WithChannelRevocation(n.Session)), next => next == HandshakeStep.ChainValidation
                ? new Validating(n.Session)
                : new CheckingRevocation(n.Session, [])),
            NegotiationFailed f => Reject(f.Failure, f.InTheClear),
            SpokeInTheClear => AcceptInTheClear(),
            StateTimeout => Reject(new StepFailure(HandshakeStep.CertificateExchange, "AMQ9638E", MqReason.SslInitializationError,
                $"TLS handshake with the remote end did not complete within {stepTimeout.TotalSeconds:F1} s", null)),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.ChainValidation, e => (e.FsmEvent, e.StateData) switch
        {
            (ChainChecked c, Validating v) => Follow(_verifier.AfterChain(v.Session, c.Result), _ => new CheckingRevocation(v.Session, c.Result.Chain)),
            (StateTimeout, Validating v) => Reject(new StepFailure(HandshakeStep.ChainValidation, "AMQ9633E", MqReason.SslInitializationError,
                "certificate validation did not complete in time", v.Session.Peer)),
            _ => null,
        }, stepTimeout);

        When(HandshakeStep.Revocation, e => (e.FsmEvent, e.StateData) switch
        {
            (RevocationChecked a, CheckingRevocation r) => AfterRevocation(a, r),
            // An error inside the check is no answer: refused whatever OCSPAuthentication says, like a check that does not finish.
            (RevocationFaulted f, CheckingRevocation r) => Reject(_verifier.RevocationNotDetermined(r.Session, f.Reason)),
            (StateTimeout, CheckingRevocation r) => Reject(_verifier.RevocationNotDetermined(r.Session, "revocation status could not be determined in time")),
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
            var revocation = from == HandshakeStep.Revocation ? _revocation : null;
            Measure(from, to, elapsed - _stepStarted, revocation);
            _stepStarted = elapsed;
            var detail = revocation is null ? null : $"{revocation.Source}: {revocation.Status} ({revocation.Detail})";
            Context.System.EventStream.Publish(new HandshakeTransitioned(_request.ConnectionId, _request.Role, from, to, elapsed, detail) { Revocation = revocation });
            _span?.AddEvent(new ActivityEvent($"{from}->{to}", tags: new ActivityTagsCollection { ["elapsed_ms"] = elapsed.TotalMilliseconds, ["detail"] = detail }));
            switch (to)
            {
                case HandshakeStep.ChainValidation when NextStateData is Validating v:
                    Self.Tell(new ChainChecked(_verifier.ValidateChain(v.Session)));
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
            // A refused peer may still be reading the reason: close once that is written (bounded by its own timeout).
            if (_farewell is { } farewell)
            {
                farewell.ContinueWith(_ => _stream.Dispose(), TaskScheduler.Default);
            }
            else
            {
                _stream.Dispose();
            }
        }

        _span?.SetTag("actorqm.outcome", StateName.ToString());
        _span?.Dispose();
        base.PostStop();
    }

    private async Task<object> Negotiate()
    {
        try
        {
            if (_request.Role == HandshakeRole.Responder && await PlaintextChannel.StartsInTheClearAsync(_transport, _cancel.Token).ConfigureAwait(false))
            {
                return _request.AcceptInTheClear
                    ? SpokeInTheClear.Instance
                    : new NegotiationFailed(await PlaintextChannel.RefuseAsync(_transport, _cancel.Token).ConfigureAwait(false), InTheClear: true);
            }

            return new Negotiated(_request.Role == HandshakeRole.Initiator
                ? await _verifier.NegotiateAsInitiatorAsync(_stream, _request.TargetHost, _cancel.Token).ConfigureAwait(false)
                : await _verifier.NegotiateAsResponderAsync(_stream, _request.ResponderProtocols, _request.ResponderCipherSpecs ?? CipherSpecs.Current,
                    _request.CredentialsForServerName, _cancel.Token, _request.CipherSpecForServerName).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            // Whatever went wrong, the answer is a refusal of this connection, not a crash.
            return new NegotiationFailed(_verifier.NegotiationFailed(e));
        }
    }

    /// <summary>The step's duration, the revocation source that answered, and at the end the outcome with the step that decided (docs/operations.md, "Metrics").</summary>
    private void Measure(HandshakeStep from, HandshakeStep to, TimeSpan took, RevocationAnswer? revocation)
    {
        var role = _request.Role == HandshakeRole.Initiator ? "initiator" : "responder";
        ActorQmMetrics.HandshakeStepDuration.Record(took.TotalSeconds, new("actorqm.handshake.role", role), new("actorqm.handshake.step", StepName(from)));
        if (revocation is not null)
        {
            var source = ActorQmMetrics.SourceKind(revocation.Source);
            ActorQmMetrics.RevocationChecks.Add(1, new("actorqm.revocation.source", source), new("actorqm.revocation.status", revocation.Status.ToString().ToLowerInvariant()));
            ActorQmMetrics.RevocationDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("actorqm.revocation.source", source));
        }

        if (to is HandshakeStep.Accepted or HandshakeStep.Rejected)
        {
            var tags = new TagList
            {
                { "actorqm.handshake.role", role },
                { "actorqm.handshake.outcome", to == HandshakeStep.Accepted ? "accepted" : "refused" },
                { "actorqm.handshake.step", StepName(from) },
            };
            if (NextStateData is Finished { Failure: { } failure })
            {
                tags.Add("actorqm.amq_code", failure.AmqCode);
            }

            ActorQmMetrics.Handshakes.Add(1, tags);
        }
    }

    private static string StepName(HandshakeStep step) => step switch
    {
        HandshakeStep.CertificateExchange => "certificate_exchange",
        HandshakeStep.ChainValidation => "chain_validation",
        HandshakeStep.Revocation => "revocation",
        HandshakeStep.PeerFilter => "peer_filter",
        HandshakeStep.Accepted => "accepted",
        _ => "rejected",
    };

    /// <summary>
    /// A responder whose initiator named, in its server name, a channel with its own revocation policy checks with that policy
    /// (docs/tls.md, "Revocation per channel"); the session records it so the initial data must name the same channel.
    /// </summary>
    private NegotiatedSession WithChannelRevocation(NegotiatedSession session)
    {
        if (_request.Role == HandshakeRole.Responder && _request.ChannelRevocation is { } policies
            && ChannelSni.TryDecode(_stream.TargetHostName) is { } channel && policies.TryGetValue(channel, out var own))
        {
            _verifier.UseRevocation(own);
            _revocationChannel = channel;
        }

        return session;
    }

    /// <summary>On to the step the verifier names, with its data, or rejected.</summary>
    private State<HandshakeStep, HandshakeData> Follow(StepResult result, Func<HandshakeStep, HandshakeData> data) =>
        result.Failure is { } failure ? Reject(failure) : GoTo(result.Next).Using(data(result.Next));

    private void CheckRevocation(CheckingRevocation r)
    {
        // A slow distribution point costs this handshake at most the fetch timeout (and the step
        // timeout bounds the whole step); other handshakes run in their own actors.
        _verifier.CheckRevocationAsync(r.Session, r.Chain, DateTimeOffset.UtcNow, _cancel.Token)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)new RevocationChecked(t.Result.Answer, t.Result.Chain)
                : new RevocationFaulted(t.Exception?.GetBaseException().Message ?? "cancelled"), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private State<HandshakeStep, HandshakeData> AfterRevocation(RevocationChecked checkedPath, CheckingRevocation r)
    {
        var answer = checkedPath.Answer;
        _revocation = answer;
        var result = _verifier.AfterRevocation(r.Session, answer);
        if (result.Warning is { } warning)
        {
            _log.Warning("AMQ9717W: connection {0}: {1}", _request.ConnectionId, warning);
            Context.System.EventStream.Publish(new ChannelSslWarning(_request.ConnectionId, _request.Role, SslReasonQualifier.UnknownRevocation, "AMQ9717W", answer.Detail)
            {
                ConnectionName = _request.ConnectionName,
                ChannelName = _request.ChannelName,
            });
        }

        return Follow(result, _ => new Filtering(r.Session, checkedPath.Chain));
    }

    private State<HandshakeStep, HandshakeData> ApplyPeerFilter(Filtering f)
    {
        var check = _verifier.CheckPeer(f.Session);
        var peer = f.Session.Peer;
        if (check.AmqCode is { } code)
        {
            return Reject(new StepFailure(HandshakeStep.PeerFilter, code, check.Reason, check.Detail, peer));
        }

        if (check.Warning is { } warning)
        {
            // MQRC 2578 (CHANNEL_BLOCKED_WARNING), as the queue manager logs it at channel admission.
            _log.Warning("AMQ9787W: connection {0}: {1}", _request.ConnectionId, warning);
        }

        _handedOver = true;
        var session = f.Session;
        var accepted = new PeerSession(_request.ConnectionId, peer, session.Protocol, session.Suite, session.CipherSpec, check.McaUser, _clock.Elapsed) { Chain = f.Chain, RevocationChannel = _revocationChannel, Revocation = _verifier.Revocation };
        _request.ReplyTo.Tell(new HandshakeSucceeded(accepted, _stream));
        Context.Parent.Tell(new Answered(_request));
        return GoTo(HandshakeStep.Accepted).Using(new Finished(null));
    }

    /// <summary>
    /// Development only (<see cref="StartHandshake.AcceptInTheClear"/>): the connection goes on without TLS, with no peer to
    /// check; the queue manager then accepts it only for a channel without SSLCIPH. Every such connection is logged.
    /// </summary>
    private State<HandshakeStep, HandshakeData> AcceptInTheClear()
    {
        _log.Warning("connection {0} from {1} accepted IN THE CLEAR (tls.development-channels-in-the-clear): no encryption, no peer identity; never use this setting in production",
            _request.ConnectionId, _request.ConnectionName ?? "an unknown address");
        _handedOver = true;
        _request.ReplyTo.Tell(new HandshakeSucceeded(PeerSession.Clear(_request.ConnectionId, _clock.Elapsed), _transport));
        Context.Parent.Tell(new Answered(_request));
        return GoTo(HandshakeStep.Accepted).Using(new Finished(null));
    }

    private State<HandshakeStep, HandshakeData> Reject(StepFailure step, bool inTheClear = false)
    {
        // Once TLS is up a refused initiator can be told why over it; one that spoke in the clear learns only that TLS is required.
        if (_request.Role == HandshakeRole.Responder && _stream.IsAuthenticated)
        {
            _farewell = SayWhy(step);
        }
        else if (inTheClear)
        {
            _farewell = Farewell(_transport, PlaintextChannel.RefusalFrame());
        }

        // The detail repeats names from the peer's certificate: printable, so it cannot forge lines in any log.
        var full = LogText.Printable(_verifier.Describe(step));
        var failure = new HandshakeFailed(_request.ConnectionId, step.Step, step.AmqCode, step.Reason, full, step.Peer);
        _log.Amq(step.AmqCode, "connection {0} refused at {1}: {2}", _request.ConnectionId, step.Step, full);
        _span?.SetStatus(ActivityStatusCode.Error, step.AmqCode);
        _request.ReplyTo.Tell(failure);
        Context.Parent.Tell(new Answered(_request));
        Context.System.EventStream.Publish(new ChannelSslError(_request.ConnectionId, _request.Role, Qualifier(step.AmqCode), step.AmqCode, full, step.Peer?.Subject.ToString())
        {
            Step = step.Step,
            Reason = step.Reason,
            PeerIssuer = step.Peer?.Issuer.ToString(),
            PeerSerial = step.Peer?.Serial,
            ConnectionName = _request.ConnectionName,
            ChannelName = _request.ChannelName,
        });
        return GoTo(HandshakeStep.Rejected).Using(new Finished(failure));
    }

    /// <summary>
    /// The refused initiator gets a status frame with MQ's reason code and AMQ code in place of initial data (docs/tls.md):
    /// the check that failed, never what about the certificate, chain or sources made it fail (that stays in this log).
    /// </summary>
    private Task SayWhy(StepFailure step)
    {
        var text = step.Step switch
        {
            HandshakeStep.ChainValidation => "the queue manager did not accept the certificate chain (its log says why)",
            HandshakeStep.Revocation when step.Reason == MqReason.SslCertificateRevoked => "the certificate is revoked",
            HandshakeStep.Revocation => "the revocation status of the certificate could not be determined",
            HandshakeStep.PeerFilter => "the certificate's distinguished name is not accepted on this channel",
            _ => "the TLS handshake was refused (the queue manager's log says why)",
        };
        return Farewell(_stream, ChannelFrames.Encode(new StatusSegment(step.AmqCode, (int)step.Reason, text)));
    }

    /// <summary>Writes a last frame, bounded in time; the stream is disposed after it either way.</summary>
    private static async Task Farewell(Stream stream, ReadOnlyMemory<byte> frame)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await FrameStream.WriteAsync(stream, frame, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The peer has gone or does not read: it is closed either way.
        }
    }

    private static SslReasonQualifier Qualifier(string code) => code switch
    {
        "AMQ9631E" or "AMQ9641E" or "AMQ9616E" or "AMQ9639E" => SslReasonQualifier.CipherSpecError,
        "AMQ9637E" => SslReasonQualifier.ClientAuthError,
        "AMQ9636E" => SslReasonQualifier.PeerNameError,
        "AMQ9777E" => SslReasonQualifier.ChannelBlockedNoAccess,
        _ => SslReasonQualifier.HandshakeError,
    };

    private sealed record Negotiated(NegotiatedSession Session);

    private sealed record NegotiationFailed(StepFailure Failure, bool InTheClear = false);

    private sealed record SpokeInTheClear
    {
        public static readonly SpokeInTheClear Instance = new();
    }

    private sealed record ChainChecked(ChainValidationResult Result);

    /// <summary>The answer, and the path it is for (another valid path when the first was not GOOD).</summary>
    private sealed record RevocationChecked(RevocationAnswer Answer, IReadOnlyList<X509Certificate2> Chain);

    private sealed record RevocationFaulted(string Reason);

    private sealed record FilterPeer
    {
        public static readonly FilterPeer Instance = new();
    }
}
