using ActorQm.Diagnostics;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>
/// A sending message channel agent (SDR): one per running channel. Connects, walks the TLS
/// handshake through the transport, agrees limits and settles any in-doubt batch with the
/// receiver, then moves messages from the transmission queue in numbered batches. A batch is
/// recorded in doubt before its end is sent and removed from the transmission queue only after
/// the receiver confirms that it is durable on the target queues, so no persistent message is
/// lost or duplicated by any failure. Retries as SHORTRTY/SHORTTMR then LONGRTY/LONGTMR.
/// </summary>
internal sealed partial class SenderChannelActor : FSM<ChannelState, SenderData>
{
    private const string RetryTimer = "retry";
    private const string ReplyTimer = "initial-data-reply";
    private const string HeartbeatTimer = "heartbeat-reply";
    private const string ConfirmTimer = "batch-confirm";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ChannelSyncStore _sync;
    private readonly ChannelStatusBoard _board;
    private readonly IActorRef _handshakes;
    private readonly Inbound? _inbound;
    private SenderStart _start;
    private int _batchSize;
    private ChannelDefinition Def => _start.Definition;
    private long _nextConnection;
    private long _nextSeq;

    // Both ends have NPMSPEED(FAST): non-persistent messages go outside the batches (agreed in the initial data).
    private bool _fast;

    // The partner reads version-2 descriptors: a message's trace context may go to it (else each is sent without, docs/protocol.md).
    private bool _partnerReadsTrace;

    // Batches in flight at once: channels.pipeline-length when the partner said it takes more than one, else 1 (an earlier release).
    private int _pipeline = 1;

    // The current connection's send queue is over its bound; the transmission-queue read that waits for it to drain.
    private bool _sendQueueFull;
    private LocalQueue.GetBatch? _heldAsk;

    /// <param name="inbound">A server channel answering its requester: the connection is the requester's, already accepted.</param>
    public SenderChannelActor(SenderStart start, ChannelSyncStore sync, ChannelStatusBoard board, IActorRef handshakes, Inbound? inbound = null)
    {
        _start = start;
        _inbound = inbound;
        _batchSize = start.Definition.BatchSize;
        _sync = sync;
        _board = board;
        _handshakes = handshakes;
        var record = sync.Get(Def.Name);
        _nextSeq = NextAfter(record.LastSeq);
        board.Set(new ChannelStatus(Def.Name, Def.Kind.Keyword(), ChannelState.Starting)
        {
            ConName = $"{Def.Host}({Def.Port})", XmitQ = Def.XmitQ, LastSeq = record.LastSeq, InDoubt = record.IsInDoubt, Started = DateTimeOffset.UtcNow,
        });

        if (inbound is null)
        {
            StartWith(ChannelState.Starting, new SenderData());
        }
        else
        {
            StartWith(ChannelState.Binding, new SenderData(inbound.Transport));
        }

        When(ChannelState.Starting, e => e.FsmEvent switch
        {
            ChannelConnector.Connected c when _start.Requirements is null && !_start.InTheClear => CallInTheClear(c),
            ChannelConnector.Connected c => GoTo(ChannelState.Binding).Using(e.StateData with { Transport = OpenTransport(c) }),
            ConnectFailed f => Retry(e.StateData, "AMQ9202E", $"remote host not available: {f.Reason}"),
            Handshake.HandshakeFailed f => Retry(e.StateData, f.AmqCode, f.Detail),
            _ => null,
        });

        When(ChannelState.Binding, e => e.FsmEvent switch
        {
            Transport.Connected c => SendInitialData(c, e.StateData),
            InitialData hello when _inbound is not null => AnswerRequester(hello, e.StateData),
            Transport.FrameReceived f => OnBindingFrame(f, e.StateData),
            LocalQueue.Discarded => EnterRunning(e.StateData),
            Handshake.HandshakeFailed f => Retry(e.StateData with { Transport = null }, f.AmqCode, f.Detail),
            ReplyTimedOut => Fail(e.StateData, "AMQ9259E", "the remote end did not answer the initial data in time"),
            _ => null,
        });

        When(ChannelState.Running, e => e.FsmEvent switch
        {
            // Every answer of the transmission queue ends the get between batches, if that was the one outstanding.
            LocalQueue.MessageGot got when e.StateData.Batch is { Written: false } => Collected(e.StateData with { Asking = false }, [got]),
            // A get left outstanding across a rebind can answer once a batch is written: that batch must neither grow nor be
            // replaced (its sequence numbers would be sent again), so the message goes back and is asked for later.
            LocalQueue.MessageGot got when e.StateData.Batch is not null => Release([got.Token]).Using(e.StateData with { Asking = false }),
            LocalQueue.MessageGot got => StartBatch(got, e.StateData with { Asking = false }),
            LocalQueue.GetRejected { Reason: Messages.MqReason.NoMsgAvailable } when e.StateData.Batch is { Written: false } => SendBatch(e.StateData with { Asking = false }),
            LocalQueue.GetRejected { Reason: Messages.MqReason.NoMsgAvailable } when e.StateData.Batch is not null => Stay().Using(e.StateData with { Asking = false }),
            LocalQueue.GetRejected { Reason: Messages.MqReason.NoMsgAvailable } => Idle(e.StateData with { Asking = false }),
            LocalQueue.GetRejected r => Fail(e.StateData, "AMQ9519E", $"transmission queue {Def.XmitQ}: MQRC {(int)r.Reason} {r.Detail}"),
            LocalQueue.BatchGot more when e.StateData.Batch is { Written: false } => Collected(e.StateData, more.Messages),
            LocalQueue.BatchGot more => Release(more.Messages.Select(m => m.Token).ToList()),
            InDoubtRecorded r when e.StateData.Batch is { Written: true } batch && batch.LastSeq == r.LastSeq => EndBatch(e.StateData),
            Transport.FrameReceived f => OnRunningFrame(f, e.StateData),
            Store.JournalWriteFailed f => Fail(e.StateData, "AMQ7080E", $"the channel's journal write failed: {f.Reason}"),
            HeartbeatLost => Fail(e.StateData, "AMQ9259E", "no heartbeat reply from the remote end"),
            ConfirmLost c when !e.StateData.InFlight.IsEmpty && e.StateData.InFlight[0].LastSeq == c.LastSeq =>
                Fail(e.StateData, "AMQ9259E", $"no confirmation of the batch ending at sequence number {c.LastSeq} within {HeartbeatWait(Def.HeartbeatInterval)}: the connection has stalled"),
            StopChannel => e.StateData.Quiet ? Stop(e.StateData, "STOP CHANNEL") : Stay().Using(e.StateData with { StopRequested = true }),
            RefreshTls r when e.StateData.Quiet => RebindIdle(r, e.StateData),
            RefreshTls r => Refresh(r, e.StateData with { Rebind = true }),
            _ => null,
        });

        When(ChannelState.Retrying, e => e.FsmEvent switch
        {
            RetryNow => GoTo(ChannelState.Starting),
            _ => null,
        });

        When(ChannelState.Stopping, e => e.FsmEvent switch
        {
            Transport.ConnectionClosed => GoTo(ChannelState.Stopped),
            _ => null,
        });

        When(ChannelState.Stopped, _ => null);

        WhenUnhandled(e => e.FsmEvent switch
        {
            // A get that completes after its session ended goes back unchanged.
            LocalQueue.MessageGot got => Release([got.Token]),
            LocalQueue.BatchGot more => Release(more.Messages.Select(m => m.Token).ToList()),
            Transport.FrameReceived f => Dispose(f),
            Transport.SendQueueFull when Sender.Equals(e.StateData.Transport) => SendQueue(full: true),
            Transport.SendQueueDrained when Sender.Equals(e.StateData.Transport) => SendQueue(full: false),
            Transport.SendQueueFull or Transport.SendQueueDrained => Stay(),
            FastWritten w when Sender.Equals(e.StateData.Transport) => Written(w),
            FastWritten => Stay(),
            // Only the current connection's end counts: the one closed for a rebind (REFRESH SECURITY, key reset) reports its
            // close after the new one is up, and must not take the new session down with it.
            Transport.ConnectionClosed c when StateName is ChannelState.Binding or ChannelState.Running && !FromAnEarlierConnection(e.StateData) => Lost(e.StateData, c),
            Transport.ConnectionClosed or Transport.Connected or Handshake.HandshakeFailed => Stay(),
            StopChannel => Stop(e.StateData, "STOP CHANNEL"),
            RefreshTls r => Refresh(r, e.StateData),
            LocalQueue.GetsReleased or LocalQueue.Discarded or InDoubtRecorded or ConfirmLost => Stay(),
            ChannelConnector.Connected stray => Discard(stray),
            _ => Unexpected(e.FsmEvent),
        });

        OnTransition((from, to) =>
        {
            // The initial state is entered by PreStart, not by a transition.
            if (to == ChannelState.Starting && from != ChannelState.Starting)
            {
                Connect();
            }

            if (to == ChannelState.Stopped)
            {
                Context.Parent.Tell(new SenderEnded(Def.Name, NextStateData.Inactive));
                Self.Tell(PoisonPill.Instance);
            }

            _board.Update(Def.Name, s => s with { State = to, LastError = NextStateData.LastError ?? s.LastError });
            if (from != to)
            {
                Context.System.EventStream.Publish(new ChannelStateChanged(_start.QMgrName, Def.Name, from, to, NextStateData.LastError));
            }
        });

        Initialize();
    }

    protected override void PreStart()
    {
        base.PreStart();
        if (_inbound is null)
        {
            Connect();
        }
        else
        {
            Self.Tell(_inbound.Hello);
        }
    }

    protected override void PostStop()
    {
        if (StateData is { } data)
        {
            foreach (var batch in Unconfirmed(data))
            {
                Diagnostics.ChannelTracing.End(batch.Span, "the channel ended before the batch was confirmed");
            }

            Release(data);
        }

        base.PostStop();
    }

    private State<ChannelState, SenderData> OnRunningFrame(Transport.FrameReceived frame, SenderData data)
    {
        var segment = Read(frame, data);
        switch (segment)
        {
            case Confirm c when !data.InFlight.IsEmpty && c.LastSeq == data.InFlight[0].LastSeq:
                return Confirmed(data);
            case Confirm c:
                return ProtocolError(data, $"confirm of sequence number {c.LastSeq} does not match the oldest batch unconfirmed ({(data.InFlight.IsEmpty ? "none" : data.InFlight[0].LastSeq.ToString(System.Globalization.CultureInfo.InvariantCulture))})");
            case Heartbeat { Reply: true }:
                CancelTimer(HeartbeatTimer);
                return Stay().Using(Next(data));
            case Heartbeat:
                Send(data, new Heartbeat(true));
                return Stay();
            case StatusSegment status:
                return Fail(data, status.AmqCode, $"the remote end ended the channel: {status.Text} (MQRC {status.Reason})");
            case CloseSegment close:
                return Rebind(data, close.Reason);
            case null:
                return Stay();
            default:
                return ProtocolError(data, $"unexpected {segment.GetType().Name} while running");
        }
    }

    /// <summary>The message came from a transport of this channel that is no longer its connection (the transport actor tells its end itself).</summary>
    private bool FromAnEarlierConnection(SenderData data) =>
        Sender.Path.Parent.Equals(Self.Path) && Sender.Path.Name.StartsWith("connection-", StringComparison.Ordinal) && !Sender.Equals(data.Transport);

    private State<ChannelState, SenderData> Rebind(SenderData data, string reason)
    {
        if (_inbound is not null)
        {
            return Stop(data, $"the requester closed the connection ({reason})");
        }

        _log.Info("channel {0}: the remote end closed the connection ({1}); binding again.", Def.Name, reason);
        Release(data);
        data.Transport.Tell(Transport.Close.Instance);
        return GoTo(ChannelState.Starting).Using(Unsent(data));
    }

    private State<ChannelState, SenderData> Lost(SenderData data, Transport.ConnectionClosed closed)
    {
        foreach (var batch in Unconfirmed(data))
        {
            Diagnostics.ChannelTracing.End(batch.Span, $"{closed.AmqCode ?? "AMQ9209E"}: {closed.Reason}");
        }

        Release(data);
        return Retry(Unsent(data), closed.AmqCode ?? "AMQ9209E", $"connection to {Def.Host}({Def.Port}) closed: {closed.Reason}");
    }

    private State<ChannelState, SenderData> Retry(SenderData data, string code, string detail)
    {
        var attempt = data.Attempts + 1;
        var (delay, limit) = attempt <= Def.ShortRetries ? (Def.ShortTimer, false) : (Def.LongTimer, attempt > Def.ShortRetries + Def.LongRetries);
        _log.Amq(code, "channel {0}: {1}", Def.Name, detail);
        Context.System.EventStream.Publish(new ChannelFailed(_start.QMgrName, Def.Name, code, detail));
        var next = data with { Attempts = attempt, LastError = $"{code}: {detail}" };
        // A server answering a requester cannot call back: the requester starts again.
        if (limit || data.StopRequested || _inbound is not null)
        {
            _log.Error("AMQ9506E: channel {0} stopped after {1} attempts.", Def.Name, attempt);
            return GoTo(ChannelState.Stopped).Using(next);
        }

        var schedule = attempt <= Def.ShortRetries
            ? $"short retry {attempt} of {Def.ShortRetries} (SHORTRTY), every {Def.ShortTimer.TotalSeconds:0.###} s (SHORTTMR); then {Def.LongRetries} long retries every {Def.LongTimer.TotalSeconds:0.###} s"
            : $"long retry {attempt - Def.ShortRetries} of {Def.LongRetries} (LONGRTY), every {Def.LongTimer.TotalSeconds:0.###} s (LONGTMR)";
        _log.Info("channel {0} retrying in {1:0.###} s: {2}.", Def.Name, delay.TotalSeconds, schedule);
        Diagnostics.ActorQmMetrics.ChannelRetries.Add(1, new KeyValuePair<string, object?>("actorqm.qmgr", _start.QMgrName), new KeyValuePair<string, object?>("actorqm.channel", Def.Name),
            new KeyValuePair<string, object?>("actorqm.channel.retry", attempt <= Def.ShortRetries ? "short" : "long"));
        SetTimer(RetryTimer, RetryNow.Instance, delay);
        return GoTo(ChannelState.Retrying).Using(next);
    }

    private State<ChannelState, SenderData> Fail(SenderData data, string code, string detail)
    {
        SendStatus(data, code, detail);
        Release(data);
        data.Transport.Tell(Transport.Close.Instance);
        return Retry(Unsent(data), code, detail);
    }

    private State<ChannelState, SenderData> ProtocolError(SenderData data, string detail) => Fail(data, "AMQ9504E", $"protocol error: {detail}");

    private State<ChannelState, SenderData> Stop(SenderData data, string reason, ChannelState final = ChannelState.Stopped)
    {
        Release(data);
        if (data.Transport is { } transport)
        {
            Send(data, new CloseSegment(reason));
            transport.Tell(Transport.Close.Instance);
        }

        _log.Info("AMQ9001I: channel {0} ended normally ({1}).", Def.Name, reason);
        return GoTo(ChannelState.Stopped).Using(Unsent(data) with { LastError = null, Inactive = final == ChannelState.Inactive });
    }

    private State<ChannelState, SenderData> Release(IReadOnlyList<long> tokens)
    {
        if (tokens.Count > 0)
        {
            _start.XmitQueue.Tell(new LocalQueue.ReleaseGets(tokens));
        }

        return Stay();
    }

    /// <summary>A connection that completed after its attempt was given up (stop, another attempt): closed at once.</summary>
    private State<ChannelState, SenderData> Discard(ChannelConnector.Connected stray)
    {
        stray.Client.Dispose();
        return Stay();
    }

    private State<ChannelState, SenderData> Unexpected(object message)
    {
        _log.Warning("channel {0}: unexpected {1} in {2}", Def.Name, message.GetType().Name, StateName);
        return Stay();
    }

    private State<ChannelState, SenderData> Dispose(Transport.FrameReceived frame)
    {
        frame.Dispose();
        return Stay();
    }

    private Segment? Read(Transport.FrameReceived frame, SenderData data)
    {
        using (frame)
        {
            data.Transport.Tell(new Transport.ResumeReading(1));
            var (segment, error) = ChannelFrames.Decode(frame.Frame.Span);
            if (error is not null)
            {
                Self.Tell(new Transport.ConnectionClosed("AMQ9504E", $"protocol error: {error}"));
            }

            return segment;
        }
    }

    private void Send(SenderData data, Segment segment) => data.Transport?.Tell(new Transport.Send(ChannelFrames.Encode(segment)));

    private void SendStatus(SenderData data, string code, string detail) =>
        Send(data, new StatusSegment(code, (int)Messages.MqReason.UnexpectedError, detail));

    private long NextAfter(long seq) => seq >= Def.SequenceWrap ? 1 : seq + 1;

    /// <summary>MQ waits twice a short heartbeat interval, or the interval plus 60 seconds.</summary>
    internal static TimeSpan HeartbeatWait(TimeSpan hbint) => hbint < TimeSpan.FromSeconds(60) ? hbint * 2 : hbint + TimeSpan.FromSeconds(60);

    private sealed record ConnectFailed(string Reason);

    /// <summary>Told to the initiator: the instance ends, STOPPED or (DISCINT) INACTIVE.</summary>
    internal sealed record SenderEnded(string Name, bool Inactive);

    /// <summary>The requester's connection, accepted by a listener, and what it said.</summary>
    internal sealed record Inbound(IActorRef Transport, InitialData Hello, Handshake.PeerSession Session);

    private sealed record RetryNow
    {
        public static readonly RetryNow Instance = new();
    }

    private sealed record ReplyTimedOut
    {
        public static readonly ReplyTimedOut Instance = new();
    }

    private sealed record HeartbeatLost
    {
        public static readonly HeartbeatLost Instance = new();
    }

    private sealed record ConfirmLost(long LastSeq);

    private sealed record InDoubtRecorded(long LastSeq);
}
