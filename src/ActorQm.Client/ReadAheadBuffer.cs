using System.Threading.Channels;
using ActorQm.Messages;
using ActorQm.Protocol;

namespace ActorQm.Client;

/// <summary>
/// The messages a queue manager sent ahead on one read-ahead handle (docs/protocol.md, "Read-ahead"), in the order
/// sent, and how many of them the application has taken without the queue manager knowing yet: it is told every
/// quarter window, and whenever a get is about to wait, so a message leaves the queue only once it has been taken.
/// </summary>
internal sealed class ReadAheadBuffer(int window)
{
    private readonly Channel<object> _items = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly int _ackEvery = Math.Max(1, window / 4);
    private int _unacked;
    private MqException? _failure;

    /// <summary>A frame of messages (or a refusal) for this handle; false when its body is malformed.</summary>
    public bool Arrived(ClientMessages frame)
    {
        if (frame.Reason != 0)
        {
            _items.Writer.TryWrite(new MqException((MqReason)frame.Reason, frame.Detail));
            return true;
        }

        if (ClientProtocol.ReadMessages(frame.Body) is not { } messages)
        {
            return false;
        }

        foreach (var m in messages)
        {
            _items.Writer.TryWrite(m);
        }

        return true;
    }

    /// <summary>
    /// The connection ended or the handle closed: waiting and later gets fail with its reason, and what was sent ahead and
    /// not taken is dropped, because the queue manager gives it back to the queue (a get from here would be a duplicate).
    /// </summary>
    public void Fail(MqException reason)
    {
        Interlocked.CompareExchange(ref _failure, reason, null);
        _items.Writer.TryComplete(reason);
        while (_items.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The next message sent ahead, waiting for one at most <paramref name="wait"/> (MQRC 2033 after it).</summary>
    public async Task<MqMessage> TakeAsync(TimeSpan wait, Func<int, Task> acknowledge, CancellationToken cancel)
    {
        if (Volatile.Read(ref _failure) is { } failed)
        {
            throw new MqException(failed.Reason, failed.Detail);
        }

        if (!_items.Reader.TryRead(out var item))
        {
            // About to wait: what was taken so far is acknowledged, so the queue manager may send more.
            await FlushAsync(acknowledge).ConfigureAwait(false);
            if (wait == TimeSpan.Zero)
            {
                throw new MqException(MqReason.NoMsgAvailable, "no message has been sent ahead on this read-ahead handle");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (wait != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(wait);
            }

            try
            {
                item = await _items.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new MqException(MqReason.NoMsgAvailable, $"no message arrived within {wait}");
            }
            catch (ChannelClosedException closed) when (closed.InnerException is MqException broken)
            {
                throw new MqException(broken.Reason, broken.Detail);
            }
        }

        if (item is MqException refused)
        {
            // The queue manager stopped sending ahead until this refusal was seen: it resumes now.
            await acknowledge(0).ConfigureAwait(false);
            throw new MqException(refused.Reason, refused.Detail);
        }

        if (Interlocked.Increment(ref _unacked) >= _ackEvery)
        {
            await FlushAsync(acknowledge).ConfigureAwait(false);
        }

        return (MqMessage)item;
    }

    /// <summary>Tells the queue manager how many messages the application has taken since it was last told.</summary>
    public Task FlushAsync(Func<int, Task> acknowledge)
    {
        var taken = Interlocked.Exchange(ref _unacked, 0);
        return taken > 0 ? acknowledge(taken) : Task.CompletedTask;
    }
}
