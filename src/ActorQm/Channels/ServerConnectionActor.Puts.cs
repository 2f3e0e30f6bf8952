using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>
/// A client's puts: MQPUT and MQPUT1, answered one by one, or with MQPMO_ASYNC_RESPONSE not answered at all: their
/// outcomes are counted until the client asks with MQSTAT (docs/protocol.md, "Asynchronous put").
/// </summary>
internal sealed partial class ServerConnectionActor
{
    private int _asyncSucceeded;
    private int _asyncFailed;
    private (int Reason, string Detail)? _asyncFirstFailure;

    /// <summary>MQPUT on a handle: checked here, told to its queue, answered when the queue's reply comes (docs/protocol.md, "Serving calls").</summary>
    /// <returns>The refusal, or null once the put is on its way to its queue.</returns>
    private Answer? PutOnHandle(int c, PutCall put)
    {
        object? request = null;
        QueueHandle? handle = null;
        var refused = CheckPut(c, put) ?? HandleForPut(c, put, out handle) ?? PreparePut(c, put, handle!, out request);
        if (refused is not null)
        {
            return refused with { Asynchronous = put.AsyncResponse };
        }

        handle!.Queue.Tell(request!, _self);
        Await(new PendingPut(c, Deadline(TimeSpan.Zero), handle.Queue, put.AsyncResponse));
        return null;
    }

    /// <summary>MQPUT1: the queue is opened for this put alone, then the put goes as on a handle.</summary>
    private async Task<Answer> ServePut1(int c, PutCall put)
    {
        if (CheckPut(c, put) is { } refused)
        {
            return refused;
        }

        // MQPUT1 opens with the context option its put option implies, and is checked for it.
        var options = MqOpenOptions.Output | MqContextRules.Implied(put.Context);
        var opened = await _queueManager.Ask<object>(new QueueManagerApi.OpenQueue(put.Queue!, options, put.QMgr is { Length: > 0 } qm ? qm : null, _principal), Timeout);
        if (opened is not QueueManagerApi.QueueOpened o)
        {
            var rejected = (QueueManagerApi.OpenRejected)opened;
            return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
        }

        if (PreparePut(c, put, o.Handle, out var request) is { } no)
        {
            return no;
        }

        return PutAnswer(c, o.Handle.Queue, await o.Handle.Queue.Ask<object>(request, Timeout));
    }

    /// <summary>What every put is checked for first: room in the unit of work and a defined context option.</summary>
    private Answer? CheckPut(int c, PutCall put)
    {
        if (put.Syncpoint && UnitOfWorkFull(c) is { } full)
        {
            return full;
        }

        return Enum.IsDefined(put.Context) ? null
            : new Answer(c, (int)MqReason.OptionsError, $"MQRC_OPTIONS_ERROR: context option {(int)put.Context} is not one of MQPMO's", []);
    }

    private Answer? HandleForPut(int c, PutCall put, out QueueHandle? handle)
    {
        handle = null;
        if (!_handles.TryGetValue(put.Handle!.Value, out var h))
        {
            return new Answer(c, (int)MqReason.ObjectHandleError, "MQRC_HOBJ_ERROR: no such handle on this connection", []);
        }

        if (!h.Options.HasFlag(MqOpenOptions.Output))
        {
            return new Answer(c, (int)MqReason.NotOpenForOutput, "MQRC_NOT_OPEN_FOR_OUTPUT: the handle was opened without MQOO_OUTPUT", []);
        }

        if (put.Context != MqPutContext.Default && (h.Options & MqContextRules.AllowedBy(put.Context)) == 0)
        {
            var reason = MqContextRules.NotOpenFor(put.Context);
            return new Answer(c, (int)reason, $"MQRC {(int)reason}: a put with {put.Context} context on a handle opened without the context option it needs", []);
        }

        handle = h.Handle;
        return null;
    }

    /// <summary>The message with its context, as its queue takes it: a put, or a put staged in this connection's unit of work.</summary>
    private Answer? PreparePut(int c, PutCall put, QueueHandle handle, out object request)
    {
        request = null!;
        var (message, contextRefused) = WithContext(put.Message, put.Context, put.ContextHandle);
        if (message is null)
        {
            return new Answer(c, (int)contextRefused!.Value.Reason, contextRefused.Value.Detail, []);
        }

        var (prepared, refused) = handle.PreparePut(message, _applName);
        if (prepared is null)
        {
            return new Answer(c, (int)refused!.Reason, refused.Detail, []);
        }

        request = put.Syncpoint ? new LocalQueue.StagePut(prepared.Message, prepared.PutApplName, _unit, 0, _self) : prepared;
        return null;
    }

    /// <summary>The queue's reply to a put, as the client's answer; a staged put joins the unit of work.</summary>
    private Answer PutAnswer(int c, IActorRef queue, object reply)
    {
        switch (reply)
        {
            case LocalQueue.PutStaged staged:
                _uowPutQueues.Add(queue);
                _uncommitted++;
                if (staged.Insert is { } insert)
                {
                    _uowInserts.Add(insert);
                }

                return Descriptor(c, staged.Descriptor!);
            case LocalQueue.MessagePut done:
                return Descriptor(c, done.Descriptor);
            case LocalQueue.StagedPutRejected no:
                return new Answer(c, (int)no.Reason, no.Detail, []);
            default:
                var rejected = (LocalQueue.PutRejected)reply;
                return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
        }
    }

    private void CountAsyncPut(Answer answer)
    {
        if (answer.Reason == 0)
        {
            _asyncSucceeded++;
            return;
        }

        _asyncFailed++;
        _asyncFirstFailure ??= (answer.Reason, answer.Detail);
    }

    /// <summary>MQSTAT: the asynchronous puts since the last MQSTAT, succeeded and failed, and the first failure; then reset.</summary>
    private Answer Status(int correlation)
    {
        var w = new FrameWriter(64);
        w.Int(_asyncSucceeded);
        w.Int(_asyncFailed);
        w.Int(_asyncFirstFailure?.Reason ?? 0);
        var detail = _asyncFirstFailure?.Detail ?? string.Empty;
        w.String(detail.Length > 512 ? detail[..512] : detail);
        (_asyncSucceeded, _asyncFailed, _asyncFirstFailure) = (0, 0, null);
        return new Answer(correlation, 0, string.Empty, w.ToArray());
    }
}
