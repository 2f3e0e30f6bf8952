using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Store;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Queues.LocalQueue;

namespace ActorQm.Queues;

/// <summary>
/// The get side of a local queue: gets served at once or held as waiters until a message comes or the wait ends,
/// messages locked for a unit of work until its commit or backout, and browse cursors (docs/persistence.md).
/// </summary>
internal sealed partial class LocalQueueActor
{
    private void HandleGet(Get get)
    {
        if (!_definition.GetEnabled)
        {
            Sender.Tell(new GetRejected(MqReason.GetInhibited, $"Queue {_definition.Name} is GET(DISABLED).") { Call = get.Call });
            return;
        }

        var options = get.Options;
        var found = _buckets.First(options.BrowseAfter ?? BrowseCursor.Start, static (m, o) => o.Matches(m.Message.Descriptor), options, NowMs(), _onExpired);
        if (found is not null)
        {
            Serve(Sender, options, found, get.Owner, get.Call);
        }
        else if (options.Wait > TimeSpan.Zero || options.Wait == Timeout.InfiniteTimeSpan)
        {
            var waiter = new Waiter(++_nextWaiterId, Sender, options, get.Owner, get.Call);
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
            Sender.Tell(new GetRejected(MqReason.NoMsgAvailable, $"No matching message on {_definition.Name}.") { Call = get.Call });
        }

        Publish();
    }

    private void Serve(IActorRef replyTo, GetOptions options, StoredMessage m, IActorRef? owner, long call)
    {
        if (options.BrowseAfter is not null)
        {
            replyTo.Tell(new MessageGot(Snapshot(m), 0, new BrowseCursor(m.Priority, m.Seq)) { Call = call });
        }
        else if (options.Syncpoint)
        {
            replyTo.Tell(Lock(m, owner, call));
        }
        else
        {
            _buckets.Remove(m);
            _counters.Removed(1);
            var reply = new MessageGot(Snapshot(m), 0, default) { Call = call };
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
    private MessageGot Lock(StoredMessage m, IActorRef? owner, long call = 0)
    {
        m.Locked = true;
        var token = ++_nextToken;
        _uncommitted[token] = m;
        if (owner is not null)
        {
            Own(token, owner);
        }

        return new MessageGot(Snapshot(m), token, new BrowseCursor(m.Priority, m.Seq)) { Call = call };
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
                Serve(w.ReplyTo, w.Options, m, w.Owner, w.Call);
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
                node.Value.ReplyTo.Tell(new GetRejected(MqReason.NoMsgAvailable, $"No matching message on {_definition.Name} within the wait interval.") { Call = node.Value.Call });
                return;
            }
        }
    }
}
