using System.Diagnostics;
using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// Client applications over a server-connection channel with mutual TLS: C3, one producer and one
/// consumer connection moving 1 KiB messages through a queue; C4, the time from a put to the get
/// that was waiting for it, one message in flight; C5, client connections made and closed per second.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ClientBench
{
    private const int Window = 64;

    /// <summary>Connections made at once in C5's concurrent row.</summary>
    internal const int ConcurrentConnects = 8;

    /// <summary>Connections made in each C5 row, and in each row of its peer (P5).</summary>
    internal const int ConnectCount = 200;

    public static async Task<List<BenchRow>> Rows(DevPki pki, int count, int samples, double tlsLimit)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-clientbench-").FullName;
        var system = ActorSystem.Create("clientbench", "akka.loglevel = ERROR");
        try
        {
            var qm = await Server(system, pki, dir);
            var port = await ChannelBench.ListenerPort(qm);
            await using var producer = await MqClient.ConnectAsync(Options(pki, dir, port, "producer"));
            await using var consumer = await MqClient.ConnectAsync(Options(pki, dir, port, "consumer"));
            var output = await producer.OpenAsync("APP.Q", ClientOpenPurpose.Output);
            var input = await consumer.OpenAsync("APP.Q", ClientOpenPurpose.Input);
            var payload = new byte[ChannelBench.Size];
            Random.Shared.NextBytes(payload);
            var message = new MqMessage(new MessageDescriptor { Persistence = Persistence.NotPersistent }, payload);
            await Throughput(output, input, message, 2_000);
            var rate = await Throughput(output, input, message, count);
            var asyncRate = await Throughput(output, input, message, count, withoutResponse: true);
            var status = await producer.StatusAsync();
            // Read-ahead: the consumer's messages come in batches ahead of its gets (its own handle, so no sync get competes).
            var ahead = await consumer.OpenAsync("APP.Q", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
            var streamedRate = await Throughput(output, ahead, message, count, withoutResponse: true, consume: true);
            await ahead.CloseAsync();
            var streamedStatus = await producer.StatusAsync();

            var latencies = new List<double>(samples);
            for (var i = 0; i < samples + 200; i++)
            {
                var waiting = input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(10) });
                var sw = Stopwatch.StartNew();
                await output.PutAsync(message);
                await waiting;
                if (i >= 200)
                {
                    latencies.Add(sw.Elapsed.TotalMilliseconds);
                }
            }

            const int connects = ConnectCount;
            var (sequential, sequentialFailed) = await Connects(() => MqClient.ConnectAsync(Options(pki, dir, port, "connects")), connects, 1);
            var (concurrent, concurrentFailed) = await Connects(() => MqClient.ConnectAsync(Options(pki, dir, port, "connects")), connects, ConcurrentConnects);

            latencies.Sort();
            double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
            return
            [
                new("C3", "client put -> QM -> client get, SVRCONN mutual TLS, non-persistent, 1 producer + 1 consumer", rate, "msgs/s", Ratio(rate, tlsLimit), "L1 TLS",
                    $"{Window} puts and {Window} gets in flight per connection"),
                new("C3", "client put (asynchronous, MQPMO_ASYNC_RESPONSE) -> QM -> client get, non-persistent", asyncRate, "msgs/s", Ratio(asyncRate, tlsLimit), "L1 TLS",
                    status.Failed == 0 ? $"puts streamed without answers; {Window} gets in flight; MQSTAT: {status.Succeeded} taken" : $"FAILED: MQSTAT counted {status.Failed} refused puts ({status.FirstFailure})"),
                new("C3", "client put (asynchronous) -> QM -> client consume with read-ahead, non-persistent", streamedRate, "msgs/s", Ratio(streamedRate, tlsLimit), "L1 TLS",
                    streamedStatus.Failed == 0 ? $"puts streamed without answers; one ConsumeAsync loop, {ServerConnectionActor.ReadAheadWindow}-message read-ahead window" : $"FAILED: MQSTAT counted {streamedStatus.Failed} refused puts ({streamedStatus.FirstFailure})"),
                new("C4", "put-to-get latency p50, one message in flight", P(0.50), "ms", null, string.Empty, $"{samples} samples: the get waits, then the put"),
                new("C4", "put-to-get latency p99", P(0.99), "ms", null, string.Empty, string.Empty),
                new("C4", "put-to-get latency p99.9", P(0.999), "ms", null, string.Empty, string.Empty),
                new("C5", "client connects, TCP + mutual TLS + full validation + initial data + close, sequential", sequential, "per s", null, string.Empty,
                    $"{connects} connections, each closed before the next; {sequentialFailed} failed; the same client certificate each time (validated-chain cache warm)"),
                new("C5", $"client connects, the same, {ConcurrentConnects} concurrent", concurrent, "per s", null, string.Empty,
                    $"{connects} connections, {ConcurrentConnects} at a time; {concurrentFailed} failed"),
            ];
        }
        finally
        {
            await system.Terminate();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A ratio to the raw TLS pipe, or none when the pipe was not measured in this run (<c>bench client</c> alone).</summary>
    private static double? Ratio(double rate, double tlsLimit) => double.IsNaN(tlsLimit) ? null : rate / tlsLimit;

    /// <summary>QM2 with a server-connection channel for any client of the dev CA, running as 'app' with MQI authority on the queues, listening on a loopback port.</summary>
    internal static async Task<IActorRef> Server(ActorSystem system, DevPki pki, string dir, string extra = "", string hocon = "")
    {
        pki.WriteKeyRepository(Path.Combine(dir, "qm2key"), "ibmwebspheremqqm2", pki.Issue($"CN=QM2,{DevPki.Organisation}"));
        return await ChannelBench.Start(system, dir, "QM2", ServerScript(dir, extra), hocon);
    }

    /// <summary>QM2's MQSC for client benchmarks: its key repository in <paramref name="dir"/>, APP.Q and a SVRCONN for any dev-PKI client.</summary>
    internal static string ServerScript(string dir, string extra = "") => $"""
            ALTER QMGR SSLKEYR('{dir}/qm2key')
            DEFINE QLOCAL(APP.Q) MAXDEPTH(999999999)
            DEFINE CHANNEL(APP.SVRCONN) CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('{DevPki.Organisation}') MCAUSER('app')
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT,INQ)
            SET AUTHREC PROFILE('**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(ALLMQI)
            DEFINE LISTENER(L) IPADDR('127.0.0.1') PORT(0) BACKLOG(2048) CONTROL(QMGR)
            {extra}
            """;

    internal static MqClientOptions Options(DevPki pki, string dir, int port, string name)
    {
        var path = Path.Combine(dir, "client-" + name);
        if (!Directory.Exists(path))
        {
            pki.WriteKeyRepository(path, "app", pki.Issue($"CN={name},{DevPki.Organisation}"));
        }

        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = "APP.SVRCONN", QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QM2", ApplicationName = "bench",
        };
    }

    private static async Task<double> Throughput(MqClientQueue output, MqClientQueue input, MqMessage message, int count, bool withoutResponse = false, bool consume = false)
    {
        var sw = Stopwatch.StartNew();
        var put = 0;
        var got = 0;
        var producing = withoutResponse
            ? Task.Run(async () =>
            {
                // MQPMO_ASYNC_RESPONSE: one writer streams the puts; nothing comes back per put.
                for (var i = 0; i < count; i++)
                {
                    await output.PutWithoutResponseAsync(message);
                }
            })
            : Task.WhenAll(Enumerable.Range(0, Window).Select(async _ =>
            {
                while (Interlocked.Increment(ref put) <= count)
                {
                    await output.PutAsync(message);
                }
            }));
        var consuming = consume ? Consume(input, count) : Task.WhenAll(Enumerable.Range(0, Window).Select(async _ =>
        {
            while (Interlocked.Increment(ref got) <= count)
            {
                await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(30) });
            }
        }));
        await Task.WhenAll(producing, consuming);
        return count / sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Connections made and closed per second, <paramref name="parallel"/> at a time; one that fails is counted, not thrown
    /// (the benchmark goes on), and the rate counts only those that succeeded.
    /// </summary>
    internal static async Task<(double PerSecond, int Failed)> Connects<T>(Func<Task<T>> connect, int count, int parallel)
        where T : IAsyncDisposable
    {
        // One connection first, untimed: the client's key repository and code paths are warm for every row alike.
        await (await connect()).DisposeAsync();
        var next = 0;
        var failed = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                try
                {
                    await (await connect()).DisposeAsync();
                }
#pragma warning disable CA1031 // A failed connect is a counted figure of the benchmark, whatever ended it.
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return ((count - failed) / sw.Elapsed.TotalSeconds, failed);
    }

    /// <summary>One asynchronous consumer taking <paramref name="count"/> messages (a stall of 30 s ends it with the cancellation).</summary>
    private static async Task Consume(MqClientQueue input, int count)
    {
        using var stalled = new CancellationTokenSource(TimeSpan.FromSeconds(30) + TimeSpan.FromMilliseconds(count));
        var taken = 0;
        await foreach (var _ in input.ConsumeAsync(stalled.Token))
        {
            if (++taken == count)
            {
                return;
            }
        }
    }
}
