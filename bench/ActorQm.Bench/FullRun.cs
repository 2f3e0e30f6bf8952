using System.Diagnostics;
using System.Globalization;
using ActorQm.Cli.Dev;

namespace ActorQm.Bench;

/// <summary>
/// Every row of the table in one run: L1 the limits, C1/C2 channels, C3/C4 clients, H1 handshakes,
/// M1 footprint. Prints the table and writes bench/results/latest.md with the machine's facts and
/// which targets this run meets, each as a ratio to a row of the same run.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class FullRun
{
    public static async Task Run(bool quick)
    {
        var clock = Stopwatch.StartNew();
        var scale = quick ? 0.1 : 1.0;
        int N(int full) => Math.Max(100, (int)(full * scale));
        Console.WriteLine($"# ActorQm benchmark{(quick ? " (quick)" : string.Empty)}: {BenchReport.Machine()}");
        var pki = DevPki.Create();
        var failures = new List<string>();
        var rows = await Section("channels", failures, () => ChannelBench.Rows(pki, N(60_000), [1, 4, 16, 64]));
        var tlsLimit = rows.FirstOrDefault(r => r.Id == "L1")?.Value ?? double.NaN;
        rows.AddRange(await Section("clients", failures, () => ClientBench.Rows(pki, N(60_000), N(5_000), tlsLimit)));
        rows.AddRange(await Section("handshakes", failures, () => HandshakeBench.Run(N(500))));
        rows.AddRange(await Section("footprint", failures, () => FootprintBench.Rows(pki, quick ? 100 : 1000)));
        rows.AddRange(await Section("idle clients", failures, () => IdleClientsBench.Rows(pki, quick ? 500 : 10_000)));
        rows.AddRange(await Section("deep queue", failures, () => DeepQueueBench.Rows(N(1_000_000))));
        rows.AddRange(await Section("peers", failures, () => PeerBench.Rows(pki, N(60_000), tlsLimit, failures)));
        Report(rows, failures, quick ? "quick.md" : "latest.md", clock);
    }

    /// <summary>
    /// The rows the peers are compared with (L1, C1 and C2 on one channel, C3) and the peers themselves, in one run
    /// (scripts/bench.sh peers); written to bench/results/peers.md.
    /// </summary>
    public static async Task Peers(int count)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"# ActorQm against its peers: {BenchReport.Machine()}");
        var pki = DevPki.Create();
        var failures = new List<string>();
        var rows = await Section("channels", failures, () => ChannelBench.Rows(pki, count, [1]));
        var tlsLimit = rows.FirstOrDefault(r => r.Id == "L1")?.Value ?? double.NaN;
        rows.AddRange(await Section("clients", failures, () => ClientBench.Rows(pki, count, 1_000, tlsLimit)));
        rows.AddRange(await Section("peers", failures, () => PeerBench.Rows(pki, count, tlsLimit, failures)));
        Report(rows, failures, "peers.md", clock);
    }

    private static void Report(List<BenchRow> rows, List<string> failures, string file, Stopwatch clock)
    {
        var notes = Targets(rows).Concat(failures).ToList();
        Console.WriteLine();
        Console.Write(BenchReport.Table(rows, ChannelBench.Size));
        Console.WriteLine();
        foreach (var note in notes)
        {
            Console.WriteLine("- " + note);
        }

        var path = Path.Combine("bench", "results", file);
        BenchReport.Write(path, rows, ChannelBench.Size, clock.Elapsed, notes);
        Console.WriteLine($"Written to {path} after {clock.Elapsed.TotalMinutes:F1} min.");
    }

    /// <summary>One part of the table; a part that fails is counted and named in the notes, and the run goes on.</summary>
    private static async Task<List<BenchRow>> Section(string name, List<string> failures, Func<Task<List<BenchRow>>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"bench: the {name} section failed: {e.GetBaseException().Message}");
            failures.Add($"FAILED: the {name} section did not complete ({e.GetBaseException().GetType().Name}: {e.GetBaseException().Message}); its rows are missing");
            return [];
        }
    }

    /// <summary>The targets of the benchmark issue (issue 19), judged on this run's rows; a row this run lacks is said so.</summary>
    private static IEnumerable<string> Targets(List<BenchRow> rows)
    {
        BenchRow? Row(string id, string contains) => rows.FirstOrDefault(r => r.Id == id && r.Name.Contains(contains, StringComparison.Ordinal));
        string Verdict(bool met) => met ? "met" : "NOT met";
        if (Row("C1", ", 1 channel") is { } c1)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"C1 >= 0.25 x L1 (TLS), non-persistent (NPMSPEED(FAST)), 1 channel: {c1.Ratio:F3} x, {Verdict(c1.Ratio >= 0.25)}");
        }

        if (rows.Where(r => r.Id == "C1").MaxBy(r => r.Value) is { } c1Best)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"best C1 ({c1Best.Name}): {c1Best.Ratio:F3} x L1 (TLS)");
        }

        if (Row("C3", "client") is { } c3)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"C3 synchronous calls >= 2 x 29,560 msgs/s (the rate before issue 19): {c3.Value:F0}, {Verdict(c3.Value >= 2 * 29_560)}");
        }

        if (Row("M2", "heap per queued message") is { } heap && Row("M2", "restart to first get") is { } restart)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"M2 deep queue: heap per queued message <= 2 x its payload: {heap.Ratio:F2} x, {Verdict(heap.Ratio <= 2)}; restart to first get <= 10 s: {restart.Value:F1} s, {Verdict(restart.Value <= 10)}");
        }

        if (Row("H1", "(warm cache)") is { } h1)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"H1 full validation with warm caches >= 0.9 x bare SslStream (no resumption at either): {h1.Ratio:F2} x, {Verdict(h1.Ratio >= 0.9)}");
        }

        var natsCore = Row("P1", "core");
        var jetStream = Row("P2", "JetStream");
        var rabbitPersistent = Row("P4", "persistent");
        if (Row("C1", ", 1 channel") is { } c1Peer && natsCore is not null)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"C1 >= 2 x NATS core pub/sub: {c1Peer.Value / natsCore.Value:F2} x, {Verdict(c1Peer.Value >= 2 * natsCore.Value)}");
        }

        if (Row("C2", ", 1 channel") is { } c2)
        {
            if (jetStream is not null)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"C2 >= 2 x NATS JetStream file: {c2.Value / jetStream.Value:F2} x, {Verdict(c2.Value >= 2 * jetStream.Value)} (C2 fsyncs each batch, JetStream's file store does not)");
            }

            if (rabbitPersistent is not null)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"C2 >= 4 x RabbitMQ persistent with confirms: {c2.Value / rabbitPersistent.Value:F2} x, {Verdict(c2.Value >= 4 * rabbitPersistent.Value)}");
            }
        }

        if (Row("C3", "read-ahead") is { } c3Ahead && natsCore is not null)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"C3 asynchronous put + read-ahead >= 1.0 x NATS core pub/sub: {c3Ahead.Value / natsCore.Value:F2} x, {Verdict(c3Ahead.Value >= natsCore.Value)}");
        }

        foreach (var mode in new[] { "sequential", "concurrent" })
        {
            if (Row("C5", mode) is { } c5 && Row("P5", mode) is { } natsConnects)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"C5 client connects, {mode}, >= 1.0 x NATS connects: {c5.Value / natsConnects.Value:F2} x, {Verdict(c5.Value >= natsConnects.Value)}");
            }
        }

        if (Row("T1", "non-persistent") is { } t1)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"TLS on / TLS off, the same channel, non-persistent >= 0.85: {t1.Ratio:F2}, {Verdict(t1.Ratio >= 0.85)}");
        }

        if (natsCore is null)
        {
            yield return "Not measured by this run: the ratios to NATS and RabbitMQ (scripts/bench.sh peers installs and runs them)";
        }
    }
}
