using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>
/// A server-connection channel instance (SVRCONN): one per connected client, serving its MQI calls
/// in order (one connection is one MQ connection handle: a get that waits holds the next call, as
/// in MQ). Puts and gets under syncpoint form a unit of work committed in one journal transaction;
/// whatever is uncommitted when the client goes is backed out.
/// </summary>
internal sealed partial class ServerConnectionActor : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Frames a client may have read and not yet answered (its read credit, granted when it connects and given back
    /// as calls are answered, see GiveBack): calls beyond it wait in the client's socket, not here (docs/protocol.md).
    /// </summary>
    public const int ReadWindow = 4;

    /// <summary>MQ's channel for remote administration; the only one that takes MQSC.</summary>
    public const string AdminChannel = "SYSTEM.ADMIN.SVRCONN";
    private static long _units;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _transport;
    private readonly IActorRef _queueManager;
    private readonly ChannelStatusBoard _board;
    private readonly string _qmgr;
    private readonly string _channel;
    private readonly string _statusKey;
    private readonly string _applName;
    private readonly Dictionary<int, (QueueHandle Handle, MqOpenOptions Options)> _handles = [];
    private readonly Dictionary<int, BrowseCursor> _cursors = [];
    private readonly Queue<ClientRequest> _waiting = new();
    private readonly Dictionary<IActorRef, List<long>> _uowGets = [];
    private readonly HashSet<IActorRef> _uowPutQueues = [];
    private readonly List<JournalOp> _uowInserts = [];
    private readonly ChannelSyncStore _journal;
    private readonly ConnectionLimits _limits;
    private TaskCompletionSource<object>? _commit;
    private readonly IActorRef _self;
    private long _unit = Interlocked.Increment(ref _units);
    private int _nextHandle;
    private bool _busy;
    // The transport's send queue is over its bound: no call is served and no credit given back until it drains.
    private bool _paused;
    private bool _brokeProtocol;
    private int _owedCredit;

    /// <summary>Who this client runs as: every check of its calls is made for this principal (docs/security.md, "Identity").</summary>
    private readonly Authority.Principal _principal;

    // The client reads version-2 descriptors (its initial data said so): messages go to it with their trace context.
    private readonly bool _clientReadsTrace;

    public ServerConnectionActor(IActorRef transport, IActorRef queueManager, ChannelSyncStore journal, ChannelStatusBoard board, string qmgr, string channel, string statusKey, string applName, ConnectionLimits limits, Authority.Principal principal, bool clientReadsTrace)
    {
        _principal = principal;
        _clientReadsTrace = clientReadsTrace;
        _limits = limits;
        _transport = transport;
        _queueManager = queueManager;
        _journal = journal;
        _board = board;
        _qmgr = qmgr;
        _channel = channel;
        _statusKey = statusKey;
        _applName = applName;
        _self = Self;
        Receive<Transport.FrameReceived>(OnFrame);
        Receive<Transport.FramesReceived>(OnFrames);
        Receive<Answer>(Answered);
        ReceiveQueueReplies();
        Receive<ReadAheadAnswer>(OnReadAhead);
        Receive<LocalQueue.GetsReleased>(_ => { });
        Receive<Transport.SendQueueFull>(_ => _paused = true);
        Receive<Transport.SendQueueDrained>(_ =>
        {
            _paused = false;
            GiveBack(0);
            FillAll();
            Next();
        });
        // Nothing here waits for the commit's answer: it goes to no one rather than through this mailbox.
        Receive<Delivered>(d => d.Queue.Tell(new LocalQueue.CommitGets([d.Token]), ActorRefs.NoSender));
        Receive<LocalQueue.GetsCommitted>(_ => { });
        Receive<UnitDurable>(d => _commit?.TrySetResult(d));
        Receive<JournalWriteFailed>(f => _commit?.TrySetResult(f));
        Receive<Transport.ConnectionClosed>(c =>
        {
            if (c.AmqCode is not null)
            {
                _log.Amq(c.AmqCode, "client connection {0} on channel {1}: {2}", _statusKey, _channel, c.Reason);
            }

            Context.Stop(Self);
        });
        Receive<StopChannel>(_ =>
        {
            Send(new CloseSegment("STOP CHANNEL"));
            _transport.Tell(Transport.Close.Instance);
        });
    }

    private void Answered(Answer a)
    {
        if (_brokeProtocol)
        {
            // The connection is ending with its status already sent: nothing more is answered, nothing kept.
            if (a.AfterWrite is { } held)
            {
                held.Queue.Tell(new LocalQueue.ReleaseGets([held.Token]), _self);
            }

            return;
        }

        if (a.Asynchronous)
        {
            // MQPMO_ASYNC_RESPONSE: nothing is written; the outcome waits for MQSTAT.
            CountAsyncPut(a);
            _busy = false;
            GiveBack(1);
            Next();
            return;
        }

        // A get outside syncpoint is taken under syncpoint and removed once its answer is written,
        // so a client that goes while the answer is on its way does not lose the message.
        var ack = a.AfterWrite is { } taken ? new Delivered(taken.Queue, taken.Token) : null;
        var frame = ChannelFrames.Encode(new ClientResponse(a.Correlation, a.Reason, a.Detail, a.Body));
        if (frame.Length > _limits.MaxReplyBytes)
        {
            (frame, ack) = (TooLarge(a, frame.Length), null);
        }

        _transport.Tell(new Transport.Send(frame, ack), _self);
        if (a.ReadAhead is { } start)
        {
            StartReadAhead(start.Handle, start.Queue);
        }

        _busy = false;
        GiveBack(1);
        Next();
    }

    // A client that goes without committing has its unit of work backed out, as in MQ: the queues
    // own that, since every get and staged put of this connection names it as owner.
    protected override void PostStop()
    {
        _board.Remove(_statusKey);
        _transport.Tell(Transport.Close.Instance);
    }

    private void OnFrame(Transport.FrameReceived frame)
    {
        using (frame)
        {
            OnFrame(frame.Frame.Span);
        }
    }

    /// <summary>Calls read together (<see cref="Transport.ReadInBursts"/>), each as if it came alone.</summary>
    private void OnFrames(Transport.FramesReceived frames)
    {
        using (frames)
        {
            foreach (var frame in frames)
            {
                OnFrame(frame.Span, serve: false);
            }
        }

        // Served once the whole run is queued, so answers given at once can hand back their credit together.
        Next();
    }

    private void OnFrame(ReadOnlySpan<byte> frame, bool serve = true)
    {
        if (_brokeProtocol)
        {
            // The connection is closing: nothing the client sent after its protocol error is acted on.
            return;
        }

        var (segment, error) = ChannelFrames.Decode(frame);

        // A call's credit comes back when it is answered; anything else is done with here, and its credit goes back
        // at once, so a heartbeat, a Consumed or a close is read even behind a get that waits.
        if (segment is not ClientRequest { Op: not ClientOp.Consumed })
        {
            GiveBack(1, now: true);
        }

        switch (segment)
        {
            case ClientRequest { Op: ClientOp.Consumed } consumed:
                Consumed(consumed);
                break;
            case ClientRequest request:
                _waiting.Enqueue(request);
                if (serve)
                {
                    Next();
                }

                break;
            case Heartbeat { Reply: false }:
                Send(new Heartbeat(true));
                break;
            case Heartbeat:
                break;
            case CloseSegment:
                // An orderly end: what was sent ahead and not taken goes back unchanged (a broken connection backs it out).
                foreach (var handle in _readAhead.Keys.ToList())
                {
                    StopReadAhead(handle);
                }

                _transport.Tell(Transport.Close.Instance);
                break;
            default:
                ProtocolError(error ?? $"unexpected {segment?.GetType().Name} from a client");
                break;
        }
    }

    /// <summary>AMQ9504E: the client broke the protocol; it is told why and the connection ends.</summary>
    private void ProtocolError(string detail)
    {
        _brokeProtocol = true;
        _pending = null;
        _waiting.Clear();
        _log.Error("AMQ9504E: client connection {0} on channel {1}: protocol error: {2}", _statusKey, _channel, detail);
        Send(new StatusSegment("AMQ9504E", (int)MqReason.ConnectionBroken, detail));
        _transport.Tell(Transport.Close.Instance);
    }

    /// <summary>
    /// Read credit back to the transport. One call's credit may wait for the next one's (one message for two calls),
    /// but only while the transport keeps at least two frames of credit even if every call held here were read.
    /// </summary>
    private void GiveBack(int frames, bool now = false)
    {
        _owedCredit += frames;
        var unanswered = (_busy ? 1 : 0) + _waiting.Count;
        if (!_paused && _owedCredit > 0 && (now || _owedCredit >= 2 || ReadWindow - unanswered - _owedCredit < 2))
        {
            _transport.Tell(new Transport.ResumeReading(_owedCredit), _self);
            _owedCredit = 0;
        }
    }

    private void Next()
    {
        if (_busy || _paused || !_waiting.TryDequeue(out var request))
        {
            return;
        }

        _busy = true;
        var c = request.Correlation;
        Call? call = null;
        Answer? answer;
        try
        {
            call = Parse(request);
            answer = call switch
            {
                PutCall { Handle: not null } put => PutOnHandle(c, put),
                GetCall get => Get(c, get),
                CloseCall close => Close(c, close),
                StatCall => Status(c),
                BackoutCall => Backout(c),
                BadCall bad => new Answer(c, (int)MqReason.UnexpectedError, bad.Why, []),
                _ => null,
            };
        }
        catch (Exception e)
        {
            // A call that failed here is answered, as one that fails off the thread is: the connection and its state stay.
            _pending = null;
            answer = new Answer(c, (int)MqReason.UnexpectedError, e.Message, []);
        }

        if (answer is not null)
        {
            Answered(answer);
            return;
        }

        if (_pending is not null || call is null)
        {
            return;
        }

        var self = Self;
        Serve(c, call).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result
            : t.Exception?.GetBaseException() is AskTimeoutException ? new CallTimedOut(c)
            : (object)new Answer(c, (int)MqReason.UnexpectedError, t.Exception?.GetBaseException().Message ?? "cancelled", []), TaskScheduler.Default).PipeTo(self);
    }

    private Answer Backout(int c)
    {
        Backout();
        return new Answer(c, 0, string.Empty, []);
    }

    private Answer Close(int c, CloseCall close)
    {
        if (!_handles.Remove(close.Handle, out var closed))
        {
            return new Answer(c, (int)MqReason.ObjectHandleError, $"MQRC_HOBJ_ERROR: {close.Handle} is not an open handle of this connection", []);
        }

        _queueManager.Tell(new QueueManagerApi.CloseQueue(closed.Handle.OpenId), _self);
        _cursors.Remove(close.Handle);
        _savedContext.Remove(close.Handle);
        StopReadAhead(close.Handle);
        return new Answer(c, 0, string.Empty, []);
    }

    /// <summary>Runs a call that waits on the queue manager or the journal (open, MQPUT1, commit, MQSC) off the actor's thread; only one call runs at a time, so connection state is touched by one call at a time.</summary>
    private async Task<Answer> Serve(int c, Call call)
    {
        switch (call)
        {
            case OpenCall open:
                {
                    if (_handles.Count >= _limits.MaxHandles)
                    {
                        return new Answer(c, (int)MqReason.HandleNotAvailable, $"MQRC_HANDLE_NOT_AVAILABLE: this connection already holds MAXHANDS({_limits.MaxHandles}) open handles; close one first", []);
                    }

                    var openQueue = new QueueManagerApi.OpenQueue(open.Queue, open.Options, open.QMgr.Length == 0 ? null : open.QMgr, _principal) { AlternateUserId = open.AlternateUserId, Holder = _self };
                    var reply = await _queueManager.Ask<object>(openQueue, Timeout);
                    if (reply is not QueueManagerApi.QueueOpened opened)
                    {
                        var rejected = (QueueManagerApi.OpenRejected)reply;
                        return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
                    }

                    var id = ++_nextHandle;
                    _handles[id] = (opened.Handle, open.Options);
                    var readAhead = ReadsAhead(open.Options, opened.Handle);
                    var w = new FrameWriter();
                    w.Int(id);
                    w.String(opened.Handle.ResolvedQueueName);
                    w.Int(readAhead ? ReadAheadWindow : 0);
                    return new Answer(c, 0, string.Empty, w.ToArray()) { ReadAhead = readAhead ? (id, opened.Handle.Queue) : null };
                }

            case PutCall put:
                return await ServePut1(c, put) with { Asynchronous = put.AsyncResponse };
            case CommitCall:
                return await Commit(c);
            case MqscCall mqsc:
                {
                    if (_channel != AdminChannel)
                    {
                        return new Answer(c, (int)MqReason.NotAuthorized, $"MQSC is accepted only over {AdminChannel}, not {_channel}", []);
                    }

                    // The queue manager logs each command (secrets masked) with this origin and the principal.
                    var done = await _queueManager.Ask<QueueManagerApi.MqscCompleted>(
                        new QueueManagerApi.RunMqsc(mqsc.Script, As: _principal, Origin: $"client {_statusKey} on {_channel}"), Timeout);
                    return new Answer(c, 0, string.Empty, done.Response.Encode());
                }

            default:
                return new Answer(c, (int)MqReason.UnexpectedError, "unhandled call", []);
        }
    }

    private void Send(Segment segment) => _transport.Tell(new Transport.Send(ChannelFrames.Encode(segment)), _self);

    private TimeSpan Timeout => _limits.CallTimeout;

    private sealed record Delivered(IActorRef Queue, long Token);

    private sealed record UnitDurable
    {
        public static readonly UnitDurable Instance = new();
    }
}
