using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ActorQm.Bench;

/// <summary>One figure of the run; <see cref="Ratio"/> compares it with the limit or baseline row measured in the same run.</summary>
internal sealed record BenchRow(string Id, string Name, double Value, string Unit, double? Ratio, string RatioTo, string Note)
{
    /// <summary>Megabytes per second for message rows of <paramref name="size"/> bytes.</summary>
    public double? MegabytesPerSecond(int size) => Unit == "msgs/s" ? Value * size / 1e6 : null;
}

/// <summary>Prints the table and writes it, with the machine's facts, to a Markdown file.</summary>
internal static class BenchReport
{
    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, {Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0)} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {RuntimeInformation.ProcessArchitecture}";

    public static string Table(IReadOnlyList<BenchRow> rows, int size)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| row | measure | value | unit | MB/s | ratio | to | note |");
        sb.AppendLine("|---|---|---:|---|---:|---:|---|---|");
        foreach (var r in rows)
        {
            var mb = r.MegabytesPerSecond(size) is { } m ? m.ToString("F1", CultureInfo.InvariantCulture) : string.Empty;
            var ratio = r.Ratio is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : string.Empty;
            var value = r.Value >= 100 ? r.Value.ToString("F0", CultureInfo.InvariantCulture) : r.Value.ToString("F2", CultureInfo.InvariantCulture);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Id} | {r.Name} | {value} | {r.Unit} | {mb} | {ratio} | {r.RatioTo} | {r.Note} |");
        }

        return sb.ToString();
    }

    public static void Write(string path, IReadOnlyList<BenchRow> rows, int size, TimeSpan elapsed, IEnumerable<string> notes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var sb = new StringBuilder();
        sb.AppendLine("# ActorQm benchmark: latest run");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- When: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; the run took {elapsed.TotalMinutes:F1} min (`scripts/bench.sh`)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {Machine()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Messages: {size} B payloads; every ratio compares rows of this same run");
        sb.AppendLine();
        sb.Append(Table(rows, size));
        sb.AppendLine();
        foreach (var note in notes)
        {
            sb.AppendLine("- " + note);
        }

        File.WriteAllText(path, sb.ToString());
    }
}
