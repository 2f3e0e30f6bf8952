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
}
