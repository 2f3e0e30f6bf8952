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

    private async Task<Answer> ServePut(int c, PutCall put)
    {
        if (put.Syncpoint && UnitOfWorkFull(c) is { } full)
        {
            return full;
        }

        if (!Enum.IsDefined(put.Context))
        {
            return new Answer(c, (int)MqReason.OptionsError, $"MQRC_OPTIONS_ERROR: context option {(int)put.Context} is not one of MQPMO's", []);
        }

        QueueHandle handle;
        if (put.Handle is { } hid)
        {
            if (!_handles.TryGetValue(hid, out var h))
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
        }
        else
        {
            // MQPUT1 opens with the context option its put option implies, and is checked for it.
            var options = MqOpenOptions.Output | MqContextRules.Implied(put.Context);
            var opened = await _queueManager.Ask<object>(new QueueManagerApi.OpenQueue(put.Queue!, options, put.QMgr is { Length: > 0 } qm ? qm : null, _principal), Timeout);
            if (opened is not QueueManagerApi.QueueOpened o)
            {
                var rejected = (QueueManagerApi.OpenRejected)opened;
                return new Answer(c, (int)rejected.Reason, rejected.Detail, []);
            }

            handle = o.Handle;
        }

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

        var answer = put.Syncpoint
            ? await handle.Queue.Ask<object>(new LocalQueue.StagePut(prepared.Message, prepared.PutApplName, _unit, 0, _self), Timeout)
            : await handle.Queue.Ask<object>(prepared, Timeout);
        switch (answer)
        {
            case LocalQueue.PutStaged staged:
                _uowPutQueues.Add(handle.Queue);
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
                var rejected = (LocalQueue.PutRejected)answer;
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
