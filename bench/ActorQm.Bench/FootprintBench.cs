using System.Diagnostics;
using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Client;
using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// M1: what idle connections cost. Many TLS message channels QM1 -> QM2 started at once (time until
/// all run, then the managed heap per channel), and as many idle client connections.
/// Both ends run in this process, so each figure holds both ends of a connection.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class FootprintBench
{
    // Every channel comes from 127.0.0.1: the per-address bound (64 by default, against one outsider flooding a listener)
    // would refuse most of them and the figure would measure retries, not handshakes.
    private const string Handshakes = "tls { max-concurrent-handshakes = 16, max-queued-handshakes = 4096, max-handshakes-per-address = 4096 }";

    public static async Task<List<BenchRow>> Rows(DevPki pki, int count)
    {
        var rows = new List<BenchRow>();
        var dir = Directory.CreateTempSubdirectory("actorqm-footprint-").FullName;
        var system = ActorSystem.Create("footprint", "akka.loglevel = " + (Environment.GetEnvironmentVariable("BENCH_LOGLEVEL") ?? "ERROR"));
        try
        {
            pki.WriteKeyRepository(Path.Combine(dir, "qm1key"), "ibmwebspheremqqm1", pki.Issue($"CN=QM1,{DevPki.Organisation}"));
            var qm2 = await ClientBench.Server(system, pki, dir, string.Join("\n", Enumerable.Range(1, count).Select(i =>
                $"DEFINE CHANNEL(M.C{i}) CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1')")), Handshakes);
            var port = await ChannelBench.ListenerPort(qm2);
            var qm1 = await ChannelBench.Start(system, dir, "QM1", $"""
                ALTER QMGR SSLKEYR('{dir}/qm1key')
                {string.Join("\n", Enumerable.Range(1, count).Select(i => $"""
                    DEFINE QLOCAL(XQ{i}) USAGE(XMITQ)
                    DEFINE CHANNEL(M.C{i}) CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ(XQ{i}) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2') SHORTRTY(100) SHORTTMR(1) DISCINT(0)
                    """))}
                """, Handshakes);
            var heap = Heap();
            var sw = Stopwatch.StartNew();
            await new QueueManagerConnection(qm1, "bench").RunMqscAsync(string.Join("\n", Enumerable.Range(1, count).Select(i => $"START CHANNEL(M.C{i})")));
            while ((await qm1.Ask<IReadOnlyList<ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(10))).Count(s => s.State == ChannelState.Running) < count)
            {
                await Task.Delay(50);
            }

            var started = sw.Elapsed;
            var heapAfter = Heap();
            rows.Add(new("M1", $"time to start {count} TLS channels (full handshake each)", started.TotalSeconds, "s", null, string.Empty,
                $"{count / started.TotalSeconds:F0} channels/s; at most 16 handshakes at once per side"));
            rows.Add(new("M1", "memory per idle TLS channel, both ends", (heapAfter - heap) / 1024.0 / count, "KiB heap", null, string.Empty,
                "managed heap after a full GC (the process working set moves with GC trimming, so it is not reported)"));

            heap = Heap();
            var clients = new List<MqClient>();
            try
            {
                var next = 0;
                var connecting = new List<MqClient>[8];
                await Task.WhenAll(Enumerable.Range(0, 8).Select(async k =>
                {
                    connecting[k] = [];
                    while (Interlocked.Increment(ref next) <= count)
                    {
                        connecting[k].Add(await MqClient.ConnectAsync(ClientBench.Options(pki, dir, port, "idle")));
                    }
                }));
                clients.AddRange(connecting.SelectMany(c => c));
                heapAfter = Heap();
                rows.Add(new("M1", "memory per idle client connection, both ends", (heapAfter - heap) / 1024.0 / count, "KiB heap", null, string.Empty,
                    $"{count} connected; managed heap after a full GC"));
            }
            finally
            {
                foreach (var client in clients)
                {
                    await client.DisposeAsync();
                }
            }

            return rows;
        }
        finally
        {
            await system.Terminate();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The managed heap after a full, finalised collection: what the benchmarks' per-object figures are read from.</summary>
    internal static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
