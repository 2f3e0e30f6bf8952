using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a listener that a test can tell to cut every connection at once
/// (both sockets reset, mid-batch if a batch is in flight): a network that drops connections.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class CuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient In, TcpClient Out)> _pairs = [];
    private readonly Lock _lock = new();

    public CuttingProxy(int target)
    {
        _target = target;
        _listener.Start();
        _ = Accept();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Cuts { get; private set; }

    /// <summary>Resets every open connection; new ones are accepted as before.</summary>
    public void CutAll()
    {
        lock (_lock)
        {
            foreach (var (a, b) in _pairs)
            {
                Reset(a);
                Reset(b);
            }

            Cuts += _pairs.Count;
            _pairs.Clear();
        }
    }

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

                lock (_lock)
                {
                    _pairs.Add((inbound, outbound));
                }

                _ = Pump(inbound, outbound);
                _ = Pump(outbound, inbound);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Pump(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
            {
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            Reset(from);
            Reset(to);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        _stop.Dispose();
    }
}
