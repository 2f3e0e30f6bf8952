using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net.Sockets;

namespace ActorQm.Tls;

/// <summary>
/// CRLs fetched from distribution points over HTTP or from LDAP servers, kept until their nextUpdate (or a default
/// lifetime when they have none), at most <see cref="Capacity"/> of them, and flushed by
/// REFRESH SECURITY TYPE(SSL). Safe for concurrent handshakes; a fetch costs at most its timeout.
/// </summary>
public sealed class CrlCache(int capacity = 256, HttpClient? http = null)
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, (CrlDocument Crl, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    // Redirects are not followed, as for OCSP (docs/tls.md).
    private readonly HttpClient _http = http ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

    public int Capacity { get; } = capacity;

    public int Count => _entries.Count;

    public IReadOnlyDictionary<string, DateTimeOffset> Entries => _entries.ToDictionary(e => e.Key, e => e.Value.Expires);

    public void Flush() => _entries.Clear();

    /// <summary>CRLs from HTTP distribution points (unreachable, slow or broken ones give nothing).</summary>
    /// <param name="fresh">Fetch even when a cached CRL is current (revocation re-checks); the fetched one replaces it.</param>
    public async Task<IReadOnlyList<CrlDocument>> FetchAsync(IReadOnlyList<Uri> urls, TimeSpan timeout, CancellationToken cancel, bool fresh = false)
    {
        var found = new List<CrlDocument>();
        foreach (var url in urls)
        {
            if (await GetAsync(url.ToString(), async ct => await _http.GetByteArrayAsync(url, ct).ConfigureAwait(false), timeout, cancel, fresh).ConfigureAwait(false) is { } crl)
            {
                found.Add(crl);
            }
        }

        return found;
    }

    /// <summary>
    /// The CRL cached under <paramref name="key"/>, or fetched with <paramref name="fetch"/> within
    /// <paramref name="timeout"/> (always when <paramref name="fresh"/>); null when the source has none or cannot give one in time.
    /// </summary>
    public async Task<CrlDocument?> GetAsync(string key, Func<CancellationToken, Task<byte[]?>> fetch, TimeSpan timeout, CancellationToken cancel, bool fresh = false)
    {
        var now = DateTimeOffset.UtcNow;
        if (!fresh && _entries.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Crl;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            var bytes = await fetch(deadline.Token).ConfigureAwait(false);
            if (bytes is null)
            {
                return null;
            }

            var crl = CrlDocument.Parse(bytes, key);
            if (_entries.Count >= Capacity)
            {
                // Bounded: drop whatever expires first.
                _entries.TryRemove(_entries.OrderBy(e => e.Value.Expires).First().Key, out _);
            }

            _entries[key] = (crl, crl.NextUpdate ?? now + DefaultLifetime);
            return crl;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or FormatException or IOException or SocketException or AsnContentException)
        {
            // An unreachable, slow or broken source gives no answer; the next source is tried.
            return null;
        }
    }
}
