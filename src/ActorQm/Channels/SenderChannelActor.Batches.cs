using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>A sending channel's batches: collected from the transmission queue, sent, recorded in doubt, committed on confirmation, up to the pipeline length unconfirmed; key reset and refresh between batches.</summary>
internal sealed partial class SenderChannelActor
{
    // FAST frames handed to the current connection and not yet written. Kept to a few write batches (not the send queue's
    // bound) so the pooled buffers they are laid out in come back to the pool and are used again instead of new ones.
    private const int FastWriteAheadBytes = 512 * 1024;
    private const string NotRefreshed = "REFRESH SECURITY: its TLS material or settings could not be built again (the queue manager's log says why), and it does not run on the old ones";
    private long _fastUnwritten;

    /// <summary>
    /// Asks for the first message of the next batch, unless one is asked for already, a batch is open, the pipeline is full
    /// (docs/protocol.md, "Pipelining") or the channel must drain first for a stop, rebind or secret key reset.
    /// </summary>
    private SenderData Next(SenderData data)
    {
        if (data.Asking || data.Batch is not null || data.InFlight.Count >= _pipeline || Draining(data))
        {
            return data;
        }

        var wait = Def.HeartbeatInterval > TimeSpan.Zero ? Def.HeartbeatInterval : Def.DisconnectInterval;
        if (Def.DisconnectInterval > TimeSpan.Zero && Def.DisconnectInterval - data.Idle < wait)
        {
            wait = Def.DisconnectInterval - data.Idle;
        }

        var options = new GetOptions { Syncpoint = true, Wait = wait > TimeSpan.Zero ? wait : Timeout.InfiniteTimeSpan };
        _start.XmitQueue.Tell(new LocalQueue.Get(options, Self));
        return data with { Asking = true };
    }

    private bool Draining(SenderData data) => data.StopRequested || data.Rebind || KeyResetDue(data);

    /// <summary>Secret key reset (SSLRKEYC) is due; a server answering a requester is not the TLS client: the requester renews the keys.</summary>
    private bool KeyResetDue(SenderData data) => _inbound is null && Def.KeyResetBytes > 0 && data.BytesSinceKeyReset >= Def.KeyResetBytes;

    /// <summary>The transmission queue stayed empty for the wait: with batches unconfirmed their confirm asks again; otherwise a heartbeat, or DISCINT ends the channel.</summary>
    private State<ChannelState, SenderData> Idle(SenderData data)
    {
        if (!data.InFlight.IsEmpty)
        {
            return Stay().Using(data);
        }

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

    /// <summary>A get between batches answered: the next batch starts, unless the pipeline filled or a drain began meanwhile (then it goes back).</summary>
    private State<ChannelState, SenderData> StartBatch(LocalQueue.MessageGot first, SenderData data) =>
        data.InFlight.Count >= _pipeline || Draining(data)
            ? Release([first.Token]).Using(data)
            : Collected(data with { Batch = new SenderBatch([], _nextSeq), Idle = TimeSpan.Zero }, [first]);

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
            if (_sendQueueFull || _fastUnwritten > FastWriteAheadBytes)
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
        var expected = 0;
        foreach (var m in got)
        {
            expected += m.Message.IsPersistent ? 0 : FrameBatch.FrameBytes(ChannelFrames.FastMessageBytes(m.Message.Payload.Length));
        }

        var frames = new FrameBatch(data.Transport!, expected, written => new FastWritten(written));
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
        _fastUnwritten += frames.Added;
        if (sent is not null)
        {
            // No reply wanted: the batch's own commit is the one this channel waits for.
            _start.XmitQueue.Tell(new LocalQueue.CommitGets(sent), ActorRefs.NoSender);
            _board.Update(Def.Name, s => s with { Messages = s.Messages + sent.Count, BytesSent = s.BytesSent + bytes });
        }

        return (stay, bytes);
    }

    /// <summary>
    /// Sends the batch's messages, then records it in doubt together with every batch still unconfirmed; the batch end goes
    /// once that record is durable.
    /// </summary>
    private State<ChannelState, SenderData> SendBatch(SenderData data)
    {
        var batch = data.Batch!;
        if (batch.Messages.Count == 0)
        {
            // Every message went outside the batch (NPMSPEED(FAST)): nothing to number, record or confirm. With nothing
            // unconfirmed this is between batches: a secret key reset, refresh or stop that is due happens now.
            var none = data with { Batch = null };
            return none.Quiet ? Between(none) : Stay().Using(Next(none));
        }

        var first = _nextSeq;
        var seq = first;
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
        _nextSeq = seq;
        var span = Diagnostics.ChannelTracing.StartBatch(_start.QMgrName, Def.Name, sender: true, first, last, batch.Messages, static m => m.Message.Payload);
        var written = batch with { LastSeq = last, SentAt = System.Diagnostics.Stopwatch.GetTimestamp(), Written = true, Span = span };
        _sync.Save(InDoubt(_sync.Get(Def.Name).LastSeq, data.InFlight.Add(written)), Self, new InDoubtRecorded(last));
        _board.Update(Def.Name, s => s with { CurrentSeq = last, InDoubt = true, BytesSent = s.BytesSent + bytes });
        return Stay().Using(data with { Batch = written, BytesSinceKeyReset = data.BytesSinceKeyReset + bytes });
    }

    /// <summary>The record of what is in doubt: the last committed number and, oldest first, every unconfirmed batch's messages, one key per sequence number.</summary>
    private ChannelSyncRecord InDoubt(long lastSeq, IEnumerable<SenderBatch> unconfirmed)
    {
        var keys = new List<long>();
        var inDoubtSeq = 0L;
        foreach (var batch in unconfirmed)
        {
            keys.AddRange(batch.Messages.Select(m => m.Cursor.Seq));
            inDoubtSeq = batch.LastSeq;
        }

        return new ChannelSyncRecord(Def.Name, lastSeq, inDoubtSeq, keys);
    }

    /// <summary>The open batch is recorded in doubt: its end goes, and with room in the pipeline the next batch is collected.</summary>
    private State<ChannelState, SenderData> EndBatch(SenderData data)
    {
        var batch = data.Batch!;
        Send(data, new BatchEnd(batch.LastSeq, batch.Messages.Count));
        // A connection that stalls (no data, no close) must not hold batches in doubt for ever: the oldest is timed.
        if (data.InFlight.IsEmpty && Def.HeartbeatInterval > TimeSpan.Zero)
        {
            SetTimer(ConfirmTimer, new ConfirmLost(batch.LastSeq), HeartbeatWait(Def.HeartbeatInterval));
        }

        return Stay().Using(Next(data with { Batch = null, InFlight = data.InFlight.Add(batch) }));
    }

    /// <summary>
    /// The receiver has the oldest unconfirmed batch (confirms come in order). Its gets' deletes and the record that no
    /// longer holds it in doubt commit in one journal transaction, so the journal never has the batch both off the
    /// transmission queue and in doubt, nor on the queue and not in doubt (docs/protocol.md, "Pipelining").
    /// </summary>
    private State<ChannelState, SenderData> Confirmed(SenderData data)
    {
        var batch = data.InFlight[0];
        var rest = data.InFlight.RemoveAt(0);
        CancelTimer(ConfirmTimer);
        if (!rest.IsEmpty && Def.HeartbeatInterval > TimeSpan.Zero)
        {
            SetTimer(ConfirmTimer, new ConfirmLost(rest[0].LastSeq), HeartbeatWait(Def.HeartbeatInterval));
        }

        Diagnostics.ChannelTracing.End(batch.Span);
        var tags = new System.Diagnostics.TagList { { "actorqm.qmgr", _start.QMgrName }, { "actorqm.channel", Def.Name } };
        Diagnostics.ActorQmMetrics.BatchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(batch.SentAt).TotalSeconds, tags);
        Diagnostics.ActorQmMetrics.BatchSize.Record(batch.Messages.Count, tags);

        var record = InDoubt(batch.LastSeq, data.Batch is { Written: true } open ? rest.Add(open) : rest);
        var parts = new List<JournalOp>(batch.Messages.Count + 1);
        parts.AddRange(batch.Messages.Where(m => m.Message.IsPersistent).Select(m => JournalOp.Delete(m.Cursor.Seq, null, null)));
        parts.Add(ChannelSyncStore.Record(record));
        _sync.Remember(record);
        _sync.Enqueue(JournalOp.Unit(parts, Self.Tell, null));
        _start.XmitQueue.Tell(new LocalQueue.CommitGets(batch.Tokens, Journaled: true), ActorRefs.NoSender);
        _board.Update(Def.Name, s => s with { LastSeq = batch.LastSeq, InDoubt = record.IsInDoubt, Messages = s.Messages + batch.Messages.Count, Batches = s.Batches + 1 });

        var next = data with { InFlight = rest };
        return next.Quiet ? Between(next) : Stay().Using(Next(next));
    }

    /// <summary>
    /// Nothing open, nothing unconfirmed. Secret key reset (SSLRKEYC) and REFRESH SECURITY take effect here: a fresh
    /// handshake on a new connection gives new session keys, and nothing is in doubt.
    /// </summary>
    private State<ChannelState, SenderData> Between(SenderData data)
    {
        if (data.StopRequested)
        {
            return Stop(data, "STOP CHANNEL");
        }

        var keyReset = KeyResetDue(data);
        if (data.Rebind && _inbound is not null)
        {
            return Stop(data, "security refreshed");
        }

        if (keyReset || data.Rebind)
        {
            Send(data, new CloseSegment(keyReset ? "secret key reset" : "security refreshed"));
            data.Transport.Tell(Transport.Close.Instance);
            if (keyReset)
            {
                _board.Update(Def.Name, s => s with { KeyResets = s.KeyResets + 1, LastKeyReset = DateTimeOffset.UtcNow });
            }

            return GoTo(ChannelState.Starting).Using(data with { Transport = null, BytesSinceKeyReset = 0, Rebind = false, Asking = false });
        }

        return Stay().Using(Next(data));
    }

    /// <summary>The open batch and the unconfirmed ones, oldest first.</summary>
    private static IEnumerable<SenderBatch> Unconfirmed(SenderData data) => data.Batch is { } open ? data.InFlight.Add(open) : data.InFlight;

    /// <summary>
    /// Every unconfirmed batch goes back to the transmission queue, in one request so its messages keep their order; the
    /// in-doubt record still holds the batches ended, and the next start settles them by the partner's number.
    /// </summary>
    private void Release(SenderData data)
    {
        var tokens = Unconfirmed(data).SelectMany(b => b.Messages.Select(m => m.Token)).ToList();
        if (tokens.Count > 0)
        {
            _start.XmitQueue.Tell(new LocalQueue.ReleaseGets(tokens));
        }

        _nextSeq = NextAfter(_sync.Get(Def.Name).LastSeq);
    }

    /// <summary>What is left once the connection is gone and the unconfirmed batches are released.</summary>
    private static SenderData Unsent(SenderData data) => data with { Transport = null, Batch = null, InFlight = [], Asking = false };

    /// <summary>The current connection's send queue crossed its bound (or came back within it): transmission-queue reads wait meanwhile.</summary>
    private State<ChannelState, SenderData> SendQueue(bool full)
    {
        _sendQueueFull = full;
        AskHeld();
        return Stay();
    }

    /// <summary>FAST frames the current connection has written: once few enough wait, the held transmission-queue read goes.</summary>
    private State<ChannelState, SenderData> Written(FastWritten written)
    {
        _fastUnwritten -= written.Bytes;
        AskHeld();
        return Stay();
    }

    private void AskHeld()
    {
        if (!_sendQueueFull && _fastUnwritten <= FastWriteAheadBytes && _heldAsk is { } ask)
        {
            _heldAsk = null;
            _start.XmitQueue.Tell(ask);
        }
    }

    /// <summary>
    /// REFRESH SECURITY while a batch may be in flight: the refreshed material is used from the next bind. A calling channel
    /// missing from the refresh (its start could not be built again, e.g. a CipherSpec the new settings do not allow) stops,
    /// after the batch when one is running, rather than bind again with what the refresh replaced.
    /// </summary>
    private State<ChannelState, SenderData> Refresh(RefreshTls refresh, SenderData data)
    {
        if (refresh.Senders.TryGetValue(Def.Name, out var start))
        {
            _start = start;
        }
        else if (_inbound is null)
        {
            return StateName == ChannelState.Running ? Stay().Using(data with { StopRequested = true }) : Stop(data, NotRefreshed);
        }

        return Stay().Using(data);
    }

    /// <summary>Nothing in flight: bind again with the refreshed material now rather than at the next batch.</summary>
    private State<ChannelState, SenderData> RebindIdle(RefreshTls refresh, SenderData data)
    {
        if (_inbound is not null)
        {
            return Stop(data, "security refreshed");
        }

        if (!refresh.Senders.TryGetValue(Def.Name, out var start))
        {
            return Stop(data, NotRefreshed);
        }

        _start = start;
        CancelTimer(HeartbeatTimer);
        Send(data, new CloseSegment("security refreshed"));
        data.Transport.Tell(Transport.Close.Instance);
        return GoTo(ChannelState.Starting).Using(data with { Transport = null, BytesSinceKeyReset = 0, Rebind = false, Asking = false });
    }

    /// <summary>The transport wrote FAST frames of this many bytes (the ack of their <see cref="Transport.SendFrames"/>).</summary>
    private sealed record FastWritten(int Bytes) : Akka.Event.IDeadLetterSuppression;
}
