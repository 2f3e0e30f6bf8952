using System.Collections.Concurrent;

namespace ActorQm.Tls;

/// <summary>
/// CRLs fetched from distribution points over HTTP, kept until their nextUpdate (or a default
/// lifetime when they have none), at most <see cref="Capacity"/> of them, and flushed by
/// REFRESH SECURITY TYPE(SSL). Safe for concurrent handshakes; a fetch costs at most its timeout.
/// </summary>
public sealed class CrlCache(int capacity = 256, HttpClient? http = null)
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Uri, (CrlDocument Crl, DateTimeOffset Expires)> _entries = new();
    private readonly HttpClient _http = http ?? new HttpClient();

    public int Capacity { get; } = capacity;

    public int Count => _entries.Count;

    public IReadOnlyDictionary<Uri, DateTimeOffset> Entries => _entries.ToDictionary(e => e.Key, e => e.Value.Expires);

    public void Flush() => _entries.Clear();

    public async Task<IReadOnlyList<CrlDocument>> FetchAsync(IReadOnlyList<Uri> urls, TimeSpan timeout, CancellationToken cancel)
    {
        var now = DateTimeOffset.UtcNow;
        var found = new List<CrlDocument>();
        foreach (var url in urls)
        {
            if (_entries.TryGetValue(url, out var cached) && cached.Expires > now)
            {
                found.Add(cached.Crl);
                continue;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            deadline.CancelAfter(timeout);
            try
            {
                var bytes = await _http.GetByteArrayAsync(url, deadline.Token).ConfigureAwait(false);
                var crl = CrlDocument.Parse(bytes, url.ToString());
                if (_entries.Count >= Capacity)
                {
                    // Bounded: drop whatever expires first.
                    var oldest = _entries.OrderBy(e => e.Value.Expires).First().Key;
                    _entries.TryRemove(oldest, out _);
                }

                _entries[url] = (crl, crl.NextUpdate ?? now + DefaultLifetime);
                found.Add(crl);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or FormatException)
            {
                // An unreachable, slow or broken distribution point gives no answer; the next source is tried.
            }
        }

        return found;
    }
}
