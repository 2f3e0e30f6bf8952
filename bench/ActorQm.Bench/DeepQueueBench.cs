using System.Diagnostics;
using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// M2: a deep queue. N persistent 1 KiB messages put into one local queue (SQLite journal, fsync per group commit), the
/// managed heap they hold, the time from a restart to the first get, and getting them all back in order. Every message is
/// checked on the way out; a missing or wrong one is counted, not thrown.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class DeepQueueBench
{
    private const int Window = 512;

    public static async Task<List<BenchRow>> Rows(int count)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-deepqueue-").FullName;
        var script = "DEFINE QLOCAL(DEEP) MAXDEPTH(999999999)";
        var payload = new byte[ChannelBench.Size];
        var rows = new List<BenchRow>();
        var system = ActorSystem.Create("deepqueue", "akka.loglevel = ERROR");
        try
        {
            var qm = await ChannelBench.Start(system, dir, "QMD", script);
            var output = await new QueueManagerConnection(qm, "bench").OpenAsync("DEEP", QueueManagerApi.OpenPurpose.Output);
            var heap = FootprintBench.Heap();
            var sw = Stopwatch.StartNew();
            for (var start = 0; start < count; start += Window)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(Window, count - start)).Select(i => output.PutAsync(Message(i, payload))));
            }

            var putRate = count / sw.Elapsed.TotalSeconds;
            var perMessage = (FootprintBench.Heap() - heap) / (double)count;
            rows.Add(new("M2", $"deep queue: put {count:N0} persistent messages", putRate, "msgs/s", null, string.Empty, $"{Window} puts in flight; each durable before its answer"));
            rows.Add(new("M2", "deep queue: managed heap per queued message", perMessage, "bytes", perMessage / payload.Length, "payload", "after a full GC; target <= 2 x the payload"));

            await QueueManagerBootstrap.StopAsync(qm);
            sw.Restart();
            qm = await ChannelBench.Start(system, dir, "QMD", script);
            var input = await new QueueManagerConnection(qm, "bench").OpenAsync("DEEP", QueueManagerApi.OpenPurpose.Input);
            var first = await input.GetAsync();
            var restart = sw.Elapsed.TotalSeconds;
            rows.Add(new("M2", "deep queue: restart to first get", restart, "s", null, string.Empty, "journal opened and every live message recovered; target <= 10 s"));

            var wrong = Number(first.Message) == 0 ? 0 : 1;
            sw.Restart();
            for (var start = 1; start < count; start += Window)
            {
                var got = await Task.WhenAll(Enumerable.Range(start, Math.Min(Window, count - start)).Select(_ => input.GetAsync()));
                wrong += got.Where((g, k) => Number(g.Message) != start + k).Count();
            }

            rows.Add(new("M2", "deep queue: get them all back in order", (count - 1) / sw.Elapsed.TotalSeconds, "msgs/s", null, string.Empty,
                wrong == 0 ? "every message back once, in order" : $"FAILED: {wrong} messages missing, duplicated or out of order"));
            await QueueManagerBootstrap.StopAsync(qm);
            return rows;
        }
        finally
        {
            await system.Terminate();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static MqMessage Message(int i, byte[] payload)
    {
        var body = (byte[])payload.Clone();
        BitConverter.TryWriteBytes(body, i);
        return new MqMessage(new MessageDescriptor { Persistence = Persistence.Persistent }, body);
    }

    private static int Number(MqMessage message) => BitConverter.ToInt32(message.Payload.Span);
}
