using ActorQm.Messages;
using ActorQm.Store;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Queues.LocalQueue;

namespace ActorQm.Queues;

/// <summary>A queue's administration and failure paths: CLEAR, DELETE, expiry, journal write failures.</summary>
internal sealed partial class LocalQueueActor
{
    private void HandleJournalFailure(JournalWriteFailed failure)
    {
        _log.Error("AMQ7080E: journal write for queue {0} on {1} failed: {2}", _definition.Name, _qmgr, failure.Reason);
        var reason = failure.StorageFull ? MqReason.StorageMediumFull : MqReason.ResourceProblem;
        switch (failure.Ack)
        {
            case Persisted p:
                MarkReady(p.Message, failed: true);
                p.ReplyTo.Tell(new PutRejected(reason, "The message could not be made durable: " + failure.Reason));
                break;
            case Deleted { Reply: MessageGot or GetCommitted } d:
                // Not durably removed: it is still in the journal, so it stays on the queue.
                _buckets.Add(d.Message.Requeued());
                d.ReplyTo.Tell(new GetRejected(reason, "The get could not be made durable: " + failure.Reason) { Call = (d.Reply as MessageGot)?.Call ?? 0 });
                break;
            case Deleted d:
                d.ReplyTo.Tell(d.Reply);
                break;
        }

        Publish();
    }

    private void HandleClear()
    {
        var removed = 0;
        foreach (var m in _buckets.All().Where(m => !m.Locked).ToList())
        {
            _buckets.Remove(m);
            removed++;
            if (m.IsPersistent)
            {
                _journal!.Enqueue(JournalOp.Delete(m.Seq, null, null));
            }
        }

        Publish();
        Sender.Tell(new Cleared(removed));
    }

    private void HandleDelete()
    {
        foreach (var w in _waiters)
        {
            w.ReplyTo.Tell(new GetRejected(MqReason.QDeleted, $"Queue {_definition.Name} was deleted.") { Call = w.Call });
        }

        _waiters.Clear();
        _journal?.Enqueue(JournalOp.Purge(_definition.Name, null, null));
        _counters.Set(0, 0, 0);
        Context.Stop(Self);
    }

    private void Expired(StoredMessage m)
    {
        _counters.ExpiredOne();
        if (m.IsPersistent)
        {
            _journal!.Enqueue(JournalOp.Delete(m.Seq, null, null));
        }
    }

    /// <summary>The message as the getter sees it: Expiry shows the time left, in tenths of a second.</summary>
    private static MqMessage Snapshot(StoredMessage m)
    {
        if (m.ExpiresAtMs == StoredMessage.NeverExpires)
        {
            return m.Message;
        }

        var left = Math.Max(1, (m.ExpiresAtMs - NowMs()) / 100);
        return m.Message with { Descriptor = m.Message.Descriptor with { Expiry = (int)Math.Min(left, int.MaxValue) } };
    }
}
