using ActorQm.Messages;
using ActorQm.Mqi;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>
/// Handles held open by applications and channel agents (MQ's IPPROCS and OPPROCS): counted per local queue from the
/// open to its close or the holder's end, so DELETE QLOCAL can refuse a queue in use (AMQ8148E, MQRC 2042) as MQ does.
/// </summary>
internal sealed partial class QueueManagerActor
{
    private readonly Dictionary<long, (IActorRef Holder, string Queue, Use Use)> _openHandles = [];
    private readonly Dictionary<string, (int Input, int Output, int All)> _handleCounts = new(StringComparer.Ordinal);
    private long _nextOpenId;

    /// <summary>
    /// A handle opened for a holder that will close it (or end): counted until then, in IPPROCS when opened for MQGET
    /// (MQOO_INPUT_*; browse alone is not input, as in MQ), in OPPROCS when for MQPUT, and as open whatever its options.
    /// </summary>
    private QueueHandle Track(QueueHandle handle, IActorRef holder, MqOpenOptions options)
    {
        var id = ++_nextOpenId;
        var use = new Use((options & MqOpenOptions.Input) != 0, (options & MqOpenOptions.Output) != 0);
        _openHandles[id] = (holder, handle.ResolvedQueueName, use);
        Count(handle.ResolvedQueueName, use, +1);
        Context.Watch(holder);
        return handle with { OpenId = id };
    }

    private void HandleClose(QueueManagerApi.CloseQueue close)
    {
        if (_openHandles.Remove(close.OpenId, out var open))
        {
            Count(open.Queue, open.Use, -1);
        }
    }

    /// <summary>A holder ended (a client went, a channel stopped): its handles close with it.</summary>
    private void ReleaseHandlesOf(IActorRef holder)
    {
        foreach (var (id, open) in _openHandles.Where(h => h.Value.Holder.Equals(holder)).ToList())
        {
            _openHandles.Remove(id);
            Count(open.Queue, open.Use, -1);
        }
    }

    private void Count(string queue, Use use, int delta)
    {
        var (ip, op, all) = _handleCounts.GetValueOrDefault(queue);
        var next = (ip + (use.Input ? delta : 0), op + (use.Output ? delta : 0), all + delta);
        if (next.Item3 == 0)
        {
            _handleCounts.Remove(queue);
        }
        else
        {
            _handleCounts[queue] = next;
        }
    }

    private readonly record struct Use(bool Input, bool Output);
}
