using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net.Sockets;

namespace ActorQm.Tls;

/// <summary>
/// CRLs fetched from distribution points over HTTP or from LDAP servers. Only a CRL that verified against
/// its issuer is kept (a forged one would otherwise poison the cache until its own, forged, nextUpdate),
/// until its nextUpdate but never longer than <see cref="MaxLifetime"/>, at most <see cref="Capacity"/>
/// of them; a source that failed or gave a CRL that did not verify is asked again only after a back-off
/// (<see cref="RetryMin"/> doubling to <see cref="RetryMax"/>). Downloads are read up to
/// <see cref="MaxBytes"/> (tls.crl-max-bytes). Flushed by REFRESH SECURITY TYPE(SSL). Safe for
/// concurrent handshakes; a fetch costs at most its timeout. See docs/tls.md, Revocation.
/// </summary>
public sealed class CrlCache(int capacity = 256, HttpClient? http = null, long maxBytes = CrlCache.DefaultMaxBytes, TimeProvider? time = null)
{
    /// <summary>The default of tls.crl-max-bytes: 32 MiB, beyond the largest CRLs public CAs publish.</summary>
    public const long DefaultMaxBytes = 32L * 1024 * 1024;

    /// <summary>Longest any CRL is kept, whatever its nextUpdate says, so a CA's early reissue is seen.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    /// <summary>First wait before a failed source is asked again; it doubles per failure up to <see cref="RetryMax"/>.</summary>
    public static readonly TimeSpan RetryMin = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan RetryMax = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (CrlDocument Crl, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset RetryAt, string Why)> _failures = new(StringComparer.Ordinal);
    // Redirects are not followed, as for OCSP (docs/tls.md).
    private readonly HttpClient _http = http ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int Capacity { get; } = capacity;

    /// <summary>Largest CRL read from a source (tls.crl-max-bytes); a bigger one is no answer.</summary>
    public long MaxBytes { get; } = maxBytes > 0 ? maxBytes : throw new ArgumentOutOfRangeException(nameof(maxBytes), "must be positive");

    public int Count => _entries.Count;

    public IReadOnlyDictionary<string, DateTimeOffset> Entries => _entries.ToDictionary(e => e.Key, e => e.Value.Expires);

    public void Flush()
    {
        _entries.Clear();
        _failures.Clear();
    }

    /// <summary>Why the last fetch from <paramref name="key"/> gave nothing usable, while it is backing off; else null.</summary>
    public string? Problem(string key) => _failures.TryGetValue(key, out var failed) ? failed.Why : null;

    /// <summary>CRLs from HTTP distribution points (unreachable, slow, oversized or broken ones give nothing).</summary>
    /// <param name="fresh">Fetch even when a cached CRL is current (revocation re-checks); the fetched one replaces it.</param>
    /// <param name="scope">Whose CRLs these are (the issuer's key): a URL's cache entry and back-off belong to that
    /// issuer alone, so a certificate naming another CA's distribution point cannot put that CA's CRL into back-off.</param>
    public async Task<IReadOnlyList<CrlDocument>> FetchAsync(IReadOnlyList<Uri> urls, Func<CrlDocument, string?> verify, TimeSpan timeout, CancellationToken cancel, bool fresh = false, string? scope = null)
    {
        var found = new List<CrlDocument>();
        foreach (var url in urls)
        {
            if (await GetAsync(Key(url, scope), ct => DownloadAsync(url, ct), verify, timeout, cancel, fresh, source: url.ToString()).ConfigureAwait(false) is { } crl)
            {
                found.Add(crl);
            }
        }

        return found;
    }

    /// <summary>The cache key of a distribution point's CRLs for one issuer (<see cref="FetchAsync"/>'s scope).</summary>
    public static string Key(Uri url, string? scope) => scope is null ? url.ToString() : $"{url} for {scope}";

    /// <summary>
    /// The CRL cached under <paramref name="key"/>, or fetched with <paramref name="fetch"/> within
    /// <paramref name="timeout"/> (always when <paramref name="fresh"/>); null when the source has none, cannot give one in time, or is backing off
    /// after a failure. A fetched CRL is cached only when <paramref name="verify"/> finds no problem with it; one
    /// that does not verify is still returned (its user checks it again and says why it is unusable). The CRL's
    /// <see cref="CrlDocument.Source"/> is <paramref name="source"/> (else the key).
    /// </summary>
    public async Task<CrlDocument?> GetAsync(string key, Func<CancellationToken, Task<byte[]?>> fetch, Func<CrlDocument, string?> verify, TimeSpan timeout, CancellationToken cancel, bool fresh = false, string? source = null)
    {
        var now = _time.GetUtcNow();
        if (!fresh && _entries.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            RevocationCacheMetrics.Record("crl", fresh, hit: true);
            return cached.Crl;
        }

        RevocationCacheMetrics.Record("crl", fresh, hit: false);

        if (_failures.TryGetValue(key, out var failed) && failed.RetryAt > now)
        {
            return null;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            var bytes = await fetch(deadline.Token).ConfigureAwait(false);
            if (bytes is null)
            {
                Failed(key, $"{key} has no CRL");
                return null;
            }

            var crl = CrlDocument.Parse(bytes, source ?? key);
            if (verify(crl) is { } problem)
            {
                Failed(key, problem);
                return crl;
            }

            Keep(key, crl, now);
            return crl;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or FormatException or IOException or SocketException or AsnContentException)
        {
            // An unreachable, slow, oversized or broken source gives no answer; the next source is tried.
            Failed(key, e is OperationCanceledException ? $"{key} gave no CRL within {timeout.TotalSeconds:0.#} s" : e.Message);
            return null;
        }
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> from <paramref name="stream"/>; more is an <see cref="IOException"/>, before it is all read.</summary>
    internal static async Task<byte[]> ReadCappedAsync(Stream stream, long maxBytes, string source, CancellationToken cancel) =>
        await BoundedBody.ReadAsync(stream, maxBytes, cancel).ConfigureAwait(false)
            ?? throw new IOException($"the CRL from {source} is larger than tls.crl-max-bytes ({maxBytes} bytes)");

    private async Task<byte[]?> DownloadAsync(Uri url, CancellationToken cancel)
    {
        using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxBytes)
        {
            throw new IOException($"the CRL from {url} is larger than tls.crl-max-bytes ({MaxBytes} bytes)");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        return await ReadCappedAsync(body, MaxBytes, url.ToString(), cancel).ConfigureAwait(false);
    }

    private void Keep(string key, CrlDocument crl, DateTimeOffset now)
    {
        _failures.TryRemove(key, out _);
        if (_entries.Count >= Capacity && !_entries.ContainsKey(key))
        {
            // Bounded: drop whatever expires first.
            _entries.TryRemove(_entries.OrderBy(e => e.Value.Expires).First().Key, out _);
        }

        var cap = now + MaxLifetime;
        _entries[key] = (crl, crl.NextUpdate is { } next && next < cap ? next : cap);
    }

    private void Failed(string key, string why)
    {
        _entries.TryRemove(key, out _);
        if (_failures.Count >= Capacity && !_failures.ContainsKey(key))
        {
            _failures.TryRemove(_failures.OrderBy(e => e.Value.RetryAt).First().Key, out _);
        }

        var failures = _failures.TryGetValue(key, out var before) ? before.Failures + 1 : 1;
        var wait = TimeSpan.FromTicks(Math.Min(RetryMax.Ticks, RetryMin.Ticks << Math.Min(failures - 1, 20)));
        _failures[key] = (failures, _time.GetUtcNow() + wait, why);
    }
}
