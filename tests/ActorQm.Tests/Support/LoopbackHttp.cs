using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorQm.Tests.Support;

/// <summary>
/// A minimal HTTP/1.1 server of the test's own on 127.0.0.1 and an ephemeral port, serving fixed
/// bodies by path (CRLs for distribution points), counting requests, or stalling on purpose.
/// </summary>
internal sealed class LoopbackHttp : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);
    private int _requests;

    public LoopbackHttp()
    {
        _listener.Start();
        _ = Serve();
    }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>When set, connections are accepted and never answered (a hanging server).</summary>
    public bool Stall { get; set; }

    /// <summary>When set, answers every POST (and OCSP GET) with what it returns for the request (an OCSP responder).</summary>
    public Func<byte[], byte[]>? Handler { get; set; }

    /// <summary>
    /// When set, may write the whole answer to a request itself (status line, headers, body: a redirect, an endless or
    /// dripping body) and return true; false leaves the request to the usual answer.
    /// </summary>
    public Func<byte[], Stream, CancellationToken, Task<bool>>? Raw { get; set; }

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");

    public void Serve(string path, byte[] body)
    {
        lock (_bodies)
        {
            _bodies[path] = body;
        }
    }

    private async Task Serve()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Answer(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Answer(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var requestLine = await ReadLine(stream) ?? string.Empty;
                var length = 0;
                for (var header = await ReadLine(stream); !string.IsNullOrEmpty(header); header = await ReadLine(stream))
                {
                    if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(header[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                var request = new byte[length];
                await stream.ReadExactlyAsync(request, _stop.Token);
                if (Handler is not null && requestLine.StartsWith("GET ", StringComparison.Ordinal))
                {
                    // RFC 6960 A.1: an OCSP GET carries the request base64- and URL-encoded as the last path segment.
                    var target = requestLine.Split(' ')[1];
                    request = Convert.FromBase64String(Uri.UnescapeDataString(target[(target.LastIndexOf('/') + 1)..]));
                }

                Interlocked.Increment(ref _requests);
                if (Stall)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                if (Raw is { } raw && await raw(request, stream, _stop.Token))
                {
                    return;
                }

                var path = requestLine.Split(' ').ElementAtOrDefault(1) ?? "/";
                byte[]? body;
                var type = "application/pkix-crl";
                if (Handler is { } handler)
                {
                    body = handler(request);
                    type = "application/ocsp-response";
                }
                else
                {
                    lock (_bodies)
                    {
                        _bodies.TryGetValue(path, out body);
                    }
                }

                var head = body is null
                    ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    : $"HTTP/1.1 200 OK\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                if (body is not null)
                {
                    await stream.WriteAsync(body, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>A redirect (307 keeps the POST and its body, so a client that follows it asks <paramref name="to"/> the same question).</summary>
    public static Func<Stream, CancellationToken, Task> Redirect(Uri to, int status = 307) => (stream, cancel) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), cancel).AsTask();

    /// <summary>
    /// A 200 answer whose body (zeros) is <paramref name="bytes"/> long, streamed in 64 KiB writes from one buffer (the
    /// server holds no more than that) and delimited by closing the connection: no Content-Length warns the client.
    /// </summary>
    public static Func<Stream, CancellationToken, Task> Oversized(long bytes) => async (stream, cancel) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nConnection: close\r\n\r\n"), cancel);
        var chunk = new byte[64 * 1024];
        for (long sent = 0; sent < bytes; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk, cancel);
        }
    };

    /// <summary>A 200 answer announcing a small body and sending one byte of it per <paramref name="every"/>, for ever (a slow-drip peer).</summary>
    public static Func<Stream, CancellationToken, Task> Drip(TimeSpan every) => async (stream, cancel) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"), cancel);
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(cancel))
        {
            await stream.WriteAsync(new byte[] { 0x30 }, cancel);
            await stream.FlushAsync(cancel);
        }
    };

    // Byte by byte so the request body that follows the headers stays in the stream.
    private async Task<string?> ReadLine(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, _stop.Token) == 1)
        {
            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }

        return line.Length == 0 ? null : line.ToString();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
