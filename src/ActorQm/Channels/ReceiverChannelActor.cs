using System.Net;
using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>
/// A receiving message channel agent (RCVR): one per inbound connection, spawned by a listener.
/// The peer is accepted by the handshake first; the initial data then names the channel, and the
/// queue manager checks it against the channel's definition and TLS requirements. Each batch is
/// staged on its target queues and committed in one journal transaction together with the new
/// sequence number before it is confirmed, so a batch is on the queues exactly once whatever fails.
/// </summary>
internal sealed partial class ReceiverChannelActor : FSM<ChannelState, ReceiverData>
{
    private const string InitialDataTimer = "initial-data";
    private const string ReceiveTimer = "receive-timeout";
    private const string MessageRetryTimer = "message-retry";
    private const int CreditGroup = 16;

    /// <summary>Destinations kept open between batches; more are closed and opened again when needed.</summary>
    private const int MaxOpenTargets = 256;

    // Frames a partner queue manager may have in flight to a message channel; an accepting transport grants only the
    // initial data, the window opens once the channel is known (Transport.Settings.Accepting).
    private const int ReceiveWindow = 64;

    /// <summary>Batches a sending partner may have ended and not had confirmed (its channels.pipeline-length at most).</summary>
    internal const int MaxPipelineLength = 16;
    private static long _units;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _qmgr;
    private readonly IActorRef _queueManager;
    private readonly IActorRef _initiator;
    private readonly ChannelSyncStore _sync;
    private readonly ChannelStatusBoard _board;
    private readonly Dictionary<Target, object> _handles = [];
    private readonly string _connectionId;
    private readonly IPEndPoint _remote;
    private readonly RequesterStart? _requester;
    private string? _name;
    private int _consumedFrames;
    private long _receiveTimerSetAt = long.MinValue / 2;

    /// <param name="transport">The Props of this agent's transport, given the agent as its owner: a TLS transport over an
    /// accepted or connected socket, or a routed one for a connection another cluster node holds.</param>
    public ReceiverChannelActor(string connectionId, Func<IActorRef, Props> transport, IPEndPoint remote, string qmgr, IActorRef queueManager, IActorRef initiator, ChannelSyncStore sync, ChannelStatusBoard board, RequesterStart? requester = null)
    {
        _requester = requester;
        _connectionId = connectionId;
        _remote = remote;
        _qmgr = qmgr;
        _queueManager = queueManager;
        _initiator = initiator;
        _sync = sync;
        _board = board;
        StartWith(ChannelState.Binding, new ReceiverData(Context.ActorOf(transport(Self), "transport")));
        SetTimer(InitialDataTimer, new Closing("AMQ9259E", "no initial data from the remote end in time"), TimeSpan.FromSeconds(60));

        When(ChannelState.Binding, e => e.FsmEvent switch
        {
            Transport.Connected c when _requester is not null => CallServer(e.StateData with { Session = c.Session }),
            Transport.Connected c => Stay().Using(e.StateData with { Session = c.Session }),
            Transport.FrameReceived f => Read(f, e.StateData) switch
            {
                InitialData hello when e.StateData.Session is { } session && _requester is null => Accept(hello, session, e.StateData),
                InitialDataReply reply when _requester is not null => BeginRequester(reply, e.StateData),
                StatusSegment status => Close(e.StateData, RemoteRefusal.CodeAtInitiator(status.AmqCode), RemoteRefusal.Detail(status, "the channel")),
                null => Stay(),
                var other => Close(e.StateData, "AMQ9504E", $"protocol error: {other.GetType().Name} before initial data"),
            },
            InboundChannels.Refused r => Close(e.StateData, r.AmqCode, r.Detail, r.Reason),
            Accepting a => Register(a, e.StateData),
            Registered r when !r.Answer.Accepted => Close(e.StateData, r.Answer.AmqCode, r.Answer.Detail, r.Answer.Reason),
            Registered r when r.Accepting.Hello.Type == ChannelType.Client => StartClient(r.Accepting, e.StateData),
            Registered r when r.Accepting.Server is { } server => StartServer(r.Accepting, server, e.StateData),
            Registered r => Start(r.Accepting, e.StateData),
            _ => null,
        });

        When(ChannelState.Running, e => e.FsmEvent switch
        {
            Transport.FrameReceived f when ChannelFrames.IsFastMessage(f.Frame.Span) => PutFast(f, e.StateData),
            Transport.FramesReceived f => PutFast(f, e.StateData),
            Transport.FrameReceived f => OnFrame(Read(f, e.StateData), e.StateData),
            Resolved r => Stage(r, e.StateData),
            LocalQueue.PutStaged p => Answered(e.StateData, p.UnitId, u => { if (p.Insert is { } insert) { u.Inserts.Add(insert); } }),
            LocalQueue.StagedPutRejected r => Answered(e.StateData, r.UnitId, u => u.Rejected[r.Index] = (r.Reason, r.Detail)),
            LocalQueue.PutsStaged all => AnsweredAll(e.StateData, all),
            CheckUnit c => Settle(e.StateData, c.UnitId),
            UnitCommitted c => Confirmed(c, e.StateData),
            JournalWriteFailed f => NotDurable(e.StateData, f),
            _ => null,
        });

        When(ChannelState.Paused, e => e.FsmEvent switch
        {
            RetryMessages => GoTo(ChannelState.Running).Using(StageRejected(e.StateData)),
            Transport.FrameReceived f when ChannelFrames.IsFastMessage(f.Frame.Span) => PutFast(f, e.StateData),
            Transport.FramesReceived f => PutFast(f, e.StateData),
            Transport.FrameReceived f => OnFrame(Read(f, e.StateData), e.StateData),
            _ => null,
        });

        // A batch whose journal write is under way is finished (made visible, or backed out) before the actor stops:
        // a successor instance must read a sequence number that matches what is on the queues.
        When(ChannelState.Stopping, e => e.FsmEvent switch
        {
            UnitCommitted c when e.StateData.StopRequested => Stop(FSMBase.Normal.Instance, FinishUnit(c, e.StateData)),
            UnitCommitted c => Stay().Using(FinishUnit(c, e.StateData)),
            JournalWriteFailed => Stop(),
            Transport.ConnectionClosed when e.StateData.Unit is { Committing: true } => Stay().Using(e.StateData with { StopRequested = true }),
            Transport.ConnectionClosed => Stop(),
            FlushFast => Flushed(e.StateData),
            IDisposable frames and (Transport.FrameReceived or Transport.FramesReceived) => Discard(frames),
            _ => Stay(),
        });

        WhenUnhandled(e => e.FsmEvent switch
        {
            Terminated t when t.ActorRef.Equals(e.StateData.Client) => Stop(),
            StopChannel s when e.StateData.Client is { } client => Forward(client, s),
            SenderChannelActor.SenderEnded => Stay(),
            Transport.ConnectionClosed c => Ended(e.StateData, c.AmqCode, c.Reason),
            Handshake.HandshakeFailed => Stop(),
            FastOpened o => FastTargetOpened(o, e.StateData),
            FlushFast => Flushed(e.StateData),
            LocalQueue.PutsDone d => FastAnswered(Sender, d, e.StateData),
            Closing c => Close(e.StateData, c.AmqCode, c.Detail),
            StopChannel => e.StateData.Unit is null ? Close(e.StateData, null, "STOP CHANNEL") : Stay().Using(e.StateData with { StopRequested = true }),
            IDisposable frames and (Transport.FrameReceived or Transport.FramesReceived) => Discard(frames),
            _ => Stay(),
        });

        OnTransition((from, to) =>
        {
            if (_name is not null)
            {
                _board.Update(_name, s => s with { State = to });
                Context.System.EventStream.Publish(new ChannelStateChanged(_qmgr, _name, from, to));
            }
        });

        Initialize();
    }

    /// <summary>A listener's connection: the responder's handshake, then frames over TLS.</summary>
    public static Func<IActorRef, Props> Accepted(string connectionId, Stream stream, IPEndPoint remote, ResponderTls tls, IActorRef handshakes) =>
        owner => Transport.Props(tls.Handshake(connectionId, stream, remote), handshakes, owner, tls.TransportSettings);

    /// <summary>A requester's own call to its server: this end initiates the handshake, with the channel's material.</summary>
    public static Func<IActorRef, Props> Requesting(string connectionId, Stream stream, RequesterStart requester, IActorRef handshakes) =>
        owner => Transport.Props(
            new Handshake.StartHandshake(connectionId, HandshakeRole.Initiator, stream, ChannelSni.Encode(requester.Definition.Name), requester.Credentials, requester.Requirements ?? throw new InvalidOperationException("a requester without SSLCIPH calls in the clear, never through a handshake"), ActorRefs.Nobody)
            {
                Revocation = requester.Revocation,
                ChannelName = requester.Definition.Name,
            },
            handshakes, owner, requester.TransportSettings);

    protected override void PostStop()
    {
        Diagnostics.ChannelTracing.End(StateData?.Unit?.Span, "the channel ended before the batch was committed");
        // FAST messages received and not yet sent to their queue are put: the partner has let them go.
        FlushFastPuts(answered: false);
        if (StateData?.Unit is { } unit)
        {
            foreach (var queue in unit.Queues)
            {
                queue.Tell(new LocalQueue.BackoutStaged(unit.Id));
            }
        }

        if (_name is not null)
        {
            _board.Update(_name, s => s with { State = ChannelState.Inactive });
        }

        base.PostStop();
    }

    private State<ChannelState, ReceiverData> Accept(InitialData hello, Handshake.PeerSession session, ReceiverData data)
    {
        var self = Self;
        _queueManager.Ask<object>(new Channels.Channel.AcceptChannel(hello, session, _remote.Address), TimeSpan.FromSeconds(30))
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? t.Result switch
                {
                    InboundChannels.Accepted a => new Accepting(hello, a),
                    InboundChannels.AcceptedAsServer s => new Accepting(hello, s.Accepted) { Server = s.Start },
                    var other => other,
                }
                : new Closing("AMQ9999E", "the queue manager did not answer"), TaskScheduler.Default)
            .PipeTo(self);
        return Stay();
    }

    private State<ChannelState, ReceiverData> Register(Accepting accepting, ReceiverData data)
    {
        var def = accepting.Accepted.Definition;
        var register = new RegisterInbound(accepting.Hello.ChannelName, Self, accepting.Hello.Type == ChannelType.Client, _remote.Address, def.MaxInstances, def.MaxInstancesPerClient);
        _initiator.Ask<InboundRegistered>(register, TimeSpan.FromSeconds(30))
            .ContinueWith(t => t.IsCompletedSuccessfully ? (object)new Registered(accepting, t.Result) : new Closing("AMQ9999E", "the channel initiator did not answer"), TaskScheduler.Default)
            .PipeTo(Self);
        return Stay();
    }

    private State<ChannelState, ReceiverData> Start(Accepting accepting, ReceiverData data)
    {
        CancelTimer(InitialDataTimer);
        var (hello, def) = (accepting.Hello, accepting.Accepted.Definition);
        _name = def.Name;
        var heartbeat = TimeSpan.FromSeconds(Math.Max(hello.HeartbeatSeconds, (int)def.HeartbeatInterval.TotalSeconds));
        var record = _sync.Get(def.Name);
        var next = data with
        {
            Definition = def,
            DeadQ = accepting.Accepted.DeadLetterQueue,
            LastSeq = record.LastSeq,
            Heartbeat = heartbeat,
            BatchSize = Math.Min(hello.BatchSize, def.BatchSize),
            MaxMessageLength = Math.Min(hello.MaxMessageLength, def.MaxMessageLength),
            Principal = accepting.Accepted.Principal,
            Fast = hello.FastNonPersistent && def.FastNonPersistent,
        };
        var session = data.Session!;
        _board.Set(new ChannelStatus(def.Name, def.Kind.Keyword(), ChannelState.Running)
        {
            ConName = _remote.ToString(), RemoteQMgr = hello.QMgrName, LastSeq = record.LastSeq, CurrentSeq = record.LastSeq, Started = DateTimeOffset.UtcNow,
            McaUser = accepting.Accepted.Principal?.Name ?? string.Empty, SslCipherSpec = session.CipherSpec, SslPeer = session.Peer?.Subject.ToString() ?? string.Empty,
            SslCertIssuer = session.Peer?.Issuer.ToString() ?? string.Empty, SslCertSerial = session.Peer?.Serial ?? string.Empty,
            NpmSpeed = ChannelStatus.NpmSpeedOf(next.Fast),
        });
        ReadFastInBursts(next);
        data.Transport.Tell(new Transport.ResumeReading(ReceiveWindow));
        _consumedFrames = 0;
        Send(next, new InitialDataReply(_qmgr, next.BatchSize, next.MaxMessageLength, (int)heartbeat.TotalSeconds, record.LastSeq, next.Fast, ReadsTraceContext: hello.ReadsTraceContext, Pipelines: hello.Pipelines));
        RestartReceiveTimer(next);
        _log.Info("AMQ9002I: channel {0} is starting (from {1} at {2}, peer '{3}').", def.Name, hello.QMgrName, _remote, session.Peer?.Subject.ToString() ?? "none");
        return GoTo(ChannelState.Running).Using(next);
    }

    private State<ChannelState, ReceiverData> OnFrame(Segment? segment, ReceiverData data)
    {
        switch (segment)
        {
            case MessageSegment m:
                var batch = data.Batch ?? [];
                var expected = NextAfter(data.ReceivedSeq, data);
                if (m.Seq != expected)
                {
                    return Close(data, "AMQ9526E", $"message sequence number error: received {m.Seq}, expected {expected}");
                }

                // Checked as it arrives, without decoding: a message with no header this end reads is the partner's error.
                var header = TransmissionHeader.LengthIn(m.XmitMessage);
                if (header == 0)
                {
                    return Close(data, "AMQ9504E", $"protocol error: message {m.Seq} has no valid MQXQH (transmission header)");
                }

                if (m.XmitMessage.Length - header > data.MaxMessageLength)
                {
                    return Close(data, "AMQ9504E", $"protocol error: message of {m.XmitMessage.Length - header} bytes exceeds the negotiated MAXMSGL({data.MaxMessageLength})");
                }

                batch.Add(m);
                return Stay().Using(data with { Batch = batch });
            case BatchEnd end:
                var messages = data.Batch ?? [];
                if (messages.Count != end.Count || (messages.Count > 0 && messages[^1].Seq != end.LastSeq))
                {
                    return Close(data, "AMQ9504E", $"protocol error: batch end ({end.Count} messages to {end.LastSeq}) does not match what arrived ({messages.Count})");
                }

                if (data.Unit is null)
                {
                    return Stay().Using(Begin([new EndedBatch(end, messages)], data with { Batch = null }));
                }

                // A pipelining sender ended this batch before the one in hand was confirmed: it waits its turn.
                return data.Waiting.Count + data.Unit.Ends.Count >= MaxPipelineLength
                    ? Close(data, "AMQ9504E", $"protocol error: more than {MaxPipelineLength} batches unconfirmed")
                    : Stay().Using(data with { Batch = null, Waiting = data.Waiting.Add(new EndedBatch(end, messages)) });
            case Heartbeat { Reply: false }:
                Send(data, new Heartbeat(true));
                return Stay();
            case Heartbeat:
                return Stay();
            case CloseSegment close when _fastOpening.Count > 0:
                // FAST messages that arrived before the close still wait for their target to open: they are put first.
                _closeAfterOpens = close.Reason;
                return Stay();
            case CloseSegment close:
                _log.Info("AMQ9001I: channel {0} ended by the remote end ({1}).", _name, close.Reason);
                return Close(data, null, close.Reason);
            case StatusSegment status:
                return Close(data, null, $"remote end reported {status.AmqCode}: {status.Text}");
            case null:
                return Stay();
            default:
                return Close(data, "AMQ9504E", $"protocol error: unexpected {segment.GetType().Name}");
        }
    }

    private State<ChannelState, ReceiverData> Close(ReceiverData data, string? code, string detail, MqReason reason = MqReason.UnexpectedError)
    {
        if (code is not null)
        {
            // Before admission the channel has no name here yet; the detail names the one the initial data asked for.
            if (_name is null)
            {
                _log.Amq(code, "connection {0} from {1}: {2}", _connectionId, _remote, detail);
            }
            else
            {
                _log.Amq(code, "channel {0} (connection {1} from {2}): {3}", _name, _connectionId, _remote, detail);
            }

            Send(data, new StatusSegment(code, (int)reason, detail));
            Context.System.EventStream.Publish(new ChannelFailed(_qmgr, _name ?? string.Empty, code, detail));
            if (_name is not null)
            {
                _board.Update(_name, s => s with { LastError = $"{code}: {detail}" });
            }
        }

        data.Transport.Tell(Transport.Close.Instance);
        return GoTo(ChannelState.Stopping).Using(data);
    }

    private State<ChannelState, ReceiverData> Ended(ReceiverData data, string? code, string reason)
    {
        if (code is not null)
        {
            _log.Amq(code, "channel {0}: {1}", _name ?? _connectionId, reason);
            Context.System.EventStream.Publish(new ChannelFailed(_qmgr, _name ?? string.Empty, code, reason));
        }

        return data.Unit is { Committing: true } ? GoTo(ChannelState.Stopping).Using(data with { StopRequested = true }) : Stop();
    }

    /// <summary>A frame arrived: its read credit is owed back, and the receive timer starts again.</summary>
    private static void Send(ReceiverData data, Segment segment) => data.Transport.Tell(new Transport.Send(ChannelFrames.Encode(segment)));

    private static long NextAfter(long seq, ReceiverData data) => seq >= (data.Definition?.SequenceWrap ?? int.MaxValue) ? 1 : seq + 1;

    private sealed record Accepting(InitialData Hello, InboundChannels.Accepted Accepted)
    {
        /// <summary>A requester called a server channel: what the server needs to send.</summary>
        public SenderStart? Server { get; init; }
    }

    private sealed record Resolved(long UnitId, Dictionary<Target, object> Handles);

    private sealed record UnitCommitted(long UnitId);

    private sealed record CheckUnit(long UnitId);

    private sealed record Registered(Accepting Accepting, InboundRegistered Answer);

    private sealed record Closing(string AmqCode, string Detail);

    private sealed record RetryMessages
    {
        public static readonly RetryMessages Instance = new();
    }
}
