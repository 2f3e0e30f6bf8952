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
        var rows = await ChannelBench.Rows(pki, N(60_000), [1, 4, 16]);
        var tlsLimit = rows[0].Value;
        rows.AddRange(await ClientBench.Rows(pki, N(60_000), N(5_000), tlsLimit));
        rows.AddRange(await HandshakeBench.Run(N(500)));
        rows.AddRange(await FootprintBench.Rows(pki, quick ? 100 : 1000));

        var notes = Targets(rows).ToList();
        Console.WriteLine();
        Console.Write(BenchReport.Table(rows, ChannelBench.Size));
        Console.WriteLine();
        foreach (var note in notes)
        {
            Console.WriteLine("- " + note);
        }

        var path = Path.Combine("bench", "results", quick ? "quick.md" : "latest.md");
        BenchReport.Write(path, rows, ChannelBench.Size, clock.Elapsed, notes);
        Console.WriteLine($"Written to {path} after {clock.Elapsed.TotalMinutes:F1} min.");
    }

    /// <summary>The targets of the benchmark issue, judged on this run's rows.</summary>
    private static IEnumerable<string> Targets(List<BenchRow> rows)
    {
        BenchRow Row(string id, string contains) => rows.First(r => r.Id == id && r.Name.Contains(contains, StringComparison.Ordinal));
        string Verdict(bool met) => met ? "met" : "NOT met";
        var c1 = Row("C1", ", 1 channel");
        yield return string.Create(CultureInfo.InvariantCulture, $"C1 >= 0.5 x L1 (TLS), non-persistent, 1 channel: {c1.Ratio:F3} x, {Verdict(c1.Ratio >= 0.5)}");
        var c1Best = rows.Where(r => r.Id == "C1").MaxBy(r => r.Value)!;
        yield return string.Create(CultureInfo.InvariantCulture, $"best C1 ({c1Best.Name}): {c1Best.Ratio:F3} x L1 (TLS)");
        var c3 = Row("C3", "client");
        yield return string.Create(CultureInfo.InvariantCulture, $"C3 >= 140,000 msgs/s: {c3.Value:F0}, {Verdict(c3.Value >= 140_000)}");
        var c2 = Row("C2", ", 1 channel");
        var c2Best = rows.Where(r => r.Id == "C2").MaxBy(r => r.Value)!;
        yield return string.Create(CultureInfo.InvariantCulture, $"C2 >= 30,000 persistent msgs/s (fsync per batch): 1 channel {c2.Value:F0}, {Verdict(c2.Value >= 30_000)}; best {c2Best.Value:F0} ({c2Best.Name}), {Verdict(c2Best.Value >= 30_000)}");
        yield return "TLS on >= 0.85 x TLS off on the same channel: not measurable, ActorQm message channels run over TLS only (no plaintext channel to compare); the raw pipes show TLS's own cost (L1 rows)";
        var h1 = Row("H1", "(warm cache)");
        yield return string.Create(CultureInfo.InvariantCulture, $"H1 full validation with warm caches >= 1.0 x bare SslStream: {h1.Ratio:F2} x, {Verdict(h1.Ratio >= 1.0)}");
    }
}
