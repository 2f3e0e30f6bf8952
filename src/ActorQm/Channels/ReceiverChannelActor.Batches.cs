using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>A receiving channel's batches: staged on their target queues, retried, dead-lettered, committed in one journal transaction.</summary>
internal sealed partial class ReceiverChannelActor
{
    /// <summary>
    /// Ended batches become the unit of work: their destinations are opened, then their messages staged. Batches that
    /// ended while the previous unit committed go together: one journal transaction for all of them, still in order.
    /// </summary>
    private ReceiverData Begin(IReadOnlyList<EndedBatch> ended, ReceiverData data)
    {
        var messages = ended.Count == 1 ? ended[0].Messages : ended.SelectMany(b => b.Messages).ToList();
        var last = ended[^1].End;
        var unit = new ReceiverUnit(Interlocked.Increment(ref _units), ended.Select(b => b.End).ToList(), messages)
        {
            Span = Diagnostics.ChannelTracing.StartBatch(_qmgr, data.Definition!.Name, sender: false, messages.Count > 0 ? messages[0].Seq : last.LastSeq, last.LastSeq, messages, static m => m.XmitMessage),
        };
        Resolve(unit, data);
        return data with { Unit = unit };
    }

    /// <summary>Opens (once per session) every destination of the batch, and the dead-letter queue.</summary>
    private void Resolve(ReceiverUnit unit, ReceiverData data)
    {
        var keys = new HashSet<Target>();
        foreach (var m in unit.Messages)
        {
            var (header, message) = Unwrap(m.XmitMessage);
            if (header is not null)
            {
                keys.Add(TargetOf(header, message!, data));
            }
        }

        if (data.DeadQ.Length > 0)
        {
            keys.Add(Target.DeadLetter(data.DeadQ));
        }

        // What is open already is fixed for this batch now: a later trim of the cache does not take it away.
        var known = keys.Where(_handles.ContainsKey).ToDictionary(k => k, k => _handles[k]);
        var missing = keys.Where(k => !known.ContainsKey(k)).ToList();
        if (missing.Count == 0)
        {
            // Every destination is open from an earlier batch: stage now, without a round trip.
            Self.Tell(new Resolved(unit.Id, known));
            return;
        }

        // PUTAUT: targets are opened as the channel's principal (docs/security.md, "Message channels: PUTAUT");
        // the dead-letter queue as the queue manager, so what may not be put still has somewhere to go.
        var principal = data.Principal;
        var deadQ = Target.DeadLetter(data.DeadQ);
        var asks = missing.Select(k => _queueManager.Ask<object>(OpenForReceiver(k, k == deadQ ? null : principal, Self), TimeSpan.FromSeconds(30))).ToArray();
        Task.WhenAll(asks).ContinueWith(t =>
        {
            var all = new Dictionary<Target, object>(known);
            if (t.IsCompletedSuccessfully)
            {
                foreach (var (key, reply) in missing.Zip(t.Result))
                {
                    all[key] = reply;
                }
            }

            return new Resolved(unit.Id, all);
        }, TaskScheduler.Default).PipeTo(Self);
    }

    private State<ChannelState, ReceiverData> Stage(Resolved resolved, ReceiverData data)
    {
        foreach (var (key, reply) in resolved.Handles)
        {
            _handles[key] = reply;
        }

        if (data.Unit is not { } unit || unit.Id != resolved.UnitId)
        {
            TrimTargets(data, data.Unit?.Targets.Keys ?? Enumerable.Empty<Target>());
            return Stay();
        }

        unit.Targets = resolved.Handles;
        TrimTargets(data, unit.Targets.Keys);

        // One message per target queue for the whole batch, not one per message.
        var byQueue = new Dictionary<IActorRef, List<LocalQueue.StagePut>>();
        for (var i = 0; i < unit.Messages.Count; i++)
        {
            if (Prepare(unit, i, data) is { } put)
            {
                if (!byQueue.TryGetValue(put.Queue, out var puts))
                {
                    byQueue[put.Queue] = puts = [];
                }

                puts.Add(put.Put);
            }
        }

        foreach (var (queue, puts) in byQueue)
        {
            queue.Tell(new LocalQueue.StagePuts(puts));
        }

        return Settle(data, unit.Id);
    }

    private void StageOne(ReceiverUnit unit, int index, ReceiverData data)
    {
        if (Prepare(unit, index, data) is { } put)
        {
            put.Queue.Tell(put.Put);
        }
    }

    /// <summary>The put of one batch message to its target queue, counted as outstanding; null when it is rejected already.</summary>
    private (IActorRef Queue, LocalQueue.StagePut Put)? Prepare(ReceiverUnit unit, int index, ReceiverData data)
    {
        var (header, message) = Unwrap(unit.Messages[index].XmitMessage);
        if (header is null)
        {
            unit.Rejected[index] = (MqReason.UnexpectedError, "the message has no valid MQXQH");
            return null;
        }

        var opened = unit.Targets.GetValueOrDefault(TargetOf(header, message!, data));
        var (put, rejected) = opened is Mqi.QueueManagerApi.QueueOpened o
            ? o.Handle.PreparePut(message!, data.Definition!.Name)
            : (null, new LocalQueue.PutRejected(opened is Mqi.QueueManagerApi.OpenRejected r ? r.Reason : MqReason.UnknownObjectName, opened is Mqi.QueueManagerApi.OpenRejected r2 ? r2.Detail : $"{header.RemoteQName} could not be opened"));
        if (put is null)
        {
            unit.Rejected[index] = (rejected!.Reason, rejected.Detail);
            return null;
        }

        var queue = ((Mqi.QueueManagerApi.QueueOpened)opened!).Handle.Queue;
        unit.Outstanding++;
        unit.Queues.Add(queue);
        return (queue, new LocalQueue.StagePut(put.Message, put.PutApplName, unit.Id, index, Self));
    }

    private State<ChannelState, ReceiverData> AnsweredAll(ReceiverData data, LocalQueue.PutsStaged staged)
    {
        foreach (var answer in staged.Answers)
        {
            switch (answer)
            {
                case LocalQueue.PutStaged p when data.Unit is { } unit && unit.Id == p.UnitId:
                    if (p.Insert is { } insert)
                    {
                        unit.Inserts.Add(insert);
                    }

                    unit.Outstanding--;
                    break;
                case LocalQueue.StagedPutRejected r when data.Unit is { } unit && unit.Id == r.UnitId:
                    unit.Rejected[r.Index] = (r.Reason, r.Detail);
                    unit.Outstanding--;
                    break;
            }
        }

        return data.Unit is { } current ? Settle(data, current.Id) : Stay();
    }

    private State<ChannelState, ReceiverData> Answered(ReceiverData data, long unitId, Action<ReceiverUnit> record)
    {
        if (data.Unit is not { } unit || unit.Id != unitId)
        {
            return Stay();
        }

        record(unit);
        unit.Outstanding--;
        return Settle(data, unitId);
    }

    /// <summary>When every staging answer is in: commits, retries, dead-letters or gives up.</summary>
    private State<ChannelState, ReceiverData> Settle(ReceiverData data, long unitId)
    {
        if (data.Unit is not { } unit || unit.Id != unitId || unit.Outstanding > 0)
        {
            return Stay();
        }

        if (unit.Rejected.Count == 0)
        {
            var def = data.Definition!;
            var parts = new List<JournalOp>(unit.Inserts) { ChannelSyncStore.Record(new ChannelSyncRecord(def.Name, unit.End.LastSeq, 0, [])) };
            unit.Committing = true;
            _sync.Enqueue(JournalOp.Unit(parts, Self.Tell, new UnitCommitted(unit.Id)));
            return Stay();
        }

        var transient = unit.Rejected.Values.All(r => r.Reason is MqReason.QFull or MqReason.PutInhibited);
        if (transient && unit.Retries < data.Definition!.MessageRetries)
        {
            unit.Retries++;
            SetTimer(MessageRetryTimer, RetryMessages.Instance, data.Definition.MessageRetryTimer);
            return GoTo(ChannelState.Paused);
        }

        return DeadLetter(unit, data);
    }

    private ReceiverData StageRejected(ReceiverData data)
    {
        var unit = data.Unit!;
        var retry = unit.Rejected.Keys.ToList();
        unit.Rejected.Clear();
        foreach (var index in retry)
        {
            StageOne(unit, index, data);
        }

        Self.Tell(new CheckUnit(unit.Id));
        return data;
    }

    private State<ChannelState, ReceiverData> DeadLetter(ReceiverUnit unit, ReceiverData data)
    {
        var def = data.Definition!;
        if (!def.UseDeadLetterQueue || unit.Targets.GetValueOrDefault(Target.DeadLetter(data.DeadQ)) is not Mqi.QueueManagerApi.QueueOpened dlq || unit.Rejected.Keys.Any(unit.DeadLettered.ContainsKey))
        {
            var (index, (reason, detail)) = unit.Rejected.First();
            return Abandon(data, "AMQ9544E", $"message {unit.Messages[index].Seq} could not be put to its destination ({detail}, MQRC {(int)reason}) and {(def.UseDeadLetterQueue ? "the dead-letter queue is unavailable" : "USEDLQ(NO)")}; the batch stays on the sender's transmission queue");
        }

        foreach (var (index, (reason, _)) in unit.Rejected.ToList())
        {
            var (header, message) = Unwrap(unit.Messages[index].XmitMessage);
            var wrapped = DeadLetterHeader.Wrap(message!, (int)reason, header!.RemoteQName, header.RemoteQMgrName, def.Name, DateTimeOffset.UtcNow);
            _log.Warning("AMQ9544W: channel {0}: message {1} for {2} put to the dead-letter queue {3} (MQRC {4}).", def.Name, unit.Messages[index].Seq, header.RemoteQName, data.DeadQ, (int)reason);
            unit.DeadLettered[index] = (header.RemoteQName, unit.Targets.GetValueOrDefault(TargetOf(header, message!, data)) is Mqi.QueueManagerApi.QueueOpened, reason);
            unit.Rejected.Remove(index);
            unit.Outstanding++;
            unit.Queues.Add(dlq.Handle.Queue);
            dlq.Handle.Queue.Tell(new LocalQueue.StagePut(wrapped, def.Name, unit.Id, index, Self));
        }

        return Stay();
    }

    /// <summary>The batch is durable: its messages become visible and the new sequence number is the one to report.</summary>
    private ReceiverData FinishUnit(UnitCommitted committed, ReceiverData data)
    {
        if (data.Unit is not { } unit || unit.Id != committed.UnitId)
        {
            return data;
        }

        foreach (var queue in unit.Queues)
        {
            queue.Tell(new LocalQueue.CommitStaged(unit.Id));
        }

        _sync.Remember(new ChannelSyncRecord(data.Definition!.Name, unit.End.LastSeq, 0, []));
        // Counted once committed: a batch that backs out and comes again must not count its dead letters twice.
        foreach (var (destination, resolved, reason) in unit.DeadLettered.Values)
        {
            Diagnostics.ActorQmMetrics.RecordDeadLettered(_qmgr, destination, resolved, (int)reason);
        }

        return data with { Unit = null, LastSeq = unit.End.LastSeq };
    }

    private State<ChannelState, ReceiverData> Confirmed(UnitCommitted committed, ReceiverData data)
    {
        if (data.Unit is not { } unit || unit.Id != committed.UnitId)
        {
            return Stay();
        }

        var next = FinishUnit(committed, data);
        foreach (var end in unit.Ends)
        {
            Send(data, new Confirm(end.LastSeq));
        }

        Diagnostics.ChannelTracing.End(unit.Span);
        unit.Span = null;
        var bytes = unit.Messages.Sum(m => (long)m.XmitMessage.Length);
        _board.Update(data.Definition!.Name, s => s with
        {
            LastSeq = unit.End.LastSeq,
            CurrentSeq = unit.End.LastSeq,
            Messages = s.Messages + unit.Messages.Count,
            Batches = s.Batches + unit.Ends.Count,
            BytesReceived = s.BytesReceived + bytes,
        });
        if (data.StopRequested)
        {
            return Close(next, null, "STOP CHANNEL");
        }

        // The batches a pipelining sender ended meanwhile commit now, after this unit: the order of the numbers.
        return next.Waiting.IsEmpty ? Stay().Using(next) : Stay().Using(Begin(next.Waiting, next with { Waiting = [] }));
    }

    /// <summary>The batch cannot be delivered: nothing of it stays, and the sender keeps it on its transmission queue.</summary>
    private State<ChannelState, ReceiverData> Abandon(ReceiverData data, string code, string detail, MqReason reason = MqReason.UnexpectedError)
    {
        if (data.Unit is { } unit)
        {
            foreach (var queue in unit.Queues)
            {
                queue.Tell(new LocalQueue.BackoutStaged(unit.Id));
            }

            Diagnostics.ChannelTracing.End(unit.Span, $"{code}: {detail}");
        }

        return Close(data with { Unit = null }, code, detail, reason);
    }

    /// <summary>The journal could not write the batch: the sender keeps it and learns why (2192 when the disk is full).</summary>
    private State<ChannelState, ReceiverData> NotDurable(ReceiverData data, JournalWriteFailed failed) =>
        failed.StorageFull
            ? Abandon(data, "AMQ7080E", $"the batch could not be made durable: the queue manager's storage is full (MQRC 2192): {failed.Reason}", MqReason.StorageMediumFull)
            : Abandon(data, "AMQ7080E", $"the batch could not be made durable (MQRC 2102): {failed.Reason}", MqReason.ResourceProblem);

    /// <summary>
    /// A receiver opens with set-all-context: it puts the messages with the context they came with. Under PUTAUT(CTX) or
    /// (ALTMCA) it opens for the message's user as alternate user: the channel's principal needs SETALL and ALTUSR, the
    /// message's user PUT (MQ's rule); otherwise the channel's principal needs PUT and SETALL.
    /// </summary>
    private static Mqi.QueueManagerApi.OpenQueue OpenForReceiver(Target target, Authority.Principal? principal, IActorRef holder) =>
        new(target.Queue, MqOpenOptions.Output | MqOpenOptions.SetAllContext | (target.User is null ? MqOpenOptions.None : MqOpenOptions.AlternateUserAuthority),
            target.QMgr.Length == 0 ? null : target.QMgr, principal)
        {
            AlternateUserId = target.User ?? string.Empty,
            AlternateUserFromPartner = target.User is not null,
            // The agent keeps its targets open for its session, as MQ's MCA does: they count as OPPROCS until it stops.
            Holder = holder,
        };

    /// <summary>
    /// The partner names the destinations (and under PUTAUT(CTX) the users): past <see cref="MaxOpenTargets"/> the cached
    /// opens are closed and forgotten, except those in use and the dead-letter queue, and are opened again when next needed.
    /// </summary>
    private void TrimTargets(ReceiverData data, IEnumerable<Target> keep)
    {
        if (_handles.Count <= MaxOpenTargets)
        {
            return;
        }

        var kept = keep.Append(Target.DeadLetter(data.DeadQ)).ToHashSet();
        foreach (var (key, reply) in _handles.Where(h => !kept.Contains(h.Key)).ToList())
        {
            if (reply is Mqi.QueueManagerApi.QueueOpened opened)
            {
                _queueManager.Tell(new Mqi.QueueManagerApi.CloseQueue(opened.Handle.OpenId));
            }

            _handles.Remove(key);
        }
    }

    private static Target TargetOf(TransmissionHeader header, MqMessage message, ReceiverData data) =>
        new(header.RemoteQName, header.RemoteQMgrName, data.Definition!.PutAuthority.ChecksMessageUser() ? message.Descriptor.UserIdentifier.TrimEnd() : null);

    /// <summary>A destination as a receiver opens it: the queue and queue manager its MQXQH names, and the message's user where PUTAUT checks it.</summary>
    internal readonly record struct Target(string Queue, string QMgr, string? User)
    {
        public static Target DeadLetter(string deadQ) => new(deadQ, string.Empty, null);
    }
}
