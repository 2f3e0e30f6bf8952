using System.Diagnostics.Metrics;

namespace ActorQm.Tls;

/// <summary>
/// Lookups in the OCSP and CRL caches (docs/operations.md, "Metrics"), under the meter every ActorQm instrument shares:
/// OpenTelemetry collects instruments by meter name, however many <see cref="Meter"/> objects carry it, so this layer,
/// which knows nothing of queue managers, reports beside them.
/// </summary>
internal static class RevocationCacheMetrics
{
    private static readonly Meter Meter = new("ActorQm");

    private static readonly Counter<long> Lookups = Meter.CreateCounter<long>("actorqm.revocation.cache.lookups", "{lookup}",
        "Revocation cache lookups by cache (ocsp, crl) and result (hit, miss, bypass for a re-check that asks the source again)");

    public static void Record(string cache, bool fresh, bool hit) =>
        Lookups.Add(1, new KeyValuePair<string, object?>("actorqm.revocation.cache", cache),
            new KeyValuePair<string, object?>("actorqm.revocation.cache.result", fresh ? "bypass" : hit ? "hit" : "miss"));
}
