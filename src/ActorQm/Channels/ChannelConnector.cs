using System.Net.Sockets;

namespace ActorQm.Channels;

/// <summary>Opens the TCP connection of an outbound channel: each CONNAME address in turn, the first that answers wins.</summary>
public static class ChannelConnector
{
    public sealed record Connected(TcpClient Client, string Host, int Port);

    /// <exception cref="ConnectFailedException">No address answered; the message names each and why.</exception>
    public static async Task<Connected> ConnectAsync(IReadOnlyList<(string Host, int Port)> addresses, TimeSpan timeoutEach, CancellationToken cancel = default)
    {
        var failures = new List<string>();
        foreach (var (host, port) in addresses)
        {
            var client = new TcpClient { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(timeoutEach);
                await client.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
                return new Connected(client, host, port);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                client.Dispose();
                failures.Add($"{host}({port}): {(e is OperationCanceledException ? "timed out" : e.Message)}");
            }
        }

        cancel.ThrowIfCancellationRequested();
        throw new ConnectFailedException(failures.Count == 0 ? "no CONNAME" : string.Join("; ", failures));
    }

    public sealed class ConnectFailedException(string message) : Exception(message);
}
