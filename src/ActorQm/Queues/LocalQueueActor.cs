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

    private void Publish() => _counters.Set(_buckets.Count + _notYetVisible.Count, _uncommitted.Count, _waiters.Count);

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private sealed record Waiter(long Id, IActorRef ReplyTo, GetOptions Options, IActorRef? Owner, long Call);

    private sealed record Persisted(StoredMessage Message, IActorRef ReplyTo);

    /// <summary>A durable removal or update is done; <see cref="Reply"/> goes to <see cref="ReplyTo"/>.</summary>
    private sealed record Deleted(StoredMessage Message, IActorRef ReplyTo, object Reply);

    private sealed record WaitExpired(long WaiterId);

    private sealed record SweepExpired
    {
        public static readonly SweepExpired Instance = new();
    }
}
