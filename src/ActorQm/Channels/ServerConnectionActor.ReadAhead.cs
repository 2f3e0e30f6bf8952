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

    /// <summary>What a message adds to a frame of messages sent ahead besides its data: its length and descriptor.</summary>
    private const int PerMessageBytes = 4 + DescriptorCodec.Length;

    private readonly Dictionary<int, ReadAheadStream> _readAhead = [];
    private long _readAheadBytes;

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

    /// <summary>Asks the queue for what the window has room for: a batch taken at once, or when the queue is empty one message waited for.</summary>
    private void Fill(ReadAheadStream s, bool wait = false)
    {
        // Nothing more while the transport's send queue is over its bound or the connection holds its share already.
        if (s.Asking || s.Stalled || _paused || _readAheadBytes >= ReadAheadConnectionBytes || s.InFlight.Count >= ReadAheadWindow || s.InFlightBytes >= ReadAheadWindowBytes)
        {
            return;
        }

        // Refilled by halves once something is out, so each request takes a batch worth its round trip.
        if (!wait && s.InFlight.Count > ReadAheadWindow / 2)
        {
            return;
        }

        s.Asking = true;
        var handle = s.Handle;
        Task<object> ask = wait
            ? s.Queue.Ask<object>(new LocalQueue.Get(new GetOptions { Wait = ReadAheadWait, Syncpoint = true }, _self), ReadAheadWait + Timeout)
            : s.Queue.Ask<object>(new LocalQueue.GetBatch(ReadAheadWindow - s.InFlight.Count, ReadAheadWindowBytes - s.InFlightBytes, _self), Timeout);
        ask.ContinueWith(t => new ReadAheadAnswer(handle, s.Queue, t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default).PipeTo(_self);
    }

    private void OnReadAhead(ReadAheadAnswer answer)
    {
        var taken = answer.Reply switch
        {
            LocalQueue.BatchGot b => b.Messages,
            LocalQueue.MessageGot m => [m],
            _ => [],
        };
        if (!_readAhead.TryGetValue(answer.Handle, out var s))
        {
            // The handle closed while the queue was asked: what it took goes back unchanged.
            Release(answer.Queue, taken.Select(m => m.Token).ToList());
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
                Push(s, taken);
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

    /// <summary>Sends what was taken in one frame, or stops at a message too large for the connection and tells the client why.</summary>
    private void Push(ReadAheadStream s, IReadOnlyList<LocalQueue.MessageGot> taken)
    {
        var fits = 0;
        var bytes = (long)ReplyOverhead;
        while (fits < taken.Count && bytes + taken[fits].Message.Payload.Length + PerMessageBytes <= _limits.MaxReplyBytes)
        {
            bytes += taken[fits].Message.Payload.Length + PerMessageBytes;
            fits++;
        }

        if (fits > 0)
        {
            var w = new FrameWriter((int)bytes + 16);
            ClientProtocol.WriteMessages(w, taken.Take(fits).Select(m => m.Message).ToList());
            _transport.Tell(new Transport.Send(ChannelFrames.Encode(new ClientMessages(s.Handle, 0, string.Empty, w.ToArray()))));
            foreach (var m in taken.Take(fits))
            {
                s.InFlight.Enqueue((m.Token, m.Message.Payload.Length));
                s.InFlightBytes += m.Message.Payload.Length;
                _readAheadBytes += m.Message.Payload.Length;
            }
        }

        if (fits < taken.Count)
        {
            Release(s.Queue, taken.Skip(fits).Select(m => m.Token).ToList());
            if (fits == 0)
            {
                Notice(s, MqReason.DataLengthError, $"MQRC_DATA_LENGTH_ERROR: a message of {taken[0].Message.Payload.Length} bytes does not fit this channel's frame limit of {_limits.MaxReplyBytes} bytes; it stays on the queue");
            }
        }
    }

    /// <summary>The application's next get on this handle returns this refusal; nothing more is sent until the client has seen it.</summary>
    private void Notice(ReadAheadStream s, MqReason reason, string detail)
    {
        s.Stalled = true;
        _transport.Tell(new Transport.Send(ChannelFrames.Encode(new ClientMessages(s.Handle, (int)reason, detail, []))));
    }

    /// <summary>The client took so many more messages (handle, count): they leave the queue for good, and the window opens again.</summary>
    private void Consumed(ClientRequest request)
    {
        var r = new FrameReader(request.Body);
        var (handle, count) = (r.Int(), r.Int());
        if (r.Error is not null || !_readAhead.TryGetValue(handle, out var s))
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
            s.Queue.Tell(new LocalQueue.CommitGets(tokens));
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
            _readAheadBytes -= s.InFlightBytes;
            Release(s.Queue, s.InFlight.Select(m => m.Token).ToList());
            FillAll();
        }
    }

    private static void Release(IActorRef queue, List<long> tokens)
    {
        if (tokens.Count > 0)
        {
            queue.Tell(new LocalQueue.ReleaseGets(tokens));
        }
    }

    private sealed class ReadAheadStream(int handle, IActorRef queue)
    {
        public int Handle { get; } = handle;

        public IActorRef Queue { get; } = queue;

        /// <summary>Sent to the client and not yet taken by the application, oldest first: the client takes them in this order.</summary>
        public Queue<(long Token, int Bytes)> InFlight { get; } = new();

        public long InFlightBytes { get; set; }

        public bool Asking { get; set; }

        /// <summary>A refusal was sent: nothing more until the client has seen it (its next Consumed).</summary>
        public bool Stalled { get; set; }
    }

    private sealed record ReadAheadAnswer(int Handle, IActorRef Queue, object? Reply);
}
