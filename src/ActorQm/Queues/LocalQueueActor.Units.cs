using ActorQm.Store;
using Akka.Actor;
using static ActorQm.Queues.LocalQueue;

namespace ActorQm.Queues;

/// <summary>
/// The parts of a queue a message channel uses: puts staged for a batch that become visible only
/// when the batch commits, gets taken in batches under syncpoint, and committed, released or
/// discarded together with one journal transaction.
/// </summary>
internal sealed partial class LocalQueueActor
{
    private readonly Dictionary<long, List<StoredMessage>> _staged = new();
    private readonly Dictionary<long, IActorRef> _owners = new();
    private readonly Dictionary<long, IActorRef> _stagedOwners = new();
    private int _stagedCount;

    /// <summary>Whoever took a message under syncpoint or staged a unit: if it ends first, its work is backed out (as MQ does for a connection that ends).</summary>
    private void Own(long key, IActorRef owner, bool staged = false)
    {
        (staged ? _stagedOwners : _owners)[key] = owner;
        Context.Watch(owner);
    }

    private void ReleaseOwnedBy(IActorRef dead)
    {
        foreach (var token in _owners.Where(o => o.Value.Equals(dead)).Select(o => o.Key).ToList())
        {
            _owners.Remove(token);
            if (_uncommitted.ContainsKey(token))
            {
                HandleBackout(new BackoutGet(token));
            }
        }

        foreach (var unit in _stagedOwners.Where(o => o.Value.Equals(dead)).Select(o => o.Key).ToList())
        {
            DropStaged(unit);
        }
    }

    private void DropStaged(long unit)
    {
        _stagedOwners.Remove(unit);
        if (_staged.Remove(unit, out var list))
        {
            _stagedCount -= list.Count;
            Publish();
        }
    }

    private void ReceiveUnits()
    {
        Receive<StagePut>(put => Sender.Tell(Stage(put)));
        Receive<StagePuts>(puts => Sender.Tell(new PutsStaged(puts.Puts.Select(Stage).ToList())));
        Receive<CommitStaged>(c =>
        {
            _stagedOwners.Remove(c.UnitId);
            if (_staged.Remove(c.UnitId, out var list))
            {
                _stagedCount -= list.Count;
                _counters.Added(list.Count);
                foreach (var m in list)
                {
                    if (_notYetVisible.Count == 0)
                    {
                        Offer(m);
                    }
                    else
                    {
                        _notYetVisible.AddLast((m, true));
                    }
                }

                Publish();
            }
        });
        Receive<BackoutStaged>(b => DropStaged(b.UnitId));
        Receive<GetBatch>(HandleGetBatch);
        Receive<CommitGets>(HandleCommitGets);
        Receive<PrepareGetDeletes>(p => Sender.Tell(new GetDeletesPrepared(p.Tokens
            .Select(t => _uncommitted.GetValueOrDefault(t))
            .Where(m => m is { IsPersistent: true })
            .Select(m => JournalOp.Delete(m!.Seq, null, null))
            .ToList())));
        Receive<ReleaseGets>(r =>
        {
            foreach (var token in r.Tokens)
            {
                _owners.Remove(token);
                if (_uncommitted.Remove(token, out var m))
                {
                    m.Locked = false;
                    _buckets.Remove(m);
                    Offer(m.Requeued());
                }
            }

            Publish();
            Sender.Tell(new GetsReleased(r.Tokens.Count));
        });
        Receive<Discard>(HandleDiscard);
        Receive<UnitDone>(d => d.ReplyTo.Tell(d.Reply));
    }

    /// <returns><see cref="PutStaged"/> or <see cref="StagedPutRejected"/>.</returns>
    private object Stage(StagePut put)
    {
        var (stored, rejected) = Admit(put.Message, put.PutApplName);
        if (stored is null)
        {
            return new StagedPutRejected(put.UnitId, put.Index, rejected!.Reason, rejected.Detail);
        }

        if (!_staged.TryGetValue(put.UnitId, out var list))
        {
            _staged[put.UnitId] = list = [];
            if (put.Owner is { } owner)
            {
                Own(put.UnitId, owner, staged: true);
            }
        }

        list.Add(stored);
        _stagedCount++;
        Publish();
        return new PutStaged(put.UnitId, put.Index, stored.IsPersistent ? JournalOp.Insert(_definition.Name, stored, null, null) : null, stored.Message.Descriptor);
    }

    private void HandleGetBatch(GetBatch get)
    {
        var taken = new List<MessageGot>(Math.Min(get.Max, 64));
        var cursor = BrowseCursor.Start;
        long bytes = 0;
        if (_definition.GetEnabled)
        {
            while (taken.Count < get.Max && bytes < get.MaxBytes)
            {
                var m = _buckets.First(cursor, static (_, _) => true, 0, NowMs(), _onExpired);
                if (m is null)
                {
                    break;
                }

                cursor = new BrowseCursor(m.Priority, m.Seq);
                bytes += m.Message.Payload.Length;
                taken.Add(Lock(m, get.Owner));
            }
        }

        Publish();
        Sender.Tell(new BatchGot(taken));
    }

    private void HandleCommitGets(CommitGets commit)
    {
        var deletes = new List<JournalOp>();
        foreach (var token in commit.Tokens)
        {
            _owners.Remove(token);
            if (_uncommitted.Remove(token, out var m))
            {
                _buckets.Remove(m);
                _counters.Removed(1);
                if (m.IsPersistent && !commit.Journaled)
                {
                    deletes.Add(JournalOp.Delete(m.Seq, null, null));
                }
            }
        }

        Publish();
        Durably(deletes, new GetsCommitted(commit.Tokens.Count));
    }

    private void HandleDiscard(Discard discard)
    {
        var wanted = discard.Seqs.ToHashSet();
        var deletes = new List<JournalOp>();
        var removed = 0;
        foreach (var m in _buckets.All().Where(m => wanted.Contains(m.Seq) && !m.Locked).ToList())
        {
            _buckets.Remove(m);
            _counters.Removed(1);
            removed++;
            if (m.IsPersistent)
            {
                deletes.Add(JournalOp.Delete(m.Seq, null, null));
            }
        }

        Publish();
        Durably(deletes, new Discarded(removed));
    }

    /// <summary>Answers once every write is durable, in one transaction; at once when there is none.</summary>
    private void Durably(List<JournalOp> writes, object reply)
    {
        if (writes.Count == 0)
        {
            Sender.Tell(reply);
            return;
        }

        _journal!.Enqueue(JournalOp.Unit(writes, Self.Tell, new UnitDone(Sender, reply)));
    }

    private sealed record UnitDone(IActorRef ReplyTo, object Reply);
}
