using ActorQm.Channels;
using ActorQm.QueueManagers;
using ActorQm.Tls;

namespace ActorQm.Rest;

/// <summary>
/// The verdict on one HTTPS connection's client certificate: made before the connection's first request is read, and made
/// again on the certificate it presented when the queue manager's TLS material changed (REFRESH SECURITY, a CRL, the key
/// repository), a certificate was revoked by REVOKE CERT, or the revocation re-check interval passed, so a connection kept alive does not outlive a revocation any
/// more than a running channel does (docs/rest.md, "Mutual TLS").
/// </summary>
internal sealed class ConnectionVerdict(NegotiatedSession session, Func<NegotiatedSession, QueueManager.ListenerTls, Task<RestPeer>> verify)
{
    private Made? _made;

    /// <summary>The verdict that holds under <paramref name="current"/>; concurrent requests (HTTP/2 streams) share one re-check.</summary>
    public Task<RestPeer> UnderAsync(Numbered current)
    {
        var made = Volatile.Read(ref _made);
        // The list REVOKE CERT fills only grows: a count that moved is a certificate revoked since.
        var revoked = current.Tls.Tls?.Revocation.Revoked?.Count ?? 0;
        // A request that read the TLS before a newer verdict was made gets that verdict, never one under older material.
        if (made is not null && (current.Number < made.Number || (ReferenceEquals(made.Tls, current.Tls.Tls) && made.Revoked == revoked && DateTime.UtcNow < made.Until && !made.Peer.IsFaulted)))
        {
            return made.Peer;
        }

        var until = current.Tls.Tls?.TransportSettings.RevocationRecheck is { } every ? DateTime.UtcNow + every : DateTime.MaxValue;
        var fresh = new Made(current.Number, current.Tls.Tls, revoked, until, verify(session, current.Tls));
        return (Interlocked.CompareExchange(ref _made, fresh, made) == made ? fresh : Volatile.Read(ref _made)!).Peer;
    }

    /// <summary>The queue manager's listener TLS as read by the REST server, numbered in the order it was asked for.</summary>
    internal sealed record Numbered(long Number, QueueManager.ListenerTls Tls);

    private sealed record Made(long Number, Channel.ResponderTls? Tls, int Revoked, DateTime Until, Task<RestPeer> Peer);
}
