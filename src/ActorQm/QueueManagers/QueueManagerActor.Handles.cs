using ActorQm.Mqi;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>
/// Handles held open by applications and channel agents (MQ's IPPROCS and OPPROCS): counted per local queue from the
/// open to its close or the holder's end, so DELETE QLOCAL can refuse a queue in use (AMQ8148E, MQRC 2042) as MQ does.
/// </summary>
internal sealed partial class QueueManagerActor
{
    private readonly Dictionary<long, (IActorRef Holder, string Queue, bool Input)> _openHandles = [];
    private readonly Dictionary<string, (int Input, int Output)> _handleCounts = new(StringComparer.Ordinal);
    private long _nextOpenId;

    /// <summary>A handle opened for a holder that will close it (or end): counted until then.</summary>
    private QueueHandle Track(QueueHandle handle, IActorRef holder, bool input)
    {
        var id = ++_nextOpenId;
        _openHandles[id] = (holder, handle.ResolvedQueueName, input);
        Count(handle.ResolvedQueueName, input, +1);
        Context.Watch(holder);
        return handle with { OpenId = id };
    }

    private void HandleClose(QueueManagerApi.CloseQueue close)
    {
        if (_openHandles.Remove(close.OpenId, out var open))
        {
            Count(open.Queue, open.Input, -1);
        }
    }

    /// <summary>A holder ended (a client went, a channel stopped): its handles close with it.</summary>
    private void ReleaseHandlesOf(IActorRef holder)
    {
        foreach (var (id, open) in _openHandles.Where(h => h.Value.Holder.Equals(holder)).ToList())
        {
            _openHandles.Remove(id);
            Count(open.Queue, open.Input, -1);
        }
    }

    private void Count(string queue, bool input, int delta)
    {
        var (ip, op) = _handleCounts.GetValueOrDefault(queue);
        var next = input ? (ip + delta, op) : (ip, op + delta);
        if (next == (0, 0))
        {
            _handleCounts.Remove(queue);
        }
        else
        {
            _handleCounts[queue] = next;
        }
    }
}
