using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>
/// Read-ahead (MQ's MQOO_READ_AHEAD, DEFREADA): on a handle opened for input, messages are taken from the queue in
/// batches and sent to the client ahead of its gets, at most <see cref="ReadAheadWindow"/> messages (and about
/// <see cref="ReadAheadWindowBytes"/>) not yet taken by the application at a time. They stay locked to this connection
/// until the client says it has taken them (<see cref="ClientOp.Consumed"/>), so what the application never took goes
/// back to the queue when the handle closes or the connection ends (docs/protocol.md, "Read-ahead").
/// </summary>
internal sealed partial class ServerConnectionActor
{
    /// <summary>Messages sent ahead and not yet taken by the application, per handle.</summary>
    public const int ReadAheadWindow = 64;

    /// <summary>Bytes of message data sent ahead and not yet taken, per handle, beyond which no more is asked for (one message may cross it).</summary>
    public const long ReadAheadWindowBytes = 1024 * 1024;

    /// <summary>Bytes sent ahead and not yet taken over all the connection's handles: with MAXHANDS handles a client that never reads holds this much, not MAXHANDS windows.</summary>
    public const long ReadAheadConnectionBytes = 4 * 1024 * 1024;

    /// <summary>How long one wait for a message on an empty queue lasts before it is asked again.</summary>
    private static readonly TimeSpan ReadAheadWait = TimeSpan.FromSeconds(30);

    /// <summary>What a message adds to a frame of messages sent ahead besides its data, at most: its length and descriptor.</summary>
    private const int PerMessageBytes = 4 + DescriptorCodec.TracedLength;

    private readonly Dictionary<int, ReadAheadStream> _readAhead = [];

    /// <summary>Bytes taken from queues for the client and not yet taken by the application (sent, or held while the send queue is full).</summary>
    private long _readAheadBytes;

    /// <summary>Bytes that requests still out to queues may bring: what the connection bound is checked against, with <see cref="_readAheadBytes"/>.</summary>
    private long _readAheadAsked;

    /// <summary>Whether a handle opened with these options reads ahead: asked for (or DEFREADA(YES)), not refused, destructive gets outside a saved context.</summary>
    private static bool ReadsAhead(MqOpenOptions options, QueueHandle handle) =>
        (options & MqOpenOptions.Input) != 0
        && !options.HasFlag(MqOpenOptions.SaveAllContext)
        && !options.HasFlag(MqOpenOptions.NoReadAhead)
        && handle.ReadAhead != ReadAheadDefault.Disabled
        && (options.HasFlag(MqOpenOptions.ReadAhead) || handle.ReadAhead == ReadAheadDefault.Yes);

    private void StartReadAhead(int handle, IActorRef queue)
    {
        var stream = new ReadAheadStream(handle, queue);
        _readAhead[handle] = stream;
        Fill(stream);
    }

    /// <summary>
    /// Sends what is held, then asks the queue for what the windows have room for: a batch taken at once, or when the queue
    /// is empty one message waited for. The room asked for is counted against the connection's bound until the answer comes,
    /// so handles asking together never bring more than that bound (one message may cross it).
    /// </summary>
    private void Fill(ReadAheadStream s, bool wait = false)
    {
        if (s.Held.Count > 0 && !_paused)
        {
            Push(s);
        }

        // Nothing more while the transport's send queue is over its bound or the connection holds its share already.
        var room = Math.Min(ReadAheadWindowBytes - s.InFlightBytes, ReadAheadConnectionBytes - _readAheadBytes - _readAheadAsked);
        if (s.Asking || s.Stalled || _paused || s.Held.Count > 0 || room <= 0 || s.InFlight.Count >= ReadAheadWindow)
        {
            return;
        }

        // Refilled by halves once something is out, so each request takes a batch worth its round trip.
        if (!wait && s.InFlight.Count > ReadAheadWindow / 2)
        {
            return;
        }

        s.Asking = true;
        _readAheadAsked += room;
        var (handle, queue) = (s.Handle, s.Queue);
        Task<object> ask = wait
            ? queue.Ask<object>(new LocalQueue.Get(new GetOptions { Wait = ReadAheadWait, Syncpoint = true }, _self), ReadAheadWait + Timeout, s.StopWaiting.Token)
            : queue.Ask<object>(new LocalQueue.GetBatch(ReadAheadWindow - s.InFlight.Count, room, _self), Timeout);
        ask.ContinueWith(t => new ReadAheadAnswer(handle, queue, room, t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default).PipeTo(_self);
    }

    private void OnReadAhead(ReadAheadAnswer answer)
    {
        _readAheadAsked -= answer.Asked;
        var taken = answer.Reply switch
        {
            LocalQueue.BatchGot b => b.Messages,
            LocalQueue.MessageGot m => [m],
            _ => [],
        };
        if (!_readAhead.TryGetValue(answer.Handle, out var s))
        {
            // The handle closed while the queue was asked: what it took goes back unchanged, and its room is free again.
            Release(answer.Queue, taken.Select(m => m.Token).ToList());
            FillAll();
            return;
        }

        s.Asking = false;
        switch (answer.Reply)
        {
            case LocalQueue.BatchGot { Messages.Count: 0 }:
                // With messages still out, the next Consumed asks again: asking now would spin on an empty queue.
                if (s.InFlight.Count == 0)
                {
                    Fill(s, wait: true);
                }

                break;
            case LocalQueue.BatchGot or LocalQueue.MessageGot:
                // Locked to this connection from now on; sent at once, or when the transport's send queue has drained.
                foreach (var m in taken)
                {
                    s.Held.Add(m);
                    s.InFlightBytes += m.Message.Payload.Length;
                    _readAheadBytes += m.Message.Payload.Length;
                }

                Fill(s);
                break;
            case LocalQueue.GetRejected { Reason: MqReason.NoMsgAvailable } or null when s.InFlight.Count == 0:
                Fill(s, wait: true);
                break;
            case LocalQueue.GetRejected rejected:
                Notice(s, rejected.Reason, rejected.Detail);
                break;
        }
    }

    /// <summary>Sends what is held in one frame, or stops at a message too large for the connection and tells the client why.</summary>
    private void Push(ReadAheadStream s)
    {
        var held = s.Held;
        var fits = 0;
        var bytes = (long)ReplyOverhead;
        while (fits < held.Count && bytes + held[fits].Message.Payload.Length + PerMessageBytes <= _limits.MaxReplyBytes)
        {
            bytes += held[fits].Message.Payload.Length + PerMessageBytes;
            fits++;
        }

        if (fits > 0)
        {
            var w = new FrameWriter((int)bytes + 16);
            ClientProtocol.WriteMessages(w, held.Take(fits).Select(m => m.Message).ToList(), _clientReadsTrace);
            _transport.Tell(new Transport.Send(ChannelFrames.Encode(new ClientMessages(s.Handle, 0, string.Empty, w.ToArray()))), _self);
            foreach (var m in held.Take(fits))
            {
                s.InFlight.Enqueue((m.Token, m.Message.Payload.Length));
            }
        }

        if (fits < held.Count)
        {
            var back = held.Skip(fits).ToList();
            var backBytes = back.Sum(m => (long)m.Message.Payload.Length);
            s.InFlightBytes -= backBytes;
            _readAheadBytes -= backBytes;
            Release(s.Queue, back.Select(m => m.Token).ToList());
            if (fits == 0)
            {
                Notice(s, MqReason.DataLengthError, $"MQRC_DATA_LENGTH_ERROR: a message of {back[0].Message.Payload.Length} bytes does not fit this channel's frame limit of {_limits.MaxReplyBytes} bytes; it stays on the queue");
            }
        }

        held.Clear();
    }

    /// <summary>The application's next get on this handle returns this refusal; nothing more is sent until the client has seen it.</summary>
    private void Notice(ReadAheadStream s, MqReason reason, string detail)
    {
        s.Stalled = true;
        _transport.Tell(new Transport.Send(ChannelFrames.Encode(new ClientMessages(s.Handle, (int)reason, detail, []))), _self);
    }

    /// <summary>The client took so many more messages (handle, count): they leave the queue for good, and the window opens again.</summary>
    private void Consumed(ClientRequest request)
    {
        var r = new FrameReader(request.Body);
        var (handle, count) = (r.Int(), r.Int());
        if (r.Error is not null || count < 0)
        {
            ProtocolError($"malformed Consumed call: {r.Error ?? $"count {count}"}");
            return;
        }

        if (!_readAhead.TryGetValue(handle, out var s))
        {
            return;
        }

        var tokens = new List<long>(Math.Min(count, s.InFlight.Count));
        while (tokens.Count < count && s.InFlight.TryDequeue(out var sent))
        {
            tokens.Add(sent.Token);
            s.InFlightBytes -= sent.Bytes;
            _readAheadBytes -= sent.Bytes;
        }

        if (tokens.Count > 0)
        {
            s.Queue.Tell(new LocalQueue.CommitGets(tokens), _self);
        }

        s.Stalled = false;
        FillAll();
    }

    /// <summary>Room came back (taken messages, a drained send queue): every handle may ask again.</summary>
    private void FillAll()
    {
        foreach (var stream in _readAhead.Values)
        {
            Fill(stream);
        }
    }

    /// <summary>The handle closes (or the client ends in order): messages sent ahead and not taken go back to the queue unchanged.</summary>
    private void StopReadAhead(int handle)
    {
        if (_readAhead.Remove(handle, out var s))
        {
            // A get waiting on an empty queue ends now rather than stay there, looking like a reader, for its whole wait.
            s.StopWaiting.Cancel();
            s.StopWaiting.Dispose();
            _readAheadBytes -= s.InFlightBytes;
            Release(s.Queue, [.. s.InFlight.Select(m => m.Token), .. s.Held.Select(m => m.Token)]);
            FillAll();
        }
    }

    private void Release(IActorRef queue, List<long> tokens)
    {
        if (tokens.Count > 0)
        {
            queue.Tell(new LocalQueue.ReleaseGets(tokens), _self);
        }
    }

    private sealed class ReadAheadStream(int handle, IActorRef queue)
    {
        public int Handle { get; } = handle;

        public IActorRef Queue { get; } = queue;

        /// <summary>Sent to the client and not yet taken by the application, oldest first: the client takes them in this order.</summary>
        public Queue<(long Token, int Bytes)> InFlight { get; } = new();

        /// <summary>Taken from the queue and not yet sent because the transport's send queue was full, oldest first.</summary>
        public List<LocalQueue.MessageGot> Held { get; } = [];

        /// <summary>Bytes of the messages sent (<see cref="InFlight"/>) and held (<see cref="Held"/>).</summary>
        public long InFlightBytes { get; set; }

        /// <summary>Cancels the get waiting on an empty queue when the handle closes (the queue drops a waiter whose asker went).</summary>
        public CancellationTokenSource StopWaiting { get; } = new();

        public bool Asking { get; set; }

        /// <summary>A refusal was sent: nothing more until the client has seen it (its next Consumed).</summary>
        public bool Stalled { get; set; }
    }

    private sealed record ReadAheadAnswer(int Handle, IActorRef Queue, long Asked, object? Reply);
}
