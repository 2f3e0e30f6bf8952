using System.Diagnostics;
using System.Globalization;
using ActorQm.Cli.Dev;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// <c>scripts/soak.sh MINUTES</c> (docs/reliability.md, "Long runs"): two queue managers with mixed traffic for a while
/// (a TLS channel QM1 to QM2 with persistent and non-persistent messages, a read-ahead consumer, clients connecting and
/// disconnecting, REFRESH SECURITY and certificate re-checks on a timer), sampling the managed heap, file handles,
/// threads and journal size every few seconds. After the warm-up (the first quarter) a least-squares line is fitted to
/// each; the run fails when one keeps growing (its growth over the run beyond a bound), not on a single high sample.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class SoakRun
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(2);

    public static async Task<int> Run(double minutes)
    {
        var duration = TimeSpan.FromMinutes(minutes);
        var pki = DevPki.Create();
        var dir = Directory.CreateTempSubdirectory("actorqm-soak-").FullName;
        var system = ActorSystem.Create("soak", $"akka.loglevel = {Environment.GetEnvironmentVariable("ACTORQM_SOAK_LOGLEVEL") ?? "ERROR"}");
        var failures = new Counter();
        var moved = new Counter();
        using var stop = new CancellationTokenSource(duration);
        try
        {
            var recheck = "tls.revocation-recheck-interval = 5s";
            var qm2 = await ClientBench.Server(system, pki, dir, """
                DEFINE QLOCAL(APP.IN) MAXDEPTH(999999999) DEFREADA(YES)
                DEFINE CHANNEL(QM1.QM2) CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1')
                """, recheck);
            var port = await ChannelBench.ListenerPort(qm2);
            pki.WriteKeyRepository(Path.Combine(dir, "qm1key"), "ibmwebspheremqqm1", pki.Issue($"CN=QM1,{DevPki.Organisation}"));
            var qm1 = await ChannelBench.Start(system, dir, "QM1", $"""
                ALTER QMGR SSLKEYR('{dir}/qm1key')
                DEFINE QLOCAL(QM2) USAGE(XMITQ) MAXDEPTH(999999999) TRIGGER TRIGTYPE(FIRST) TRIGDATA(QM1.QM2)
                DEFINE QREMOTE(APP.REMOTE) RNAME(APP.IN) RQMNAME(QM2) XMITQ(QM2)
                DEFINE CHANNEL(QM1.QM2) CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ(QM2) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2') DISCINT(0) SHORTTMR(1)
                """, recheck);

            Console.WriteLine($"# ActorQm soak: {minutes.ToString(CultureInfo.InvariantCulture)} min, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            var tasks = new[]
            {
                Produce(qm1, failures, stop.Token),
                Consume(pki, dir, port, moved, failures, stop.Token),
                Churn(pki, dir, port, failures, stop.Token),
                Refresh([qm1, qm2], failures, stop.Token),
            };
            var samples = await Watch(dir, stop.Token);
            await Task.WhenAll(tasks);
            return Report(samples, moved.Value, failures.Value, duration);
        }
        finally
        {
            await system.Terminate();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>At most about 500 messages a second to QM2 over the channel, every other one persistent.</summary>
    private static async Task Produce(IActorRef qm1, Counter failures, CancellationToken stop)
    {
        var connection = new QueueManagerConnection(qm1, "soak");
        var output = await connection.OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Output);
        var payload = new byte[512];
        for (var i = 0L; !stop.IsCancellationRequested; i++)
        {
            try
            {
                await output.PutAsync(new MqMessage(new MessageDescriptor { Persistence = i % 2 == 0 ? Persistence.Persistent : Persistence.NotPersistent }, payload));
            }
            catch (MqException)
            {
                failures.Add();
            }

            if (i % 50 == 49)
            {
                await Delay(TimeSpan.FromMilliseconds(100), stop);
            }
        }
    }

    /// <summary>
    /// One client on QM2 consuming everything that arrives, with read-ahead (DEFREADA(YES)); REFRESH SECURITY on QM2 ends
    /// client connections (docs/tls.md), so it connects again, as an application would.
    /// </summary>
    private static async Task Consume(DevPki pki, string dir, int port, Counter moved, Counter failures, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await MqClient.ConnectAsync(ClientBench.Options(pki, dir, port, "consumer"));
                var input = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);
                await foreach (var _ in input.ConsumeAsync(stop))
                {
                    moved.Add();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (MqException e) when (e.Reason is MqReason.ConnectionBroken)
            {
                await Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (MqException)
            {
                failures.Add();
                await Delay(TimeSpan.FromMilliseconds(100), stop);
            }
        }
    }

    /// <summary>Clients that connect, put and get a few messages and go, ten times a second.</summary>
    private static async Task Churn(DevPki pki, string dir, int port, Counter failures, CancellationToken stop)
    {
        var payload = new byte[256];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await MqClient.ConnectAsync(ClientBench.Options(pki, dir, port, "churn"));
                for (var i = 0; i < 5; i++)
                {
                    await client.PutAsync("APP.Q", new MqMessage(new MessageDescriptor { Persistence = i % 2 == 0 ? Persistence.Persistent : Persistence.NotPersistent }, payload));
                }

                var input = await client.OpenAsync("APP.Q", ClientOpenPurpose.Input);
                for (var i = 0; i < 5; i++)
                {
                    await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) });
                }
            }
            catch (MqException e) when (e.Reason is MqReason.ConnectionBroken)
            {
                // Ended by a REFRESH SECURITY: what it had not committed went back; the next client connects again.
            }
            catch (MqException)
            {
                failures.Add();
            }

            await Delay(TimeSpan.FromMilliseconds(100), stop);
        }
    }

    /// <summary>REFRESH SECURITY TYPE(SSL) on both queue managers every five seconds (the channel restarts with it).</summary>
    private static async Task Refresh(IActorRef[] qms, Counter failures, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Delay(TimeSpan.FromSeconds(5), stop);
            foreach (var qm in qms)
            {
                if ((await new QueueManagerConnection(qm, "soak").RunMqscAsync("REFRESH SECURITY TYPE(SSL)")).Failed > 0)
                {
                    failures.Add();
                }
            }
        }
    }

    private static async Task<List<Sample>> Watch(string dir, CancellationToken stop)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            await Delay(SampleEvery, stop);
            using var process = Process.GetCurrentProcess();
            samples.Add(new Sample(
                clock.Elapsed.TotalMinutes,
                GC.GetTotalMemory(forceFullCollection: true) / 1048576.0,
                Directory.GetFiles("/proc/self/fd").Length,
                process.Threads.Count,
                Directory.GetFiles(dir, "*.db*").Sum(f => new FileInfo(f).Length) / 1048576.0));
        }

        return samples;
    }

    private static int Report(List<Sample> samples, long moved, long failures, TimeSpan duration)
    {
        var measured = samples.Skip(samples.Count / 4).ToList();
        var span = measured.Count > 1 ? measured[^1].Minutes - measured[0].Minutes : 0;
        (string Name, string Unit, Func<Sample, double> Value, Func<double, double> Bound)[] figures =
        [
            ("managed heap", "MiB", s => s.HeapMiB, mean => Math.Max(16, mean * 0.25)),
            ("file handles", "", s => s.Handles, _ => 32),
            ("threads", "", s => s.Threads, _ => 16),
            ("journal files", "MiB", s => s.JournalMiB, mean => Math.Max(16, mean * 0.5)),
        ];
        Console.WriteLine($"{samples.Count} samples every {SampleEvery.TotalSeconds} s; the first quarter is warm-up; {moved} messages consumed through the channel, {failures} failed operations");
        Console.WriteLine();
        Console.WriteLine("| figure | first | last | mean | growth over the measured run (fitted) | bound | verdict |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        var failed = failures > 0 || moved == 0 || measured.Count < 4;
        foreach (var (name, unit, value, bound) in figures)
        {
            var ys = measured.Select(value).ToList();
            var mean = ys.Count > 0 ? ys.Average() : 0;
            var growth = Slope(measured.Select(s => s.Minutes).ToList(), ys) * span;
            var limit = bound(mean);
            var ok = growth <= limit;
            failed |= !ok;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {ys.FirstOrDefault():0.#} {unit} | {ys.LastOrDefault():0.#} {unit} | {mean:0.#} {unit} | {growth:+0.##;-0.##;0} {unit} | {limit:0.#} {unit} | {(ok ? "steady" : "GROWING")} |"));
        }

        Console.WriteLine();
        Console.WriteLine(failed ? $"soak FAILED after {duration.TotalMinutes} min" : $"soak passed: {duration.TotalMinutes} min, nothing kept growing");
        return failed ? 1 : 0;
    }

    /// <summary>Least-squares slope of y over x.</summary>
    private static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 2)
        {
            return 0;
        }

        var (mx, my) = (x.Average(), y.Average());
        var sxx = x.Sum(v => (v - mx) * (v - mx));
        return sxx == 0 ? 0 : x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum() / sxx;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed record Sample(double Minutes, double HeapMiB, int Handles, int Threads, double JournalMiB);

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add() => Interlocked.Increment(ref _value);
    }
}
