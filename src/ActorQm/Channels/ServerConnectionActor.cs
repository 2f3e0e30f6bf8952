using ActorQm.Messages;
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
internal sealed partial class ServerConnectionActor : ReceiveActor
{
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
    private readonly Dictionary<int, (QueueHandle Handle, ClientOpenPurpose Purpose)> _handles = [];
    private readonly Dictionary<int, BrowseCursor> _cursors = [];
    private readonly Queue<ClientRequest> _waiting = new();
    private readonly Dictionary<IActorRef, List<long>> _uowGets = [];
    private readonly HashSet<IActorRef> _uowPutQueues = [];
    private readonly List<JournalOp> _uowInserts = [];
    private readonly ChannelSyncStore _journal;
    private TaskCompletionSource<object>? _commit;
    private readonly IActorRef _self;
    private long _unit = Interlocked.Increment(ref _units);
    private int _nextHandle;
    private bool _busy;

    public ServerConnectionActor(IActorRef transport, IActorRef queueManager, ChannelSyncStore journal, ChannelStatusBoard board, string qmgr, string channel, string statusKey, string applName)
    {
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
        Receive<Answer>(a =>
        {
            // A get outside syncpoint is taken under syncpoint and removed once its answer is written,
            // so a client that goes while the answer is on its way does not lose the message.
            var ack = a.AfterWrite is { } taken ? new Delivered(taken.Queue, taken.Token) : null;
            _transport.Tell(new Transport.Send(ChannelFrames.Encode(new ClientResponse(a.Correlation, a.Reason, a.Detail, a.Body)), ack));
            _busy = false;
            Next();
        });
        Receive<Delivered>(d => d.Queue.Tell(new LocalQueue.CommitGets([d.Token])));
        Receive<LocalQueue.GetsCommitted>(_ => { });
        Receive<UnitDurable>(d => _commit?.TrySetResult(d));
        Receive<JournalWriteFailed>(f => _commit?.TrySetResult(f));
        Receive<Transport.ConnectionClosed>(c =>
        {
            if (c.AmqCode is not null)
            {
                _log.Warning("{0}: client connection {1} on channel {2}: {3}", c.AmqCode, _statusKey, _channel, c.Reason);
            }

            Context.Stop(Self);
        });
        Receive<StopChannel>(_ =>
        {
            Send(new CloseSegment("STOP CHANNEL"));
            _transport.Tell(Transport.Close.Instance);
        });
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
        Segment? segment;
        string? error;
        using (frame)
        {
            _transport.Tell(new Transport.ResumeReading(1));
            (segment, error) = ChannelFrames.Decode(frame.Frame.Span);
        }

        switch (segment)
        {
            case ClientRequest request:
                _waiting.Enqueue(request);
                Next();
                break;
            case Heartbeat { Reply: false }:
                Send(new Heartbeat(true));
                break;
            case Heartbeat:
                break;
            case CloseSegment:
                _transport.Tell(Transport.Close.Instance);
                break;
            default:
                var detail = error ?? $"unexpected {segment?.GetType().Name} from a client";
                _log.Warning("AMQ9504E: client connection {0} on channel {1}: protocol error: {2}", _statusKey, _channel, detail);
                Send(new StatusSegment("AMQ9504E", (int)MqReason.ConnectionBroken, detail));
                _transport.Tell(Transport.Close.Instance);
                break;
        }
    }

    private void Next()
    {
        if (_busy || !_waiting.TryDequeue(out var request))
        {
            return;
        }

        _busy = true;
        var self = Self;
        Serve(request).ContinueWith(t => t.IsCompletedSuccessfully
            ? t.Result
            : new Answer(request.Correlation, (int)MqReason.UnexpectedError, t.Exception?.GetBaseException().Message ?? "cancelled", []), TaskScheduler.Default).PipeTo(self);
    }

    /// <summary>Runs one call; only one runs at a time, so connection state is touched by one call at a time.</summary>
    private async Task<Answer> Serve(ClientRequest request)
    {
        var c = request.Correlation;
        switch (Parse(request))
        {
            case OpenCall open:
                {
                    var reply = await _queueManager.Ask<object>(new QueueManager.OpenQueue(open.Queue, open.Purpose == ClientOpenPurpose.Output ? QueueManager.OpenPurpose.Output : QueueManager.OpenPurpose.Input, open.QMgr.Length == 0 ? null : open.QMgr), Timeout);
                    if (reply is not QueueManager.QueueOpened opened)
                    {
                        var rejected = (QueueManager.OpenRejected)reply;
                        return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
                    }

                    var id = ++_nextHandle;
                    _handles[id] = (opened.Handle, open.Purpose);
                    var w = new FrameWriter();
                    w.Int(id);
                    w.String(opened.Handle.ResolvedQueueName);
                    return new Answer(c, 0, string.Empty, w.ToArray());
                }

            case CloseCall close:
                _handles.Remove(close.Handle, out _);
                _cursors.Remove(close.Handle);
                return new Answer(c, 0, string.Empty, []);
            case PutCall put:
                {
                    QueueHandle handle;
                    if (put.Handle is { } hid)
                    {
                        if (!_handles.TryGetValue(hid, out var h) || h.Purpose != ClientOpenPurpose.Output)
                        {
                            return new Answer(c, HandleError, "MQRC_HOBJ_ERROR: the handle is not open for output", []);
                        }

                        handle = h.Handle;
                    }
                    else
                    {
                        var opened = await _queueManager.Ask<object>(new QueueManager.OpenQueue(put.Queue!, QueueManager.OpenPurpose.Output, put.QMgr is { Length: > 0 } qm ? qm : null), Timeout);
                        if (opened is not QueueManager.QueueOpened o)
                        {
                            var rejected = (QueueManager.OpenRejected)opened;
                            return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
                        }

                        handle = o.Handle;
                    }

                    var (prepared, refused) = handle.PreparePut(put.Message, _applName);
                    if (prepared is null)
                    {
                        return new Answer(c, (int)refused!.Reason, refused.Detail, []);
                    }

                    var answer = put.Syncpoint
                        ? await handle.Queue.Ask<object>(new LocalQueue.StagePut(prepared.Message, prepared.PutApplName, _unit, 0, _self), Timeout)
                        : await handle.Queue.Ask<object>(prepared, Timeout);
                    switch (answer)
                    {
                        case LocalQueue.PutStaged staged:
                            _uowPutQueues.Add(handle.Queue);
                            if (staged.Insert is { } insert)
                            {
                                _uowInserts.Add(insert);
                            }

                            return Descriptor(c, staged.Descriptor!);
                        case LocalQueue.MessagePut done:
                            return Descriptor(c, done.Descriptor);
                        case LocalQueue.StagedPutRejected no:
                            return new Answer(c, (int)no.Reason, no.Detail, []);
                        default:
                            var rejected = (LocalQueue.PutRejected)answer;
                            return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
                    }
                }

            case GetCall get:
                {
                    var browse = get.Flags.HasFlag(ClientGetFlags.BrowseFirst) || get.Flags.HasFlag(ClientGetFlags.BrowseNext);
                    var options = new GetOptions
                    {
                        Wait = get.WaitMs < 0 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(get.WaitMs),
                        MsgId = get.MsgId,
                        CorrelId = get.CorrelId,
                        Syncpoint = !browse,
                        BrowseAfter = get.Flags.HasFlag(ClientGetFlags.BrowseFirst) ? BrowseCursor.Start
                            : get.Flags.HasFlag(ClientGetFlags.BrowseNext) ? _cursors.GetValueOrDefault(get.Handle, BrowseCursor.Start) : null,
                    };
                    if (!_handles.TryGetValue(get.Handle, out var h) || h.Purpose == ClientOpenPurpose.Output || (h.Purpose == ClientOpenPurpose.Browse) != browse)
                    {
                        return new Answer(c, HandleError, "MQRC_HOBJ_ERROR: the handle is not open for this kind of get", []);
                    }

                    var wait = options.Wait == System.Threading.Timeout.InfiniteTimeSpan ? System.Threading.Timeout.InfiniteTimeSpan : options.Wait + Timeout;
                    var reply = await h.Handle.Queue.Ask<object>(new LocalQueue.Get(options, _self), wait);
                    if (reply is not LocalQueue.MessageGot got)
                    {
                        var rejected = (LocalQueue.GetRejected)reply;
                        return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
                    }

                    (IActorRef, long)? afterWrite = null;
                    if (browse)
                    {
                        _cursors[get.Handle] = got.Cursor;
                    }
                    else if (!get.Flags.HasFlag(ClientGetFlags.Syncpoint))
                    {
                        afterWrite = (h.Handle.Queue, got.Token);
                    }
                    else
                    {
                        if (!_uowGets.TryGetValue(h.Handle.Queue, out var tokens))
                        {
                            _uowGets[h.Handle.Queue] = tokens = [];
                        }

                        tokens.Add(got.Token);
                    }

                    var w = new FrameWriter(got.Message.Payload.Length + 300);
                    ClientProtocol.WriteMessage(w, got.Message);
                    return new Answer(c, 0, string.Empty, w.ToArray()) { AfterWrite = afterWrite };
                }

            case CommitCall:
                return await Commit(c);
            case BackoutCall:
                Backout();
                return new Answer(c, 0, string.Empty, []);
            case MqscCall mqsc:
                {
                    if (_channel != AdminChannel)
                    {
                        return new Answer(c, (int)MqReason.NotAuthorized, $"MQSC is accepted only over {AdminChannel}, not {_channel}", []);
                    }

                    _log.Info("AMQ8077I: remote MQSC from client {0} on {1}: {2} characters", _statusKey, _channel, mqsc.Script.Length);
                    var done = await _queueManager.Ask<QueueManager.MqscCompleted>(new QueueManager.RunMqsc(mqsc.Script), Timeout);
                    var w = new FrameWriter();
                    w.Int(done.Failed);
                    w.Int(done.Lines.Count);
                    foreach (var line in done.Lines)
                    {
                        w.String(line.Length > 1000 ? line[..1000] : line);
                    }

                    return new Answer(c, 0, string.Empty, w.ToArray());
                }

            case BadCall bad:
                return new Answer(c, (int)MqReason.UnexpectedError, bad.Why, []);
            default:
                return new Answer(c, (int)MqReason.UnexpectedError, "unhandled call", []);
        }
    }

    /// <summary>Staged puts and the deletes of syncpoint gets go to the journal as one transaction; then both take effect.</summary>
    private async Task<Answer> Commit(int correlation)
    {
        var writes = new List<JournalOp>(_uowInserts);
        foreach (var (queue, tokens) in _uowGets)
        {
            writes.AddRange((await queue.Ask<LocalQueue.GetDeletesPrepared>(new LocalQueue.PrepareGetDeletes(tokens), Timeout)).Deletes);
        }

        if (writes.Count > 0)
        {
            var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
            _commit = done;
            _journal.Enqueue(JournalOp.Unit(writes, _self, UnitDurable.Instance));
            if (await done.Task is JournalWriteFailed failed)
            {
                Backout();
                return new Answer(correlation, (int)MqReason.ResourceProblem, $"the unit of work could not be made durable and was backed out: {failed.Reason}", []);
            }
        }

        foreach (var queue in _uowPutQueues)
        {
            queue.Tell(new LocalQueue.CommitStaged(_unit));
        }

        foreach (var (queue, tokens) in _uowGets)
        {
            queue.Tell(new LocalQueue.CommitGets(tokens, Journaled: true));
        }

        Reset();
        return new Answer(correlation, 0, string.Empty, []);
    }

    private void Backout()
    {
        foreach (var queue in _uowPutQueues)
        {
            queue.Tell(new LocalQueue.BackoutStaged(_unit));
        }

        foreach (var (queue, tokens) in _uowGets)
        {
            foreach (var token in tokens)
            {
                queue.Tell(new LocalQueue.BackoutGet(token));
            }
        }

        Reset();
    }

    private void Reset()
    {
        _uowPutQueues.Clear();
        _uowInserts.Clear();
        _uowGets.Clear();
        _unit = Interlocked.Increment(ref _units);
    }

    private static Answer Descriptor(int correlation, MessageDescriptor descriptor)
    {
        var w = new FrameWriter(256);
        ClientProtocol.WriteDescriptor(w, descriptor);
        return new Answer(correlation, 0, string.Empty, w.ToArray());
    }

    private void Send(Segment segment) => _transport.Tell(new Transport.Send(ChannelFrames.Encode(segment)));

    private static TimeSpan Timeout => TimeSpan.FromSeconds(30);

    private sealed record Answer(int Correlation, int Reason, string Detail, byte[] Body)
    {
        public (IActorRef Queue, long Token)? AfterWrite { get; init; }
    }

    private sealed record Delivered(IActorRef Queue, long Token);

private const int HandleError = 2019;

    private sealed record UnitDurable
    {
        public static readonly UnitDurable Instance = new();
    }
}
