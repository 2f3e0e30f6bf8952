using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a PostgreSQL server that, once armed, cuts the connection that sends the next
/// <c>COMMIT</c> (the simple query Npgsql sends to commit a transaction): either after the server has answered it,
/// swallowing the answer (the commit is durable, the client cannot know), or before forwarding it (nothing committed).
/// Both ends are closed, as a server restart or a cut network would leave them. Other traffic passes untouched.
/// </summary>
internal sealed class CommitCutProxy : IDisposable
{
    private static readonly byte[] Commit = "COMMIT\0"u8.ToArray();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Cut _armed;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CommitCutProxy(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Accept();
    }

    public enum Cut
    {
        None,

        /// <summary>COMMIT reaches the server; its answer is dropped and both ends closed.</summary>
        AnswerLost,

        /// <summary>COMMIT is dropped and both ends closed: the server rolls the transaction back.</summary>
        CommitLost,
    }

    public int Port { get; }

    /// <summary>Completes once the armed cut has happened.</summary>
    public Task Done => _done.Task;

    public void Arm(Cut cut)
    {
        lock (_lock)
        {
            _armed = cut;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return;
            }

            var link = new Link(client, server);
            await Task.WhenAny(ClientToServer(link), ServerToClient(link));
            link.Close();
        }
    }

    private async Task ClientToServer(Link link)
    {
        var buffer = new byte[64 * 1024];
        var from = link.Client.GetStream();
        var to = link.Server.GetStream();
        try
        {
            // The tail of the previous read, so that a COMMIT split between two reads is found too.
            var window = new byte[buffer.Length + Commit.Length];
            var carried = 0;
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                var cut = Cut.None;
                var total = carried + read;
                buffer.AsSpan(0, read).CopyTo(window.AsSpan(carried));
                var seen = window.AsSpan(0, total).IndexOf(Commit) >= 0;
                carried = Math.Min(Commit.Length - 1, total);
                window.AsSpan(total - carried, carried).CopyTo(window);
                if (seen)
                {
                    lock (_lock)
                    {
                        (cut, _armed) = (_armed, Cut.None);
                    }
                }

                if (cut == Cut.CommitLost)
                {
                    link.Close();
                    _done.TrySetResult();
                    return;
                }

                link.SwallowAnswer |= cut == Cut.AnswerLost;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
    }

    private async Task ServerToClient(Link link)
    {
        var buffer = new byte[64 * 1024];
        var from = link.Server.GetStream();
        var to = link.Client.GetStream();
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                // The server answers COMMIT only once the transaction is durable: this is that answer.
                if (link.SwallowAnswer)
                {
                    link.Close();
                    _done.TrySetResult();
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private sealed class Link(TcpClient client, TcpClient server)
    {
        public TcpClient Client { get; } = client;

        public TcpClient Server { get; } = server;

        private volatile bool _swallowAnswer;

        public bool SwallowAnswer
        {
            get => _swallowAnswer;
            set => _swallowAnswer = value;
        }

        public void Close()
        {
            Client.Client.Close(0);
            Server.Client.Close(0);
        }
    }
}
