using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Bench;

/// <summary>
/// Channel throughput QM1 -> QM2 over a mutually authenticated TLS 1.3 channel (AES-128-GCM),
/// 1 KiB messages, against the limit measured in the same run: a raw SslStream pipe pushing the
/// same 1 KiB length-prefixed frames one way, and the same over a plain socket.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ChannelBench
{
    internal const int Size = 1024;

    /// <summary>ACTORQM_BENCH_PIPELINE: the senders' channels.pipeline-length, to compare lengths in one session; unset: reference.conf's.</summary>
    private static int? PipelineLength =>
        int.TryParse(Environment.GetEnvironmentVariable("ACTORQM_BENCH_PIPELINE"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) ? length : null;

    public static async Task Run(int count)
    {
        Console.WriteLine($"# ActorQm channel bench: {count} messages of {Size} B, pipeline-length {PipelineLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}, {BenchReport.Machine()}");
        var rows = await Rows(DevPki.Create(), count, [1]);
        Console.Write(BenchReport.Table(rows, Size));
    }

    /// <summary>L1 (the limits), then C1 (non-persistent) and C2 (persistent) with each number of channels in <paramref name="channels"/>.</summary>
    public static async Task<List<BenchRow>> Rows(DevPki pki, int count, IReadOnlyList<int> channels)
    {
        var qm1 = pki.Issue($"CN=QM1,{DevPki.Organisation}");
        var qm2 = pki.Issue($"CN=QM2,{DevPki.Organisation}");
        var tlsLimit = await RawPipe(count * 10, pki, qm1, qm2, tls: true);
        var plainLimit = await RawPipe(count * 10, pki, qm1, qm2, tls: false);
        var rows = new List<BenchRow>
        {
            new("L1", "raw SslStream pipe, TLS 1.3 AES-128-GCM, one way", tlsLimit, "msgs/s", 1, "L1 TLS", "4-byte length + 1 KiB frames, 64 KiB writes: the physical limit"),
            new("L1", "raw socket pipe, no TLS, one way", plainLimit, "msgs/s", plainLimit / tlsLimit, "L1 TLS", "same frames; TLS costs 1 - L1 TLS / L1 plain"),
        };
        // Not timed: the channel code is compiled and tiered up first, as the raw pipe's far simpler loop is within its run;
        // otherwise the JIT takes a tenth of the first timed channel run (measured with perf).
        foreach (var persistence in new[] { Persistence.NotPersistent, Persistence.Persistent })
        {
            await Channel(Math.Min(count, 20_000), pki, qm1, qm2, persistence, 1);
        }

        foreach (var persistence in new[] { Persistence.NotPersistent, Persistence.Persistent })
        {
            foreach (var n in channels)
            {
                var (rate, cpu, allocated) = await Channel(count * Math.Min(n, 4), pki, qm1, qm2, persistence, n);
                var persistent = persistence == Persistence.Persistent;
                rows.Add(new(persistent ? "C2" : "C1", $"channel QM1->QM2, mutual TLS 1.3, {(persistent ? "persistent" : "non-persistent")}, {n} channel{(n == 1 ? string.Empty : "s")}",
                    rate, "msgs/s", rate / tlsLimit, "L1 TLS", (persistent
                        ? "BATCHSZ(50); each batch durable (fsync) at the receiver before its confirm"
                        : "NPMSPEED(FAST): outside the batches, put on arrival, no journal write") + string.Create(CultureInfo.InvariantCulture, $"; per message, both ends: {cpu:F1} µs of CPU, {allocated:F0} bytes allocated")));
            }
        }

        // The same single channel with no TLS at all (tls.development-channels-in-the-clear, a development setting): what TLS
        // costs the channel, against what it costs the raw pipe (L1).
        foreach (var persistence in new[] { Persistence.NotPersistent, Persistence.Persistent })
        {
            var persistent = persistence == Persistence.Persistent;
            var id = persistent ? "C2" : "C1";
            var (rate, cpu, allocated) = await Channel(count, pki, qm1, qm2, persistence, 1, tls: false);
            var withTls = rows.FirstOrDefault(r => r.Id == id && r.Name.EndsWith(", 1 channel", StringComparison.Ordinal));
            rows.Add(new(persistent ? "T2" : "T1", $"the same channel in the clear (no TLS), {(persistent ? "persistent" : "non-persistent")}, 1 channel",
                rate, "msgs/s", withTls is null ? null : withTls.Value / rate, $"{id} with TLS / this",
                string.Create(CultureInfo.InvariantCulture, $"tls.development-channels-in-the-clear, SSLCIPH('') at both ends; TLS costs the channel {(withTls is null ? "?" : (1 - (withTls.Value / rate)).ToString("P0", CultureInfo.InvariantCulture))} of its rate (the raw pipe: 1 - L1 TLS / L1 plain); per message, both ends: {cpu:F1} µs of CPU, {allocated:F0} bytes allocated")));
        }

        return rows;
    }

    private static async Task<double> RawPipe(int count, DevPki pki, DevPki.Issued client, DevPki.Issued server, bool tls)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverCert = WithKey(server);
        var clientCert = WithKey(client);
        var accept = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            Stream stream = socket.GetStream();
            if (tls)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = SslStreamCertificateContext.Create(serverCert, [pki.Intermediate.Certificate], offline: true),
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                });
                stream = ssl;
            }

            var buffer = new byte[64 * 1024];
            long total = 0;
            var expected = (long)count * (Size + 4);
            while (total < expected)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        });
        using var clientSocket = new TcpClient { NoDelay = true };
        await clientSocket.ConnectAsync(IPAddress.Loopback, port);
        Stream output = clientSocket.GetStream();
        if (tls)
        {
            var ssl = new SslStream(output);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "qm2",
                ClientCertificateContext = SslStreamCertificateContext.Create(clientCert, [pki.Intermediate.Certificate], offline: true),
                EnabledSslProtocols = SslProtocols.Tls13,
                CipherSuitesPolicy = new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256]),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            output = ssl;
        }

        var perWrite = 64 * 1024 / (Size + 4);
        var batch = new byte[perWrite * (Size + 4)];
        for (var i = 0; i < perWrite; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(i * (Size + 4)), Size);
        }

        var sw = Stopwatch.StartNew();
        for (var sent = 0; sent < count; sent += perWrite)
        {
            var frames = Math.Min(perWrite, count - sent);
            await output.WriteAsync(batch.AsMemory(0, frames * (Size + 4)));
        }

        await output.FlushAsync();
        await accept;
        var rate = count / sw.Elapsed.TotalSeconds;
        await output.DisposeAsync();
        return rate;
    }

    /// <summary>Fills QM1's transmission queues with the channels stopped, then times START CHANNEL until the senders have committed every message.</summary>
    /// <returns>Messages per second, and the process's CPU time per message over the timed part (both queue managers and
    /// both TLS ends are in this process): a figure a busy machine disturbs far less than the rate; and the managed bytes
    /// allocated per message, which it does not disturb at all.</returns>
    private static async Task<(double Rate, double CpuMicroseconds, double AllocatedBytes)> Channel(int count, DevPki pki, DevPki.Issued qm1Cert, DevPki.Issued qm2Cert, Persistence persistence, int channels, bool tls = true)
    {
        // In the clear: no CipherSpec and no peer filter at either end, under the development setting at both.
        var (receiverTls, senderTls) = tls ? ("SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1')", "SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2')") : ("SSLCIPH('')", "SSLCIPH('')");
        var clear = tls ? string.Empty : "tls.development-channels-in-the-clear = on\n";
        var dir = Directory.CreateTempSubdirectory("actorqm-chlbench-").FullName;
        var system = ActorSystem.Create("chlbench", "akka.loglevel = ERROR");
        try
        {
            pki.WriteKeyRepository(Path.Combine(dir, "qm1key"), "ibmwebspheremqqm1", qm1Cert);
            pki.WriteKeyRepository(Path.Combine(dir, "qm2key"), "ibmwebspheremqqm2", qm2Cert);
            var receivers = string.Join("\n", Enumerable.Range(1, channels).Select(i => $"DEFINE CHANNEL(QM1.QM2.C{i}) CHLTYPE(RCVR) {receiverTls}"));
            var qm2 = await Start(system, dir, "QM2", $"""
                ALTER QMGR SSLKEYR('{dir}/qm2key')
                DEFINE QLOCAL(APP.IN) MAXDEPTH(999999999)
                {receivers}
                DEFINE LISTENER(L) IPADDR('127.0.0.1') PORT(0) CONTROL(QMGR)
                """, clear);
            var port = await ListenerPort(qm2);
            var senders = string.Join("\n", Enumerable.Range(1, channels).Select(i => $"""
                DEFINE QLOCAL(XQ{i}) USAGE(XMITQ) MAXDEPTH(999999999)
                DEFINE QREMOTE(APP.R{i}) RNAME(APP.IN) RQMNAME(QM2) XMITQ(XQ{i})
                DEFINE CHANNEL(QM1.QM2.C{i}) CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ(XQ{i}) {senderTls} BATCHSZ(50)
                """));
            var qm1 = await Start(system, dir, "QM1", $"""
                ALTER QMGR SSLKEYR('{dir}/qm1key')
                {senders}
                """, clear + (PipelineLength is { } pipeline ? $"channels.pipeline-length = {pipeline}" : string.Empty));
            var payload = new byte[Size];
            Random.Shared.NextBytes(payload);
            var connection = new QueueManagerConnection(qm1, "bench");
            var outputs = new List<OpenedQueue>();
            for (var i = 1; i <= channels; i++)
            {
                outputs.Add(await connection.OpenAsync($"APP.R{i}", Mqi.QueueManagerApi.OpenPurpose.Output));
            }

            var message = new MqMessage(new MessageDescriptor { Persistence = persistence }, payload);
            for (var start = 0; start < count; start += 512)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(512, count - start)).Select(k => outputs[k % channels].PutAsync(message)));
            }

            // On stderr, so a profiler can be attached to the timed part alone.
            await Console.Error.WriteLineAsync($"# timing {count} {persistence} messages over {channels} channel(s)");
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            await connection.RunMqscAsync(string.Join("\n", Enumerable.Range(1, channels).Select(i => $"START CHANNEL(QM1.QM2.C{i})")));
            // Until every message is on the target queue (NPMSPEED(FAST) messages count once put there, not once sent).
            var target = new QueueManagerConnection(qm2, "bench");
            while (true)
            {
                var depth = (await target.RunMqscAsync("DISPLAY QSTATUS(APP.IN)")).Results[0].Objects[0].Attributes.Single(a => a.Name == "CURDEPTH").Value;
                if (int.Parse(depth, System.Globalization.CultureInfo.InvariantCulture) >= count)
                {
                    break;
                }

                // An MQSC DISPLAY costs the receiving queue manager some work: asked every 10 ms, not every 2.
                await Task.Delay(10);
            }

            var rate = count / sw.Elapsed.TotalSeconds;
            var cpuPerMessage = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count;
            var allocatedPerMessage = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)count;
            // The senders end first, so no channel reports its partner going away.
            await QueueManagerBootstrap.StopAsync(qm1);
            return (rate, cpuPerMessage, allocatedPerMessage);
        }
        finally
        {
            await system.Terminate();
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task<int> ListenerPort(IActorRef qm)
    {
        while (true)
        {
            var listeners = await qm.Ask<Channel.Listeners>(QueueManager.GetListeners.Instance, TimeSpan.FromSeconds(5));
            if (listeners.Bound.Count > 0)
            {
                return listeners.Bound.Values.First().Port;
            }

            await Task.Delay(20);
        }
    }

    internal static async Task<IActorRef> Start(ActorSystem system, string dir, string name, string script, string hocon = "")
    {
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".mqsc"), script);
        var settings = ActorQmSettings.ForQueueManager(name, ConfigurationFactory.ParseString($"store.path = \"{dir}/{name}.db\"\n{hocon}")) with { MqscFile = Path.Combine(dir, name + ".mqsc") };
        return (await QueueManagerBootstrap.StartAsync(system, settings)).Actor;
    }

    private static X509Certificate2 WithKey(DevPki.Issued issued) =>
        X509CertificateLoader.LoadPkcs12(issued.Certificate.CopyWithPrivateKey(issued.Key).Export(X509ContentType.Pkcs12), null);
}
