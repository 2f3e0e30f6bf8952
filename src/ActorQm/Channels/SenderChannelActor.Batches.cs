using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>A sending channel's batches: collected from the transmission queue, sent, recorded in doubt, committed on confirmation; key reset and refresh between batches.</summary>
internal sealed partial class SenderChannelActor
{
    private void AskForMessage(SenderData data)
    {
        var wait = Def.HeartbeatInterval > TimeSpan.Zero ? Def.HeartbeatInterval : Def.DisconnectInterval;
        if (Def.DisconnectInterval > TimeSpan.Zero && Def.DisconnectInterval - data.Idle < wait)
        {
            wait = Def.DisconnectInterval - data.Idle;
        }

        var options = new GetOptions { Syncpoint = true, Wait = wait > TimeSpan.Zero ? wait : Timeout.InfiniteTimeSpan };
        _start.XmitQueue.Tell(new LocalQueue.Get(options, Self));
    }

    private State<ChannelState, SenderData> Idle(SenderData data)
    {
        var idle = data.Idle + (Def.HeartbeatInterval > TimeSpan.Zero ? Def.HeartbeatInterval : Def.DisconnectInterval);
        if (Def.DisconnectInterval > TimeSpan.Zero && idle >= Def.DisconnectInterval)
        {
            _log.Info("AMQ9545I: channel {0} closed: disconnect interval ({1}) expired.", Def.Name, Def.DisconnectInterval);
            return Stop(data, "disconnect interval expired", ChannelState.Inactive);
        }

        Send(data, new Heartbeat(false));
        SetTimer(HeartbeatTimer, HeartbeatLost.Instance, HeartbeatWait(Def.HeartbeatInterval));
        return Stay().Using(data with { Idle = idle });
    }

    private State<ChannelState, SenderData> StartBatch(LocalQueue.MessageGot first, SenderData data) =>
        Collected(data with { Batch = new SenderBatch([], _nextSeq), Idle = TimeSpan.Zero }, [first]);

    /// <summary>
    /// Adds what the transmission queue gave; the batch ends at BATCHSZ messages or BATCHLIM bytes,
    /// or when the queue is empty and BATCHINT has passed since its first message.
    /// </summary>
    private State<ChannelState, SenderData> Collected(SenderData data, IReadOnlyList<LocalQueue.MessageGot> more)
    {
        var batch = data.Batch!;
        if (_fast)
        {
            var (stay, sent) = SendFast(data, more);
            batch.Messages.AddRange(stay);
            data = data with { BytesSinceKeyReset = data.BytesSinceKeyReset + sent };
        }
        else
        {
            batch.Messages.AddRange(more);
        }

        var bytes = batch.Messages.Sum(m => (long)m.Message.Payload.Length);
        var room = _batchSize - batch.Messages.Count;
        if (room <= 0 || (Def.BatchLimitBytes > 0 && bytes >= Def.BatchLimitBytes) || (batch.Messages.Count == 0 && more.Count == 0))
        {
            return SendBatch(data);
        }

        if (more.Count > 0)
        {
            var ask = new LocalQueue.GetBatch(room, Def.BatchLimitBytes > 0 ? Def.BatchLimitBytes - bytes : long.MaxValue, Self);
            if (_sendQueueFull)
            {
                // FAST messages leave the transmission queue as they are sent: while the transport cannot keep up, they
                // wait there (where a restart finds them), not in its send queue.
                _heldAsk = ask;
            }
            else
            {
                _start.XmitQueue.Tell(ask);
            }

            return Stay().Using(data);
        }

        var left = Def.BatchInterval - (DateTime.UtcNow - batch.Opened);
        if (left <= TimeSpan.Zero)
        {
            return SendBatch(data);
        }

        _start.XmitQueue.Tell(new LocalQueue.Get(new GetOptions { Syncpoint = true, Wait = left }, Self));
        return Stay().Using(data);
    }

    /// <summary>
    /// NPMSPEED(FAST): the non-persistent messages go now, outside the batch, and leave the transmission queue at once (no
    /// journal write; a channel failure may lose them, as MQ documents). Returns the messages that stay in the batch and
    /// the bytes sent (they count towards SSLRKEYC like any other).
    /// </summary>
    private (List<LocalQueue.MessageGot> Stay, long Bytes) SendFast(SenderData data, IReadOnlyList<LocalQueue.MessageGot> got)
    {
        var stay = new List<LocalQueue.MessageGot>(got.Count);
        List<long>? sent = null;
        var bytes = 0L;
        var frames = new FrameBatch(data.Transport!);
        foreach (var m in got)
        {
            if (m.Message.IsPersistent)
            {
                stay.Add(m);
                continue;
            }

            var xmit = _partnerReadsTrace ? m.Message.Payload : Messages.TransmissionHeader.WithoutTraceContext(m.Message.Payload);
            frames.Add(ChannelFrames.FastMessageBytes(xmit.Length), xmit, static (frame, payload) => ChannelFrames.WriteFastMessage(frame, payload.Span));
            (sent ??= []).Add(m.Token);
            bytes += xmit.Length;
        }

        frames.Flush();
        if (sent is not null)
        {
            // No reply wanted: the batch's own commit is the one this channel waits for.
            _start.XmitQueue.Tell(new LocalQueue.CommitGets(sent), ActorRefs.NoSender);
            _board.Update(Def.Name, s => s with { Messages = s.Messages + sent.Count, BytesSent = s.BytesSent + bytes });
        }

        return (stay, bytes);
    }

    /// <summary>Sends the batch's messages, then records it in doubt; the batch end goes once that record is durable.</summary>
    private State<ChannelState, SenderData> SendBatch(SenderData data)
    {
        var batch = data.Batch!;
        if (batch.Messages.Count == 0)
        {
            // Every message went outside the batch (NPMSPEED(FAST)): nothing to number, record or confirm. With no batch's
            // commit in flight this is between batches: a secret key reset, refresh or stop that is due happens now.
            var idle = data with { Batch = null };
            if (idle.Committing is null)
            {
                return Committed(idle);
            }

            AskForMessage(idle);
            return Stay().Using(idle);
        }

        var seq = _nextSeq;
        var bytes = 0L;
        var last = seq;
        var frames = new FrameBatch(data.Transport!);
        foreach (var m in batch.Messages)
        {
            last = seq;
            var xmit = _partnerReadsTrace ? m.Message.Payload : Messages.TransmissionHeader.WithoutTraceContext(m.Message.Payload);
            bytes += xmit.Length;
            frames.Add(ChannelFrames.MessageBytes(xmit.Length), (seq, xmit, m.Message.IsPersistent), static (frame, s) => ChannelFrames.WriteMessage(frame, s.seq, s.IsPersistent, s.xmit.Span));
            seq = NextAfter(seq);
        }

        frames.Flush();

        var record = _sync.Get(Def.Name);
        _sync.Save(record with { InDoubtSeq = last, InDoubtMessages = batch.Messages.Select(m => m.Cursor.Seq).ToList() }, Self, InDoubtRecorded.Instance);
        _board.Update(Def.Name, s => s with { CurrentSeq = last, InDoubt = true, BytesSent = s.BytesSent + bytes });
        var span = Diagnostics.ChannelTracing.StartBatch(_start.QMgrName, Def.Name, sender: true, _nextSeq, last, batch.Messages, static m => m.Message.Payload);
        return Stay().Using(data with { Batch = batch with { LastSeq = last, SentAt = System.Diagnostics.Stopwatch.GetTimestamp(), Written = true, Span = span }, BytesSinceKeyReset = data.BytesSinceKeyReset + bytes });
    }

    private State<ChannelState, SenderData> EndBatch(SenderData data)
    {
        var batch = data.Batch!;
        Send(data, new BatchEnd(batch.LastSeq, batch.Messages.Count));
        // A connection that stalls (no data, no close) must not hold the batch in doubt for ever.
        if (Def.HeartbeatInterval > TimeSpan.Zero)
        {
            SetTimer(ConfirmTimer, new ConfirmLost(batch.LastSeq), HeartbeatWait(Def.HeartbeatInterval));
        }

        return Stay().Using(data with { Batch = batch with { Sent = true } });
    }

    /// <summary>
    /// The receiver has the batch: its gets are committed (removed from the transmission queue).
    /// Unless the channel must stop, rebind or renew its keys first, the next batch is collected
    /// while that commit is written: its in-doubt record (which carries this batch as committed)
    /// is enqueued after the commit's deletes, so the journal never holds it without them.
    /// </summary>
    private State<ChannelState, SenderData> Confirmed(SenderData data, SenderBatch batch)
    {
        CancelTimer(ConfirmTimer);
        Diagnostics.ChannelTracing.End(batch.Span);
        var tags = new System.Diagnostics.TagList { { "actorqm.qmgr", _start.QMgrName }, { "actorqm.channel", Def.Name } };
        Diagnostics.ActorQmMetrics.BatchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(batch.SentAt).TotalSeconds, tags);
        Diagnostics.ActorQmMetrics.BatchSize.Record(batch.Messages.Count, tags);
        _start.XmitQueue.Tell(new LocalQueue.CommitGets(batch.Tokens));
        var keyResetDue = _inbound is null && Def.KeyResetBytes > 0 && data.BytesSinceKeyReset >= Def.KeyResetBytes;
        // One commit in flight at a time: a confirm that overtakes the previous commit's answer waits for it.
        if (data.StopRequested || data.Rebind || keyResetDue || data.Committing is not null)
        {
            return Stay().Using(data with { Batch = batch with { Confirmed = true } });
        }

        var record = _sync.Get(Def.Name);
        _sync.Remember(record with { LastSeq = batch.LastSeq });
        _nextSeq = NextAfter(batch.LastSeq);
        var next = data with { Batch = null, Committing = batch with { Confirmed = true } };
        AskForMessage(next);
        return Stay().Using(next);
    }

    /// <summary>The confirmed batch is off the transmission queue; unless a newer batch is already in doubt, nothing is.</summary>
    private SenderData RecordCommitted(SenderData data)
    {
        var batch = data.Committing ?? data.Batch;
        if (batch is not { Confirmed: true })
        {
            return data;
        }

        if (_sync.Get(Def.Name) is { } current && (current.InDoubtSeq == batch.LastSeq || current.InDoubtSeq == 0))
        {
            _sync.Save(new ChannelSyncRecord(Def.Name, batch.LastSeq, 0, []), ActorRefs.Nobody, null);
        }

        _nextSeq = data.Committing is null ? NextAfter(batch.LastSeq) : _nextSeq;
        _board.Update(Def.Name, s => s with { LastSeq = batch.LastSeq, InDoubt = s.CurrentSeq != batch.LastSeq && s.InDoubt, Messages = s.Messages + batch.Messages.Count, Batches = s.Batches + 1 });
        return data.Committing is null ? data with { Batch = null } : data with { Committing = null };
    }

    private State<ChannelState, SenderData> Committed(SenderData data)
    {
        var next = RecordCommitted(data);
        if (data.StopRequested)
        {
            return Stop(next, "STOP CHANNEL");
        }

        // Secret key reset (SSLRKEYC) and REFRESH SECURITY take effect between batches: a fresh
        // handshake on a new connection gives new session keys, and nothing is in doubt here.
        // A server answering a requester is not the TLS client: the requester renews the keys.
        var keyReset = _inbound is null && Def.KeyResetBytes > 0 && data.BytesSinceKeyReset >= Def.KeyResetBytes;
        if (data.Rebind && _inbound is not null)
        {
            return Stop(next, "security refreshed");
        }

        if (keyReset || data.Rebind)
        {
            Send(next, new CloseSegment(keyReset ? "secret key reset" : "security refreshed"));
            next.Transport.Tell(Transport.Close.Instance);
            if (keyReset)
            {
                _board.Update(Def.Name, s => s with { KeyResets = s.KeyResets + 1, LastKeyReset = DateTimeOffset.UtcNow });
            }

            return GoTo(ChannelState.Starting).Using(next with { Transport = null, BytesSinceKeyReset = 0, Rebind = false });
        }

        AskForMessage(next);
        return Stay().Using(next);
    }

    /// <summary>The current connection's send queue crossed its bound (or came back within it): transmission-queue reads wait meanwhile.</summary>
    private State<ChannelState, SenderData> SendQueue(bool full)
    {
        _sendQueueFull = full;
        if (!full && _heldAsk is { } ask)
        {
            _heldAsk = null;
            _start.XmitQueue.Tell(ask);
        }

        return Stay();
    }

    /// <summary>Nothing in flight: bind again with the refreshed material now rather than at the next batch.</summary>
    private State<ChannelState, SenderData> RebindIdle(RefreshTls refresh, SenderData data)
    {
        if (_inbound is not null)
        {
            return Stop(data, "security refreshed");
        }

        _start = refresh.Senders.GetValueOrDefault(Def.Name) ?? _start;
        CancelTimer(HeartbeatTimer);
        Send(data, new CloseSegment("security refreshed"));
        data.Transport.Tell(Transport.Close.Instance);
        return GoTo(ChannelState.Starting).Using(data with { Transport = null, BytesSinceKeyReset = 0, Rebind = false });
    }
}
