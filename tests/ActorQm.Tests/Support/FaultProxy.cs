using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a listener that a test can tell to misbehave on every open
/// connection at once: <see cref="CutAll"/> resets both sockets (a network that drops connections),
/// <see cref="StallAll"/> keeps them open but lets no byte and no close through any more (a network
/// that goes silent: a black-holed route, a hung middlebox). New connections are served as before,
/// unless <see cref="Partition"/> closes the port (connections are refused, as by a host that is
/// gone) until <see cref="Heal"/> opens it again.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class FaultProxy : IDisposable
{
    private TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private readonly List<Link> _stalled = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource? _held;
    private TaskCompletionSource? _repliesHeld;
    private bool _closed;
    private Func<int, bool>? _stallFrom;
    private readonly List<TcpClient> _unanswered = [];
    private int _callerBytesPerMillisecond;

    public FaultProxy(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Accept(_listener);
    }

    public int Port { get; }

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

    /// <summary>
    /// Resets every open connection and closes the port until <see cref="Heal"/>: the target is cut off from whoever
    /// calls it through the proxy. A closed port refuses the connection itself; accepting and then resetting would
    /// fail the caller's TLS handshake instead, which is another fault.
    /// </summary>
    public void Partition()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                _listener.Stop();
            }
        }

        CutAll();
    }

    /// <summary>
    /// From now on the connections whose caller's port <paramref name="sourcePort"/> picks pass nothing and no close, and
    /// a new connection from such a port is accepted and never answered, until <see cref="ServeAll"/>: one caller's packets
    /// are dropped (as by a partitioned network) while the others are served.
    /// </summary>
    public void StallFrom(Func<int, bool> sourcePort)
    {
        lock (_lock)
        {
            _stallFrom = sourcePort;
            foreach (var link in _links.Where(l => From(l.In, sourcePort)).ToList())
            {
                link.Stalled = true;
                _stalled.Add(link);
                _links.Remove(link);
                Stalls++;
            }
        }
    }

    private static bool From(TcpClient client, Func<int, bool> sourcePort)
    {
        try
        {
            return client.Client?.RemoteEndPoint is IPEndPoint remote && sourcePort(remote.Port);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Serves new connections from every caller again after <see cref="StallFrom"/> (the stalled ones stay stalled).</summary>
    public void ServeAll() => Volatile.Write(ref _stallFrom, null);

    /// <summary>Listens on the same port again after <see cref="Partition"/>.</summary>
    public void Heal()
    {
        lock (_lock)
        {
            if (_closed && !_stop.IsCancellationRequested)
            {
                _closed = false;
                _listener = new TcpListener(IPAddress.Loopback, Port);
                _listener.Start();
                _ = Accept(_listener);
            }
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

    /// <summary>
    /// From now on the caller's side passes at most about <paramref name="bytesPerMillisecond"/> bytes per millisecond (0: no
    /// limit), so a test polling a queue's depth sees a stream's progress in small steps however fast the machine is.
    /// </summary>
    public void PaceCalls(int bytesPerMillisecond) => Volatile.Write(ref _callerBytesPerMillisecond, bytesPerMillisecond);

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

    private async Task Accept(TcpListener listener)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var inbound = await listener.AcceptTcpClientAsync(_stop.Token);
                if (Volatile.Read(ref _stallFrom) is { } stall && From(inbound, stall))
                {
                    lock (_lock)
                    {
                        _unanswered.Add(inbound);
                    }

                    continue;
                }

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
            var reply = from == link.Out;
            while ((n = await ReadUnlessHeld(from, buffer, reply)) > 0)
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

        var pace = reply ? 0 : Volatile.Read(ref _callerBytesPerMillisecond);
        if (pace > 0)
        {
            await Task.Delay(1, _stop.Token);
            return await from.GetStream().ReadAsync(buffer.AsMemory(0, Math.Min(pace, buffer.Length)), _stop.Token);
        }

        return await from.GetStream().ReadAsync(buffer, _stop.Token);
    }

    public void Dispose()
    {
        ResumeAll();
        ResumeReplies();
        _stop.Cancel();
        lock (_lock)
        {
            _listener.Stop();
        }

        CutAll();
        lock (_lock)
        {
            foreach (var link in _stalled)
            {
                Reset(link.In);
                Reset(link.Out);
            }

            foreach (var client in _unanswered)
            {
                Reset(client);
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
