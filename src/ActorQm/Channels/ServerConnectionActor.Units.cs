using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using Akka.Actor;
using Akka.Event;

namespace ActorQm.Channels;

/// <summary>
/// The connection's unit of work and the limits on what it holds (docs/protocol.md, "Limits of a
/// client connection"): MAXUMSGS uncommitted messages, and answers no larger than a frame.
/// </summary>
internal sealed partial class ServerConnectionActor
{
    // Room for a ClientResponse's own fields around a message (correlation, reason, empty detail, lengths).
    private const int ReplyOverhead = 64;

    // Staged puts and syncpoint gets in the unit of work, against MAXUMSGS.
    private int _uncommitted;

    /// <summary>MQRC 2024 when the unit of work holds MAXUMSGS messages: refused before anything is put or taken, the unit stays as it was.</summary>
    private Answer? UnitOfWorkFull(int correlation) => _uncommitted < _limits.MaxUncommitted ? null
        : new Answer(correlation, (int)MqReason.SyncpointLimitReached, $"MQRC_SYNCPOINT_LIMIT_REACHED: the unit of work already holds MAXUMSGS({_limits.MaxUncommitted}) uncommitted messages; commit or back out first", []);

    /// <summary>An answer the transport would refuse to send (it only logs): the caller gets MQRC 2010 instead of waiting for nothing.</summary>
    private byte[] TooLarge(Answer answer, int bytes)
    {
        if (answer.AfterWrite is { } taken)
        {
            taken.Queue.Tell(new LocalQueue.ReleaseGets([taken.Token]), _self);
        }

        _log.Error("AMQ9504E: an answer of {0} bytes to client connection {1} on channel {2} exceeds the frame limit of {3} bytes; the caller gets MQRC 2010", bytes, _statusKey, _channel, _limits.MaxReplyBytes);
        return ChannelFrames.Encode(new ClientResponse(answer.Correlation, (int)MqReason.DataLengthError,
            $"MQRC_DATA_LENGTH_ERROR: the answer of {bytes} bytes exceeds this channel's frame limit of {_limits.MaxReplyBytes} bytes (QMGR MAXMSGL); ask for less, e.g. a narrower DISPLAY", []));
    }

    /// <summary>Staged puts and the deletes of syncpoint gets go to the journal as one transaction; then both take effect.</summary>
    private async Task<Answer> Commit(int correlation)
    {
        var writes = new List<JournalOp>(_uowInserts);
        foreach (var (queue, tokens) in _uowGets)
        {
            writes.AddRange((await queue.Ask<LocalQueue.GetDeletesPrepared>(new LocalQueue.PrepareGetDeletes(tokens), Timeout)).Deletes);
        }

        if (writes.Count > 0)
        {
            var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
            _commit = done;
            _journal.Enqueue(JournalOp.Unit(writes, _self.Tell, UnitDurable.Instance));
            if (await done.Task is JournalWriteFailed failed)
            {
                Backout();
                return new Answer(correlation, (int)MqReason.ResourceProblem, $"the unit of work could not be made durable and was backed out: {failed.Reason}", []);
            }
        }

        foreach (var queue in _uowPutQueues)
        {
            queue.Tell(new LocalQueue.CommitStaged(_unit), _self);
        }

        foreach (var (queue, tokens) in _uowGets)
        {
            queue.Tell(new LocalQueue.CommitGets(tokens, Journaled: true), _self);
        }

        Reset();
        return new Answer(correlation, 0, string.Empty, []);
    }

    private void Backout()
    {
        foreach (var queue in _uowPutQueues)
        {
            queue.Tell(new LocalQueue.BackoutStaged(_unit), _self);
        }

        foreach (var (queue, tokens) in _uowGets)
        {
            foreach (var token in tokens)
            {
                queue.Tell(new LocalQueue.BackoutGet(token), _self);
            }
        }

        Reset();
    }

    private void Reset()
    {
        _uowPutQueues.Clear();
        _uowInserts.Clear();
        _uowGets.Clear();
        _uncommitted = 0;
        _unit = Interlocked.Increment(ref _units);
    }
}
