using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ActorQm.Tls;

/// <summary>
/// Successful chain validations (the handshake's chain step, <see cref="ChainValidator.ValidatePresented"/>), so a peer that
/// connects again with the same certificates skips path building and the per-certificate checks (docs/tls.md,
/// "Validated-chain cache"). The key is a SHA-256 over everything the verdict depends on, each part length-prefixed: the peer
/// certificate, the TLS layer's chain (certificates and status flags), the certificates the peer sent, the trust anchors,
/// the intermediates, the usage and the maximum depth. Only valid results are kept, never refusals; a hit counts only while
/// the clock lies within every certificate's validity of the cached path, else the chain is validated again in full. A
/// policy with a fixed <see cref="ChainPolicy.Time"/> is never cached. At most <see cref="Capacity"/> entries, the least
/// recently used evicted first; safe for concurrent handshakes. Revocation and the peer filter are not its business: they
/// run on every connection, on the path this returns.
/// </summary>
internal sealed class ValidatedChainCache
{
    /// <summary>Entries kept by default: a queue manager's distinct peers (each a path of a few KB of certificates).</summary>
    public const int DefaultCapacity = 1024;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("ActorQm validated chain v1");

    private static readonly Counter<long> Lookups = new Meter("ActorQm").CreateCounter<long>("actorqm.tls.chain.cache.lookups", "{lookup}",
        "Validated-chain cache lookups by result (hit, miss, bypass for a policy with a fixed time)");

    private readonly object _lock = new();
    private readonly Dictionary<Digest, LinkedListNode<Entry>> _entries = [];
    // Most recently used first: the last is evicted when full.
    private readonly LinkedList<Entry> _recency = new();
    private readonly TimeProvider _time;
    private long _hits;
    private long _misses;

    /// <param name="capacity">The most entries kept.</param>
    /// <param name="time">The clock a hit's validity window is checked against (tests move it).</param>
    public ValidatedChainCache(int capacity = DefaultCapacity, TimeProvider? time = null)
    {
        Capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "must be positive");
        _time = time ?? TimeProvider.System;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Forgets every validation (REFRESH SECURITY TYPE(SSL)).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _recency.Clear();
        }
    }

    /// <summary>
    /// <see cref="ChainValidator.ValidatePresented"/> on <paramref name="snapshot"/>, or <see cref="ChainValidator.Validate"/>
    /// without one, answered with the cached path when the same inputs validated before and every certificate of that path is
    /// still within its validity.
    /// </summary>
    public ChainValidationResult Validate(X509Certificate2 peer, ChainSnapshot? snapshot, ChainPolicy policy)
    {
        // A fixed time (the CLI's "cert verify --time") asks about another moment than the window would be checked at.
        if (policy.Time is not null)
        {
            Record("bypass");
            return Uncached(peer, snapshot, policy);
        }

        var key = KeyOf(peer, snapshot, policy);
        if (Lookup(key, _time.GetUtcNow()) is { } chain)
        {
            Interlocked.Increment(ref _hits);
            Record("hit");
            return ChainValidationResult.Valid(chain);
        }

        Interlocked.Increment(ref _misses);
        Record("miss");
        var result = Uncached(peer, snapshot, policy);
        if (result.IsValid && result.Chain.Count > 0)
        {
            Add(key, result.Chain);
        }

        return result;
    }

    private static ChainValidationResult Uncached(X509Certificate2 peer, ChainSnapshot? snapshot, ChainPolicy policy) =>
        snapshot is null ? ChainValidator.Validate(peer, policy) : ChainValidator.ValidatePresented(snapshot, peer, policy);

    private static void Record(string result) => Lookups.Add(1, new KeyValuePair<string, object?>("actorqm.tls.chain.cache.result", result));

    private IReadOnlyList<X509Certificate2>? Lookup(Digest key, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return null;
            }

            // Both bounds inclusive, the end at second precision, as CertificateRules checks them.
            if (now < node.Value.NotBefore || DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()) > node.Value.NotAfter)
            {
                _entries.Remove(key);
                _recency.Remove(node);
                return null;
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Chain;
        }
    }

    private void Add(Digest key, IReadOnlyList<X509Certificate2> chain)
    {
        var entry = new Entry(key, new ReadOnlyCollection<X509Certificate2>([.. chain]),
            chain.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime())), chain.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime())));
        lock (_lock)
        {
            if (_entries.Remove(key, out var existing))
            {
                _recency.Remove(existing);
            }
            else if (_entries.Count >= Capacity && _recency.Last is { } oldest)
            {
                _entries.Remove(oldest.Value.Key);
                _recency.RemoveLast();
            }

            _entries[key] = _recency.AddFirst(entry);
        }
    }

    /// <summary>
    /// SHA-256 over every input of the verdict, each certificate by its DER bytes (never a name, serial or SHA-1 thumbprint)
    /// and each part prefixed with its length or count, so no two different inputs hash the same bytes.
    /// </summary>
    internal static Digest KeyOf(X509Certificate2 peer, ChainSnapshot? snapshot, ChainPolicy policy)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendBytes(hash, Domain);
        AppendInt(hash, policy.Usage is { } usage ? (int)usage : -1);
        AppendInt(hash, policy.MaxDepth);
        AppendCertificate(hash, peer);
        AppendCertificates(hash, policy.TrustAnchors);
        AppendCertificates(hash, policy.Intermediates);
        if (snapshot is null)
        {
            AppendInt(hash, -1);
        }
        else
        {
            AppendInt(hash, snapshot.Elements.Count);
            foreach (var (certificate, status) in snapshot.Elements)
            {
                AppendCertificate(hash, certificate);
                AppendStatus(hash, status);
            }

            AppendStatus(hash, snapshot.Overall);
            AppendCertificates(hash, snapshot.Presented);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new Digest(BinaryPrimitives.ReadUInt128BigEndian(digest), BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
    }

    private static void AppendCertificates(IncrementalHash hash, IReadOnlyList<X509Certificate2> certificates)
    {
        AppendInt(hash, certificates.Count);
        foreach (var certificate in certificates)
        {
            AppendCertificate(hash, certificate);
        }
    }

    private static void AppendCertificate(IncrementalHash hash, X509Certificate2 certificate) => AppendBytes(hash, certificate.RawDataMemory.Span);

    private static void AppendStatus(IncrementalHash hash, X509ChainStatus[] statuses)
    {
        AppendInt(hash, statuses.Length);
        foreach (var status in statuses)
        {
            AppendInt(hash, (int)status.Status);
        }
    }

    private static void AppendBytes(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        AppendInt(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AppendInt(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        hash.AppendData(bytes);
    }

    /// <summary>A SHA-256 value as two halves (a cheap, exact dictionary key).</summary>
    internal readonly record struct Digest(UInt128 High, UInt128 Low);

    /// <summary>A validated path, leaf first, and the window in which all of its certificates are valid.</summary>
    private sealed record Entry(Digest Key, IReadOnlyList<X509Certificate2> Chain, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
}
