using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;

namespace ActorQm.Channels;

/// <summary>
/// NPMSPEED(FAST): non-persistent messages that arrive outside the batches are put on their target queues at once, never
/// journalled and not part of any batch's unit of recovery; one that cannot be put goes to the dead-letter queue, or is
/// discarded with a warning, as MQ does for such messages (docs/protocol.md, "NPMSPEED").
/// </summary>
internal sealed partial class ReceiverChannelActor
{
    /// <summary>FAST messages received and not yet put (waiting for their target or its answer) beyond which no read credit goes back.</summary>
    private const int MaxFastInFlight = 256;

    // Received and not yet answered by their queue: bounds what a partner's FAST messages can make this agent hold.
    private int _fastInFlight;

    // Puts sent to each queue and not yet answered, a batch per PutMany in the order sent: a queue answers its sender in order.
    private readonly Dictionary<IActorRef, Queue<List<FastPut>>> _fastPending = [];

    // Puts gathered per queue while the frames already in the mailbox are handled; sent as one PutMany each at FlushFast.
    private readonly Dictionary<IActorRef, (List<FastPut> Puts, List<LocalQueue.Put> Prepared)> _fastGathered = [];

    // Messages whose target is being opened, by target, in arrival order (sent once the open answers).
    private readonly Dictionary<Target, List<FastPut>> _fastOpening = [];

    // FAST messages and bytes received since the channel's status was last updated.
    private (long Messages, long Bytes) _fastReceived;
    private bool _flushAsked;

    // The partner closed while FAST messages waited for their target: it ends once they are put.
    private string? _closeAfterOpens;

    /// <summary>
    /// Once NPMSPEED(FAST) is agreed, the transport hands over FAST messages read together as one burst: one actor message
    /// for a run of them rather than one each (frames of any other kind still come one by one, in order).
    /// </summary>
    private void ReadFastInBursts(ReceiverData data)
    {
        if (data.Fast)
        {
            data.Transport.Tell(new Transport.ReadInBursts(static frame => ChannelFrames.IsFastMessage(frame)));
        }
    }

    /// <summary>A burst of FAST messages (<see cref="ReadFastInBursts"/>), each as <see cref="PutFast(ReadOnlySpan{byte}, ReceiverData)"/>; a protocol error ends the channel at that message.</summary>
    private State<ChannelState, ReceiverData> PutFast(Transport.FramesReceived frames, ReceiverData data)
    {
        using (frames)
        {
            _consumedFrames += frames.Count - 1;
            foreach (var frame in frames)
            {
                if (PutFast(frame.Span, data) is { } closed)
                {
                    return closed;
                }
            }
        }

        Consumed(data);
        return Stay();
    }

    private State<ChannelState, ReceiverData> PutFast(Transport.FrameReceived frame, ReceiverData data)
    {
        using (frame)
        {
            Consumed(data);
            return PutFast(frame.Frame.Span, data) ?? Stay();
        }
    }

    /// <summary>
    /// A FAST message, read straight from the transport's pooled frame: the header is parsed there and only the application
    /// data is copied, once, into the array the queue keeps. Null when it was taken; the channel's end on a protocol error.
    /// </summary>
    private State<ChannelState, ReceiverData>? PutFast(ReadOnlySpan<byte> frame, ReceiverData data)
    {
        var xmit = frame[ChannelFrames.FastMessageBytes(0)..];
        var length = xmit.Length;
        var header = TransmissionHeader.TryRead(xmit);
        var payload = header is null ? [] : xmit[header.Length..].ToArray();
        if (!data.Fast)
        {
            return Close(data, "AMQ9504E", "protocol error: a FAST message on a channel that did not agree NPMSPEED(FAST)");
        }

        if (header is not null && length - header.Length > data.MaxMessageLength)
        {
            return Close(data, "AMQ9504E", $"protocol error: message of {length} bytes exceeds the negotiated MAXMSGL({data.MaxMessageLength})");
        }

        if (header is null || header.Original.Persistence == Persistence.Persistent)
        {
            return Close(data, "AMQ9504E", "protocol error: a FAST message is not a non-persistent message with a valid MQXQH");
        }

        var message = new MqMessage(header.Original, payload);
        var put = new FastPut(header, message);
        var key = TargetOf(header, message, data);
        _fastInFlight++;
        _fastReceived = (_fastReceived.Messages + 1, _fastReceived.Bytes + length);
        if (_fastOpening.TryGetValue(key, out var waiting))
        {
            waiting.Add(put);
        }
        else if (_handles.ContainsKey(key))
        {
            Deliver(put, data);
        }
        else
        {
            // The first message for this target: open it as the channel's principal, as a batch would, and the dead-letter
            // queue (as the queue manager) if no batch has opened it yet, so a refused message has somewhere to go.
            _fastOpening[key] = [put];
            var deadQ = Target.DeadLetter(data.DeadQ);
            List<Target> keys = data.DeadQ.Length > 0 && !_handles.ContainsKey(deadQ) && deadQ != key ? [key, deadQ] : [key];
            var asks = keys.Select(k => _queueManager.Ask<object>(OpenForReceiver(k, k == deadQ ? null : data.Principal, Self), TimeSpan.FromSeconds(30))).ToArray();
            Task.WhenAll(asks)
                .ContinueWith(t => new FastOpened(key, t.IsCompletedSuccessfully ? keys.Zip(t.Result).ToDictionary(p => p.First, p => p.Second) : []), TaskScheduler.Default)
                .PipeTo(Self);
        }

        return null;
    }

    private State<ChannelState, ReceiverData> FastTargetOpened(FastOpened opened, ReceiverData data)
    {
        foreach (var (key, reply) in opened.Replies)
        {
            _handles.TryAdd(key, reply);
        }

        TrimTargets(data, (data.Unit?.Targets.Keys ?? Enumerable.Empty<Target>()).Append(opened.Key));

        if (_fastOpening.Remove(opened.Key, out var waiting))
        {
            foreach (var put in waiting)
            {
                Deliver(put, data);
            }
        }

        if (_fastOpening.Count == 0 && _closeAfterOpens is { } reason)
        {
            _log.Info("AMQ9001I: channel {0} ended by the remote end ({1}).", _name, reason);
            return Close(data, null, reason);
        }

        return Stay();
    }

    /// <summary>A queue answered the oldest batch of FAST puts it was sent: each done, or on to the dead-letter queue.</summary>
    private State<ChannelState, ReceiverData> FastAnswered(IActorRef queue, LocalQueue.PutsDone done, ReceiverData data)
    {
        if (_fastPending.TryGetValue(queue, out var pending) && pending.TryDequeue(out var puts))
        {
            foreach (var (index, rejected) in done.Rejected)
            {
                DeadLetterFast(puts[index], rejected.Reason, rejected.Detail, data);
            }

            FastDone(data, puts.Count - done.Rejected.Count);
        }

        return Stay();
    }

    private void Deliver(FastPut put, ReceiverData data)
    {
        var opened = _handles.GetValueOrDefault(TargetOf(put.Header, put.Message, data));
        if (opened is not Mqi.QueueManagerApi.QueueOpened o)
        {
            var (reason, detail) = opened is Mqi.QueueManagerApi.OpenRejected r ? (r.Reason, r.Detail) : (MqReason.UnknownObjectName, $"{put.Header.RemoteQName} could not be opened");
            DeadLetterFast(put, reason, detail, data);
            return;
        }

        var (prepared, rejected) = o.Handle.PreparePut(put.Message, data.Definition!.Name);
        if (prepared is null)
        {
            DeadLetterFast(put, rejected!.Reason, rejected.Detail, data);
            return;
        }

        // Not one actor message per message: what arrives together goes to each queue together, once the frames already
        // waiting in the mailbox are handled (FlushFast comes after them).
        if (!_flushAsked)
        {
            _flushAsked = true;
            Self.Tell(FlushFast.Instance);
        }

        var queue = o.Handle.Queue;
        if (!_fastGathered.TryGetValue(queue, out var gathered))
        {
            _fastGathered[queue] = gathered = ([], []);
        }

        gathered.Puts.Add(put);
        gathered.Prepared.Add(prepared);
    }

    private State<ChannelState, ReceiverData> Flushed(ReceiverData data)
    {
        _flushAsked = false;
        FlushFastPuts();
        if (_fastReceived.Messages > 0 && data.Definition is { } def)
        {
            // The channel's status is updated once per burst too, not per message.
            var (messages, bytes) = _fastReceived;
            _board.Update(def.Name, s => s with { Messages = s.Messages + messages, BytesReceived = s.BytesReceived + bytes });
            _fastReceived = (0, 0);
        }

        return Stay();
    }

    /// <summary>Sends what was gathered, one <see cref="LocalQueue.PutMany"/> per queue; answered later unless the agent is ending.</summary>
    private void FlushFastPuts(bool answered = true)
    {
        foreach (var (queue, (puts, prepared)) in _fastGathered)
        {
            if (answered)
            {
                if (!_fastPending.TryGetValue(queue, out var pending))
                {
                    _fastPending[queue] = pending = new Queue<List<FastPut>>();
                }

                pending.Enqueue(puts);
            }

            queue.Tell(new LocalQueue.PutMany(prepared), answered ? Self : ActorRefs.NoSender);
        }

        _fastGathered.Clear();
    }

    /// <summary>FAST messages are off this agent's hands: the credit they held back goes to the partner when enough is owed.</summary>
    private void FastDone(ReceiverData data, int count = 1)
    {
        _fastInFlight -= count;
        ReturnCredit(data);
    }

    private void DeadLetterFast(FastPut put, MqReason reason, string detail, ReceiverData data)
    {
        FastDone(data);
        var def = data.Definition!;
        if (def.UseDeadLetterQueue && _handles.GetValueOrDefault(Target.DeadLetter(data.DeadQ)) is Mqi.QueueManagerApi.QueueOpened dlq)
        {
            var wrapped = DeadLetterHeader.Wrap(put.Message, (int)reason, put.Header.RemoteQName, put.Header.RemoteQMgrName, def.Name, DateTimeOffset.UtcNow);
            _log.Warning("AMQ9544W: channel {0}: non-persistent message for {1} put to the dead-letter queue {2} (MQRC {3}).", def.Name, put.Header.RemoteQName, data.DeadQ, (int)reason);
            // Its answer is not waited for: a non-persistent message that the dead-letter queue refuses too is lost, as in MQ.
            dlq.Handle.Queue.Tell(new LocalQueue.Put(wrapped, def.Name), ActorRefs.NoSender);
            Diagnostics.ActorQmMetrics.RecordDeadLettered(_qmgr, put.Header.RemoteQName, _handles.GetValueOrDefault(TargetOf(put.Header, put.Message, data)) is Mqi.QueueManagerApi.QueueOpened, (int)reason);
            return;
        }

        _log.Warning("AMQ9544W: channel {0}: non-persistent message for {1} discarded: {2} (MQRC {3}) and {4} (NPMSPEED(FAST)).",
            def.Name, put.Header.RemoteQName, detail, (int)reason, def.UseDeadLetterQueue ? "no dead-letter queue is open" : "USEDLQ(NO)");
    }

    private sealed record FastPut(TransmissionHeader Header, MqMessage Message);

    private sealed record FlushFast
    {
        public static readonly FlushFast Instance = new();
    }

    private sealed record FastOpened(Target Key, Dictionary<Target, object> Replies);
}
