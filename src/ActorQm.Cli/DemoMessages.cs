using System.Diagnostics;
using ActorQm.Messages;

namespace ActorQm.Cli;

/// <summary>What the demos send: numbered payloads that can be checked byte for byte, and a bounded pipeline of requests.</summary>
internal static class DemoMessages
{
    /// <summary>Runs <paramref name="count"/> requests with a bounded number in flight, keeping issue order in the results.</summary>
    public static async Task<List<T>> Pipelined<T>(int count, Func<int, Task<T>> op, string label, bool quiet = false)
    {
        const int window = 512;
        var results = new List<T>(count);
        var progress = Stopwatch.StartNew();
        for (var start = 0; start < count; start += window)
        {
            var batch = Enumerable.Range(start, Math.Min(window, count - start)).Select(op).ToArray();
            results.AddRange(await Task.WhenAll(batch));
            if (!quiet && progress.Elapsed > TimeSpan.FromSeconds(1))
            {
                Console.WriteLine($"  {label}: {results.Count}/{count}");
                progress.Restart();
            }
        }

        return results;
    }

    public static MqMessage Message(int index, int size, Persistence persistence)
    {
        var payload = new byte[size];
        Fill(payload, index);
        return new MqMessage(new MessageDescriptor { Persistence = persistence, Format = MessageFormats.None }, payload);
    }

    public static bool Same(MqMessage message, int index, int size)
    {
        var expected = new byte[size];
        Fill(expected, index);
        return message.Payload.Span.SequenceEqual(expected);
    }

    public static void Fill(byte[] payload, int index)
    {
        BitConverter.TryWriteBytes(payload, index);
        var x = (uint)index * 2654435761u + 1;
        for (var i = 4; i < payload.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            payload[i] = (byte)x;
        }
    }

    /// <summary>Deletes the demo's folder, or keeps it with <paramref name="restart"/> as actorqm.conf, which starts what it kept.</summary>
    public static void Keep(DirectoryInfo dir, bool keep, string? restart = null)
    {
        if (keep)
        {
            Console.WriteLine($"  kept {dir.FullName}");
            if (restart is not null)
            {
                var conf = Path.Combine(dir.FullName, "actorqm.conf");
                File.WriteAllText(conf, restart);
                Console.WriteLine($"  start what it kept: actorqm start --config {conf}");
            }
        }
        else
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The table of phases with rates; the exit code: 0 only if every phase passed.</summary>
    public static int Report(List<(string Phase, int Messages, double Seconds, bool Ok, string Note)> results, int size, int width, string passed)
    {
        Console.WriteLine();
        Console.WriteLine($"{"phase".PadRight(width)} {"messages",9} {"seconds",8} {"msgs/s",10} {"MB/s",8}  result");
        foreach (var (phase, n, seconds, ok, note) in results)
        {
            var rate = seconds > 0 ? n / seconds : 0;
            Console.WriteLine($"{phase.PadRight(width)} {n,9} {seconds,8:F2} {rate,10:F0} {rate * size / 1e6,8:F1}  {(ok ? "ok" : "FAILED")}: {note}");
        }

        var failed = results.Count(r => !r.Ok);
        Console.WriteLine(failed == 0 ? passed : $"demo FAILED: {failed} phases failed");
        return failed == 0 ? 0 : 1;
    }
}
