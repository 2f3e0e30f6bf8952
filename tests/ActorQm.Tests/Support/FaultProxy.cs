using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a listener that a test can tell to misbehave on every open
/// connection at once: <see cref="CutAll"/> resets both sockets (a network that drops connections),
/// <see cref="StallAll"/> keeps them open but lets no byte and no close through any more (a network
/// that goes silent: a black-holed route, a hung middlebox). New connections are served as before.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private readonly List<Link> _stalled = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource? _held;
    private TaskCompletionSource? _repliesHeld;

    public FaultProxy(int target)
    {
        _target = target;
        _listener.Start();
        _ = Accept();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Cuts { get; private set; }

    public int Stalls { get; private set; }

    /// <summary>Resets every open connection.</summary>
    public void CutAll()
    {
        lock (_lock)
        {
            foreach (var link in _links)
            {
                Reset(link.In);
                Reset(link.Out);
            }

            Cuts += _links.Count;
            _links.Clear();
        }
    }

    /// <summary>From now on every open connection swallows what either end sends, and neither end learns of the other's close.</summary>
    public void StallAll()
    {
        lock (_lock)
        {
            foreach (var link in _links)
            {
                link.Stalled = true;
                _stalled.Add(link);
            }

            Stalls += _links.Count;
            _links.Clear();
        }
    }

    /// <summary>From now on nothing is read from either end (their sends back up into their sockets) until <see cref="ResumeAll"/>.</summary>
    public void HoldAll() => Interlocked.CompareExchange(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Reads and forwards again what <see cref="HoldAll"/> held back.</summary>
    public void ResumeAll() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    /// <summary>From now on nothing is read from the listener's side (its answers back up into its socket) until <see cref="ResumeReplies"/>; the caller's side still passes.</summary>
    public void HoldReplies() => Interlocked.CompareExchange(ref _repliesHeld, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Reads and forwards again what <see cref="HoldReplies"/> held back.</summary>
    public void ResumeReplies() => Interlocked.Exchange(ref _repliesHeld, null)?.TrySetResult();

    private static void Reset(TcpClient client)
    {
        try
        {
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }

        client.Dispose();
    }

    private async Task Accept()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                var outbound = new TcpClient { NoDelay = true };
                try
                {
                    await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                }
                catch (SocketException)
                {
                    Reset(inbound);
                    outbound.Dispose();
                    continue;
                }

                var link = new Link(inbound, outbound);
                lock (_lock)
                {
                    _links.Add(link);
                }

                _ = Pump(link, inbound, outbound);
                _ = Pump(link, outbound, inbound);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Pump(Link link, TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await ReadUnlessHeld(from, buffer, reply: from == link.Out)) > 0)
            {
                if (!link.Stalled)
                {
                    await to.GetStream().WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            // A stalled link passes on no close either: the other end must find out by itself.
            Reset(from);
            if (!link.Stalled)
            {
                Reset(to);
            }
        }
    }

    private async Task<int> ReadUnlessHeld(TcpClient from, byte[] buffer, bool reply)
    {
        if (Volatile.Read(ref _held) is { } held)
        {
            await held.Task.WaitAsync(_stop.Token);
        }

        if (reply && Volatile.Read(ref _repliesHeld) is { } repliesHeld)
        {
            await repliesHeld.Task.WaitAsync(_stop.Token);
        }

        return await from.GetStream().ReadAsync(buffer, _stop.Token);
    }

    public void Dispose()
    {
        ResumeAll();
        ResumeReplies();
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        lock (_lock)
        {
            foreach (var link in _stalled)
            {
                Reset(link.In);
                Reset(link.Out);
            }
        }

        _stop.Dispose();
    }

    private sealed class Link(TcpClient inbound, TcpClient outbound)
    {
        public TcpClient In { get; } = inbound;

        public TcpClient Out { get; } = outbound;

        public volatile bool Stalled;
    }
}
