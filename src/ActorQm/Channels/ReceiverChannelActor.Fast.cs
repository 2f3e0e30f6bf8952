using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
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

    // Puts sent to each queue and not yet answered, in the order sent: a queue answers its sender in order.
    private readonly Dictionary<IActorRef, Queue<FastPut>> _fastPending = [];

    // Messages whose target is being opened, by target, in arrival order (sent once the open answers).
    private readonly Dictionary<Target, List<FastPut>> _fastOpening = [];

    // The partner closed while FAST messages waited for their target: it ends once they are put.
    private string? _closeAfterOpens;

    private State<ChannelState, ReceiverData> PutFast(FastMessageSegment segment, ReceiverData data)
    {
        if (!data.Fast)
        {
            return Close(data, "AMQ9504E", "protocol error: a FAST message on a channel that did not agree NPMSPEED(FAST)");
        }

        if (segment.XmitMessage.Length > data.MaxMessageLength + TransmissionHeader.Length)
        {
            return Close(data, "AMQ9504E", $"protocol error: message of {segment.XmitMessage.Length} bytes exceeds the negotiated MAXMSGL({data.MaxMessageLength})");
        }

        var (header, message) = Unwrap(segment.XmitMessage);
        if (header is null || message is null || message.IsPersistent)
        {
            return Close(data, "AMQ9504E", "protocol error: a FAST message is not a non-persistent message with a valid MQXQH");
        }

        var put = new FastPut(header, message);
        var key = TargetOf(header, message, data);
        _fastInFlight++;
        _board.Update(data.Definition!.Name, s => s with { Messages = s.Messages + 1, BytesReceived = s.BytesReceived + segment.XmitMessage.Length });
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

        return Stay();
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

    /// <summary>A queue answered the oldest FAST put it was sent: done, or on to the dead-letter queue.</summary>
    private State<ChannelState, ReceiverData> FastAnswered(IActorRef queue, LocalQueue.PutRejected? rejected, ReceiverData data)
    {
        if (_fastPending.TryGetValue(queue, out var pending) && pending.TryDequeue(out var put))
        {
            if (rejected is not null)
            {
                DeadLetterFast(put, rejected.Reason, rejected.Detail, data);
            }
            else
            {
                FastDone(data);
            }
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

        var queue = o.Handle.Queue;
        if (!_fastPending.TryGetValue(queue, out var pending))
        {
            _fastPending[queue] = pending = new Queue<FastPut>();
        }

        pending.Enqueue(put);
        queue.Tell(prepared);
    }

    /// <summary>One FAST message is off this agent's hands: the credit it held back goes to the partner when enough is owed.</summary>
    private void FastDone(ReceiverData data)
    {
        _fastInFlight--;
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
            return;
        }

        _log.Warning("AMQ9544W: channel {0}: non-persistent message for {1} discarded: {2} (MQRC {3}) and {4} (NPMSPEED(FAST)).",
            def.Name, put.Header.RemoteQName, detail, (int)reason, def.UseDeadLetterQueue ? "no dead-letter queue is open" : "USEDLQ(NO)");
    }

    private sealed record FastPut(TransmissionHeader Header, MqMessage Message);

    private sealed record FastOpened(Target Key, Dictionary<Target, object> Replies);
}
