using System.Net.Sockets;

namespace ActorQm.Protocol;

/// <summary>Opens the TCP connection of an outbound channel: each CONNAME address in turn, the first that answers wins.</summary>
public static class ChannelConnector
{
    public sealed record Connected(TcpClient Client, string Host, int Port);

    /// <param name="localAddress">The local address to connect from (MQ's LOCLADDR); null: the system's choice.</param>
    /// <exception cref="ConnectFailedException">No address answered; the message names each and why.</exception>
    public static async Task<Connected> ConnectAsync(IReadOnlyList<(string Host, int Port)> addresses, TimeSpan timeoutEach, CancellationToken cancel = default, System.Net.IPAddress? localAddress = null)
    {
        var failures = new List<string>();
        var closedByRemote = addresses.Count > 0;
        foreach (var (host, port) in addresses)
        {
            var client = localAddress is null ? new TcpClient { NoDelay = true } : new TcpClient(new System.Net.IPEndPoint(localAddress, 0)) { NoDelay = true };
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
                // A listener that accepts and closes at once (CHLAUTH BLOCKADDR, a connection limit) can fail the connect itself.
                closedByRemote &= e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted };
            }
        }

        cancel.ThrowIfCancellationRequested();
        throw new ConnectFailedException(failures.Count == 0 ? "no CONNAME" : string.Join("; ", failures)) { ClosedByRemote = closedByRemote };
    }

    public sealed class ConnectFailedException(string message) : Exception(message)
    {
        /// <summary>Every address answered and closed the connection at once: the remote end is there and refused it.</summary>
        public bool ClosedByRemote { get; init; }
    }
}
