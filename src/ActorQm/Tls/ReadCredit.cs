namespace ActorQm.Tls;

/// <summary>
/// Frames a transport may still read for its owner (credit-based back-pressure, docs/protocol.md): the owner gives credit
/// from its actor, the reading loop takes all there is at once and waits only when there is none, so a burst of frames
/// costs one check, not one semaphore wait per frame.
/// </summary>
internal sealed class ReadCredit
{
    private readonly Lock _lock = new();
    private int _available;
    private TaskCompletionSource? _waiting;

    public void Give(int frames)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _available += frames;
            wake = _available > 0 ? _waiting : null;
            if (wake is not null)
            {
                _waiting = null;
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>All the credit there is, at least one frame's, waiting for it if there is none.</summary>
    public async ValueTask<int> TakeAllAsync(CancellationToken cancel)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_available > 0)
                {
                    var taken = _available;
                    _available = 0;
                    return taken;
                }

                wait = (_waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await wait.WaitAsync(cancel).ConfigureAwait(false);
        }
    }
}
