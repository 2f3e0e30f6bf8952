using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Store;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Queues.LocalQueue;

namespace ActorQm.Queues;

/// <summary>
/// One local queue (normal or transmission). Owns its messages in delivery order, serves gets
/// with wait, browse, match and syncpoint, and makes persistent puts and gets durable through
/// the queue manager's journal before it answers.
/// </summary>
internal sealed partial class LocalQueueActor : ReceiveActor, IWithTimers
{
    private const string ExpiryTimer = "expiry-sweep";

    private readonly string _qmgr;
    private readonly QueueManagerSettings _settings;
    private readonly MessageJournal? _journal;
    private readonly QueueCounters _counters;
    private readonly MessageBuckets _buckets = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Dictionary<long, StoredMessage> _uncommitted = new();
    private readonly Action<StoredMessage> _onExpired;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private LocalQueueDefinition _definition;
    // Messages put but not yet visible, in put order: persistent ones wait for their sync, and a
    // non-persistent one put after them waits too, so getters see FIFO within a priority.
    private readonly LinkedList<(StoredMessage Message, bool Ready)> _notYetVisible = new();
    private long _nextToken;
    private long _nextWaiterId;
    private long _localSeq;

    public LocalQueueActor(string qmgr, LocalQueueDefinition definition, QueueManagerSettings settings, MessageJournal? journal, IReadOnlyList<StoredMessage> recovered, QueueCounters counters)
    {
        _qmgr = qmgr;
        _definition = definition;
        _settings = settings;
        _journal = journal;
        _counters = counters;
        _onExpired = Expired;

        var now = NowMs();
        foreach (var m in recovered)
        {
            if (m.IsExpired(now))
            {
                Expired(m);
            }
            else
            {
                _buckets.Add(m);
            }
        }

        Publish();

        Receive<Put>(HandlePut);
        Receive<PutMany>(HandlePutMany);
        Receive<Persisted>(p =>
        {
            MarkReady(p.Message);
            p.ReplyTo.Tell(new MessagePut(p.Message.Message.Descriptor));
        });
        Receive<Get>(HandleGet);
        Receive<Deleted>(d => d.ReplyTo.Tell(d.Reply));
        Receive<CommitGet>(HandleCommit);
        Receive<BackoutGet>(HandleBackout);
        Receive<WaitExpired>(HandleWaitExpired);
        Receive<Terminated>(t =>
        {
            for (var node = _waiters.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.ReplyTo.Equals(t.ActorRef))
                {
                    Timers.Cancel(node.Value.Id);
                    _waiters.Remove(node);
                }

                node = next;
            }

            Publish();

            ReleaseOwnedBy(t.ActorRef);
        });
        Receive<JournalWriteFailed>(HandleJournalFailure);
        Receive<SweepExpired>(_ => _buckets.SweepExpired(NowMs(), _onExpired));
        Receive<UpdateDefinition>(u => _definition = u.Definition);
        Receive<ClearQueue>(_ => HandleClear());
        Receive<DeleteQueue>(_ => HandleDelete());
        ReceiveUnits();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        Timers.StartPeriodicTimer(ExpiryTimer, SweepExpired.Instance, _settings.ExpiryInterval);

    private void HandlePut(Put put)
    {
        var (stored, rejected) = Admit(put.Message, put.PutApplName);
        if (stored is null)
        {
            Sender.Tell(rejected);
            return;
        }

        _counters.Added(1);
        if (stored.IsPersistent)
        {
            _notYetVisible.AddLast((stored, false));
            _journal!.Enqueue(JournalOp.Insert(_definition.Name, stored, Self.Tell, new Persisted(stored, Sender)));
            return;
        }

        if (_notYetVisible.Count == 0)
        {
            Offer(stored);
        }
        else
        {
            _notYetVisible.AddLast((stored, true));
            Publish();
        }

        Sender.Tell(new MessagePut(stored.Message.Descriptor));
    }

    private void HandlePutMany(PutMany many)
    {
        List<(int, PutRejected)>? refused = null;
        for (var i = 0; i < many.Puts.Count; i++)
        {
            var put = many.Puts[i];
            var (stored, rejected) = Admit(put.Message, put.PutApplName);
            if (stored is { IsPersistent: true })
            {
                (stored, rejected) = (null, new PutRejected(MqReason.UnexpectedError, "a persistent message cannot be put in a batch of non-persistent puts"));
            }

            if (stored is null)
            {
                (refused ??= []).Add((i, rejected!));
                continue;
            }

            _counters.Added(1);
            if (_notYetVisible.Count == 0)
            {
                Offer(stored);
            }
            else
            {
                _notYetVisible.AddLast((stored, true));
            }
        }

        Publish();
        Sender.Tell(new PutsDone(many.Puts.Count, (IReadOnlyList<(int, PutRejected)>?)refused ?? []));
    }

    /// <summary>The checks of MQPUT against this queue; on success the message as it will be stored.</summary>
    private (StoredMessage? Stored, PutRejected? Rejected) Admit(MqMessage message, string putApplName)
    {
        if (!_definition.PutEnabled)
        {
            return (null, new PutRejected(MqReason.PutInhibited, $"Queue {_definition.Name} is PUT(DISABLED)."));
        }

        var length = message.Payload.Length;
        if (length > _definition.MaxMessageLength)
        {
            return (null, new PutRejected(MqReason.MsgTooBigForQ, $"{length} bytes exceeds MAXMSGL({_definition.MaxMessageLength}) of {_definition.Name}."));
        }

        if (_buckets.Count + _notYetVisible.Count + _stagedCount >= _definition.MaxDepth)
        {
            return (null, new PutRejected(MqReason.QFull, $"Queue {_definition.Name} is at MAXDEPTH({_definition.MaxDepth})."));
        }

        var now = DateTimeOffset.UtcNow;
        var (prepared, reason, detail) = PutPreparation.Prepare(message, _definition.DefaultPersistent, _definition.DefaultPriority, putApplName, now);
        if (prepared is null)
        {
            return (null, new PutRejected(reason, detail));
        }

        var expiresAt = prepared.Descriptor.Expiry == MessageDescriptor.Unlimited
            ? StoredMessage.NeverExpires
            : now.ToUnixTimeMilliseconds() + (prepared.Descriptor.Expiry * 100L);
        if (prepared.IsPersistent && _journal is null)
        {
            return (null, new PutRejected(MqReason.PersistentNotAllowed, $"Queue {_definition.Name} has no journal."));
        }

        return (new StoredMessage(_journal?.NextSeq() ?? ++_localSeq, prepared, expiresAt), null);
    }

    /// <summary>A persistent put is durable (or has failed): release every message ahead of the first still syncing.</summary>
    private void MarkReady(StoredMessage message, bool failed = false)
    {
        for (var node = _notYetVisible.First; node is not null; node = node.Next)
        {
            if (ReferenceEquals(node.Value.Message, message))
            {
                if (failed)
                {
                    _notYetVisible.Remove(node);
                }
                else
                {
                    node.Value = (message, true);
                }

                break;
            }
        }

        while (_notYetVisible.First is { Value.Ready: true } head)
        {
            _notYetVisible.RemoveFirst();
            Offer(head.Value.Message);
        }

        Publish();
    }

    private void HandleGet(Get get)
    {
        if (!_definition.GetEnabled)
        {
            Sender.Tell(new GetRejected(MqReason.GetInhibited, $"Queue {_definition.Name} is GET(DISABLED)."));
            return;
        }

        var options = get.Options;
        var found = _buckets.First(options.BrowseAfter ?? BrowseCursor.Start, static (m, o) => o.Matches(m.Message.Descriptor), options, NowMs(), _onExpired);
        if (found is not null)
        {
            Serve(Sender, options, found, get.Owner);
        }
        else if (options.Wait > TimeSpan.Zero || options.Wait == Timeout.InfiniteTimeSpan)
        {
            var waiter = new Waiter(++_nextWaiterId, Sender, options, get.Owner);
            _waiters.AddLast(waiter);
            Publish();
            // A requester that dies while it waits (an Ask that gave up, a closed connection) must not
            // be handed a message: it would be taken off the queue and lost.
            Context.Watch(Sender);
            if (options.Wait != Timeout.InfiniteTimeSpan)
            {
                Timers.StartSingleTimer(waiter.Id, new WaitExpired(waiter.Id), options.Wait);
            }
        }
        else
        {
            Sender.Tell(new GetRejected(MqReason.NoMsgAvailable, $"No matching message on {_definition.Name}."));
        }

        Publish();
    }

    private void Serve(IActorRef replyTo, GetOptions options, StoredMessage m, IActorRef? owner)
    {
        if (options.BrowseAfter is not null)
        {
            replyTo.Tell(new MessageGot(Snapshot(m), 0, new BrowseCursor(m.Priority, m.Seq)));
        }
        else if (options.Syncpoint)
        {
            replyTo.Tell(Lock(m, owner));
        }
        else
        {
            _buckets.Remove(m);
            _counters.Removed(1);
            var reply = new MessageGot(Snapshot(m), 0, default);
            if (m.IsPersistent)
            {
                _journal!.Enqueue(JournalOp.Delete(m.Seq, Self.Tell, new Deleted(m, replyTo, reply)));
            }
            else
            {
                replyTo.Tell(reply);
            }
        }

        Publish();
    }

    /// <summary>
    /// Takes a message under syncpoint for <paramref name="owner"/>, whose end backs it out; the
    /// cursor names it (its journal key) for a channel's in-doubt record.
    /// </summary>
    private MessageGot Lock(StoredMessage m, IActorRef? owner)
    {
        m.Locked = true;
        var token = ++_nextToken;
        _uncommitted[token] = m;
        if (owner is not null)
        {
            Own(token, owner);
        }

        return new MessageGot(Snapshot(m), token, new BrowseCursor(m.Priority, m.Seq));
    }

    /// <summary>A message became available: hand it to the first waiter it matches, else queue it.</summary>
    private void Offer(StoredMessage m)
    {
        _buckets.Add(m);
        if (_buckets.Count == 1 && _waiters.Count == 0 && _definition.TriggerFirst)
        {
            // TRIGTYPE(FIRST): the queue went from empty to holding a message nobody waits for.
            Context.Parent.Tell(new TriggerFired(_definition.Name, _definition.TriggerData));
        }

        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            var w = node.Value;
            if (w.Options.Matches(m.Message.Descriptor) && IsAfter(m, w.Options.BrowseAfter))
            {
                _waiters.Remove(node);
                Timers.Cancel(w.Id);
                Serve(w.ReplyTo, w.Options, m, w.Owner);
                if (w.Options.BrowseAfter is null)
                {
                    break;
                }
            }

            node = next;
        }

        Publish();
    }

    private static bool IsAfter(StoredMessage m, BrowseCursor? cursor) =>
        cursor is not { } c || m.Priority < c.Priority || (m.Priority == c.Priority && m.Seq > c.Seq);

    private void HandleCommit(CommitGet commit)
    {
        _owners.Remove(commit.Token);
        if (!_uncommitted.Remove(commit.Token, out var m))
        {
            Sender.Tell(new GetRejected(MqReason.UnexpectedError, $"No uncommitted get {commit.Token} on {_definition.Name}."));
            return;
        }

        _buckets.Remove(m);
        _counters.Removed(1);
        if (m.IsPersistent)
        {
            _journal!.Enqueue(JournalOp.Delete(m.Seq, Self.Tell, new Deleted(m, Sender, new GetCommitted(commit.Token))));
        }
        else
        {
            Sender.Tell(new GetCommitted(commit.Token));
        }

        Publish();
    }

    private void HandleBackout(BackoutGet backout)
    {
        _owners.Remove(backout.Token);
        if (!_uncommitted.Remove(backout.Token, out var m))
        {
            Sender.Tell(new GetRejected(MqReason.UnexpectedError, $"No uncommitted get {backout.Token} on {_definition.Name}."));
            return;
        }

        var count = m.Message.Descriptor.BackoutCount + 1;
        m.Message = m.Message with { Descriptor = m.Message.Descriptor with { BackoutCount = count } };
        m.Locked = false;
        var reply = new GetBackedOut(backout.Token, count);
        if (m.IsPersistent)
        {
            // The backout count is hardened so a redelivered poison message is still recognised after a restart.
            _journal!.Enqueue(JournalOp.Backout(m.Seq, count, Self.Tell, new Deleted(m, Sender, reply)));
        }
        else
        {
            Sender.Tell(reply);
        }

        _buckets.Remove(m);
        Offer(m.Requeued());
    }

    private void HandleWaitExpired(WaitExpired expired)
    {
        for (var node = _waiters.First; node is not null; node = node.Next)
        {
            if (node.Value.Id == expired.WaiterId)
            {
                _waiters.Remove(node);
                Publish();
                node.Value.ReplyTo.Tell(new GetRejected(MqReason.NoMsgAvailable, $"No matching message on {_definition.Name} within the wait interval."));
                return;
            }
        }
    }

    private void Publish() => _counters.Set(_buckets.Count + _notYetVisible.Count, _uncommitted.Count, _waiters.Count);

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private sealed record Waiter(long Id, IActorRef ReplyTo, GetOptions Options, IActorRef? Owner);

    private sealed record Persisted(StoredMessage Message, IActorRef ReplyTo);

    /// <summary>A durable removal or update is done; <see cref="Reply"/> goes to <see cref="ReplyTo"/>.</summary>
    private sealed record Deleted(StoredMessage Message, IActorRef ReplyTo, object Reply);

    private sealed record WaitExpired(long WaiterId);

    private sealed record SweepExpired
    {
        public static readonly SweepExpired Instance = new();
    }
}
