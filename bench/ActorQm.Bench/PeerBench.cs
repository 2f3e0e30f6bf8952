using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using ActorQm.Cli.Dev;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace ActorQm.Bench;

/// <summary>
/// P rows (issue 19, "peers in the same run"): what an application would otherwise use, measured in the same run as the
/// channel and client rows with the same 1 KiB messages, one producing and one consuming connection, mutual TLS on
/// loopback with certificates from the same dev CA: NATS core pub/sub, NATS JetStream (file storage, work-queue
/// retention, explicit acks) and RabbitMQ (a transient queue, and a durable queue with persistent messages and publisher
/// confirms). Each is timed from the first publish until the consumer has every message. The servers are Debian's
/// (scripts/bench.sh peers installs them); a peer that is not installed or fails is counted in the notes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class PeerBench
{
    private const string NatsServer = "/usr/sbin/nats-server";
    private const string RabbitServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    // Publishes awaited together: confirms and JetStream acks are pipelined as their clients allow, not one round trip each.
    private const int Window = 256;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static async Task<List<BenchRow>> Rows(DevPki pki, int count, double tlsLimit, List<string> failures)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-peers-").FullName;
        try
        {
            var files = Pki.Write(pki, dir);
            var rows = new List<BenchRow>();
            rows.AddRange(await Peer("NATS", NatsServer, failures, () => Nats(files, dir, count, tlsLimit)));
            rows.AddRange(await Peer("RabbitMQ", RabbitServer, failures, () => Rabbit(files, dir, count, tlsLimit)));
            return rows;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<List<BenchRow>> Peer(string name, string server, List<string> failures, Func<Task<List<BenchRow>>> run)
    {
        if (!File.Exists(server))
        {
            failures.Add($"NOT RUN: {name} is not installed ({server}); scripts/bench.sh peers installs it");
            return [];
        }

        try
        {
            return await run();
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"bench: the {name} peer failed: {e}");
            failures.Add($"FAILED: the {name} peer did not complete ({e.GetBaseException().GetType().Name}: {e.GetBaseException().Message}); its rows are missing");
            return [];
        }
    }

    private static async Task<List<BenchRow>> Nats(Pki files, string dir, int count, double tlsLimit)
    {
        var port = FreePort();
        var config = Path.Combine(dir, "nats.conf");
        await File.WriteAllTextAsync(config, $$"""
            listen: "127.0.0.1:{{port}}"
            tls {
              cert_file: "{{files.ServerChain}}"
              key_file: "{{files.ServerKey}}"
              ca_file: "{{files.Root}}"
              verify: true
              timeout: 5
            }
            jetstream {
              store_dir: "{{Path.Combine(dir, "jetstream")}}"
            }
            """);
        using var server = Start(NatsServer, $"-c {config}", dir, "nats", []);
        await WaitForPort(port, server);
        var options = NatsOpts.Default with
        {
            Url = $"tls://127.0.0.1:{port}",
            TlsOpts = new NatsTlsOpts
            {
                Mode = TlsMode.Require,
                CaFile = files.Root,
                ConfigureClientAuthentication = tls =>
                {
                    tls.EnabledSslProtocols = SslProtocols.Tls13;
                    tls.ClientCertificateContext = files.ClientContext;
                    return ValueTask.CompletedTask;
                },
            },
            SubPendingChannelFullMode = BoundedChannelFullMode.Wait,
        };
        var payload = Payload();

        await using var producer = new NatsConnection(options);
        await using var consumer = new NatsConnection(options);
        await producer.ConnectAsync();
        await consumer.ConnectAsync();

        // Core pub/sub: at most once, held in memory only.
        await using var subscription = await consumer.SubscribeCoreAsync<byte[]>("bench.core");
        await consumer.PingAsync();
        var core = await Timed(count, async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await producer.PublishAsync("bench.core", payload);
            }
        }, async () =>
        {
            var got = 0;
            await foreach (var _ in subscription.Msgs.ReadAllAsync())
            {
                if (++got == count)
                {
                    return;
                }
            }
        });

        // JetStream: every publish acknowledged once stored in the file store, every delivery acknowledged by the consumer.
        var js = new NatsJSContext(producer);
        await js.CreateStreamAsync(new StreamConfig("BENCH", ["bench.js"]) { Storage = StreamConfigStorage.File, Retention = StreamConfigRetention.Workqueue });
        var stream = await new NatsJSContext(consumer).CreateOrUpdateConsumerAsync("BENCH", new ConsumerConfig("bench") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        var jetStream = await Timed(count, async () =>
        {
            var acks = new Queue<ValueTask<PubAckResponse>>();
            for (var i = 0; i < count; i++)
            {
                acks.Enqueue(js.PublishAsync("bench.js", payload));
                if (acks.Count >= Window)
                {
                    (await acks.Dequeue()).EnsureSuccess();
                }
            }

            while (acks.Count > 0)
            {
                (await acks.Dequeue()).EnsureSuccess();
            }
        }, async () =>
        {
            var got = 0;
            await foreach (var message in stream.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = 1000 }))
            {
                await message.AckAsync();
                if (++got == count)
                {
                    return;
                }
            }
        });

        // Connections made and closed, as C5: TCP + mutual TLS + NATS's CONNECT/INFO handshake (ConnectAsync waits for its PONG).
        const int connects = ClientBench.ConnectCount;
        async Task<NatsConnection> Connect()
        {
            var c = new NatsConnection(options);
            await c.ConnectAsync();
            return c;
        }

        var (sequential, sequentialFailed) = await ClientBench.Connects(Connect, connects, 1);
        var (concurrent, concurrentFailed) = await ClientBench.Connects(Connect, connects, ClientBench.ConcurrentConnects);

        return
        [
            new("P5", "NATS 2.9 client connects, TCP + mutual TLS + CONNECT + close, sequential", sequential, "per s", null, string.Empty, $"{connects} connections; {sequentialFailed} failed; the peer of C5"),
            new("P5", $"NATS 2.9 client connects, the same, {ClientBench.ConcurrentConnects} concurrent", concurrent, "per s", null, string.Empty, $"{connects} connections, {ClientBench.ConcurrentConnects} at a time; {concurrentFailed} failed"),
            new("P1", "NATS 2.9 core pub/sub, mutual TLS, 1 publisher + 1 subscriber", core, "msgs/s", core / tlsLimit, "L1 TLS", "at most once, in memory; the peer of C1 and C3"),
            new("P2", "NATS 2.9 JetStream, file storage, work-queue, publish acks + explicit acks", jetStream, "msgs/s", jetStream / tlsLimit, "L1 TLS",
                $"{Window} publishes awaited together; JetStream's file store does not fsync each write (sync every 2 min by default): not C2's guarantee"),
        ];
    }

    private static async Task<List<BenchRow>> Rabbit(Pki files, string dir, int count, double tlsLimit)
    {
        var port = FreePort();
        var home = Path.Combine(dir, "rabbit");
        Directory.CreateDirectory(home);
        var config = Path.Combine(home, "rabbitmq.conf");
        await File.WriteAllTextAsync(config, $"""
            listeners.tcp = none
            listeners.ssl.default = 127.0.0.1:{port}
            ssl_options.cacertfile = {files.Authorities}
            ssl_options.certfile = {files.ServerChain}
            ssl_options.keyfile = {files.ServerKey}
            ssl_options.verify = verify_peer
            ssl_options.fail_if_no_peer_cert = true
            ssl_options.versions.1 = tlsv1.3
            loopback_users = none
            """);
        await File.WriteAllTextAsync(Path.Combine(home, "enabled_plugins"), "[].");
        Dictionary<string, string> environment = new()
        {
            ["HOME"] = home,
            ["RABBITMQ_CONFIG_FILE"] = config,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(home, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(home, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(home, "log"),
            ["RABBITMQ_NODENAME"] = $"bench{port}@localhost",
            ["RABBITMQ_DIST_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ERL_EPMD_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var server = Start(RabbitServer, string.Empty, home, "rabbitmq", environment);
        await WaitForPort(port, server, TimeSpan.FromSeconds(90));
        var factory = new ConnectionFactory
        {
            HostName = "127.0.0.1",
            Port = port,
            Ssl = new SslOption
            {
                Enabled = true,
                ServerName = "localhost",
                Version = SslProtocols.Tls13,
                Certs = [files.ClientWithKey],
                CertificateValidationCallback = files.ValidateServer,
            },
        };
        var payload = Payload();
        double transient, durable;
        try
        {
            transient = await RabbitRun(factory, "bench.transient", persistent: false, count, payload);
            durable = await RabbitRun(factory, "bench.durable", persistent: true, count, payload);
        }
        finally
        {
            server.Dispose();
            // Erlang's port mapper daemonises itself: it is not in the server's process tree.
            using var epmd = Process.Start(new ProcessStartInfo("epmd", "-kill") { Environment = { ["ERL_EPMD_PORT"] = environment["ERL_EPMD_PORT"] }, RedirectStandardOutput = true });
            await (epmd?.WaitForExitAsync() ?? Task.CompletedTask);
        }

        return
        [
            new("P3", "RabbitMQ 3.10, transient queue, mutual TLS, 1 publisher + 1 consumer", transient, "msgs/s", transient / tlsLimit, "L1 TLS", "no confirms, automatic acks; the peer of C1"),
            new("P4", "RabbitMQ 3.10, durable queue, persistent messages, publisher confirms", durable, "msgs/s", durable / tlsLimit, "L1 TLS", $"{Window} publishes awaited together; the peer of C2"),
        ];
    }

    private static async Task<double> RabbitRun(ConnectionFactory factory, string queue, bool persistent, int count, byte[] payload)
    {
        await using var producer = await factory.CreateConnectionAsync();
        await using var consumer = await factory.CreateConnectionAsync();
        await using var publish = await producer.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: persistent, publisherConfirmationTrackingEnabled: persistent));
        await using var consume = await consumer.CreateChannelAsync();
        await publish.QueueDeclareAsync(queue, durable: persistent, exclusive: false, autoDelete: false);
        await consume.BasicQosAsync(0, 1000, false);
        var got = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deliveries = new AsyncEventingBasicConsumer(consume);
        deliveries.ReceivedAsync += async (_, delivery) =>
        {
            if (persistent)
            {
                await consume.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            }

            if (++got == count)
            {
                all.TrySetResult();
            }
        };
        await consume.BasicConsumeAsync(queue, autoAck: !persistent, deliveries);
        var properties = new BasicProperties { Persistent = persistent };
        return await Timed(count, async () =>
        {
            var confirms = new Queue<ValueTask>();
            for (var i = 0; i < count; i++)
            {
                confirms.Enqueue(publish.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, payload));
                if (confirms.Count >= Window)
                {
                    await confirms.Dequeue();
                }
            }

            while (confirms.Count > 0)
            {
                await confirms.Dequeue();
            }
        }, () => all.Task);
    }

    /// <summary>Messages per second from the first publish until the consumer has all of them.</summary>
    private static async Task<double> Timed(int count, Func<Task> produce, Func<Task> consume)
    {
        var clock = Stopwatch.StartNew();
        var consumed = Task.Run(consume);
        await produce();
        await consumed.WaitAsync(Limit);
        return count / clock.Elapsed.TotalSeconds;
    }

    private static byte[] Payload()
    {
        var payload = new byte[ChannelBench.Size];
        new Random(19).NextBytes(payload);
        return payload;
    }

    private static Server Start(string path, string arguments, string dir, string name, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{path} did not start");
        var log = File.CreateText(Path.Combine(dir, name + ".log"));
        process.OutputDataReceived += (_, e) => Log(log, e.Data);
        process.ErrorDataReceived += (_, e) => Log(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        return new Server(process);
    }

    private static void Log(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    private static async Task WaitForPort(int port, Server server, TimeSpan? limit = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < (limit ?? TimeSpan.FromSeconds(20)))
        {
            if (server.Process.HasExited)
            {
                throw new InvalidOperationException($"the server ended with exit code {server.Process.ExitCode} before listening on {port}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"nothing listened on 127.0.0.1:{port} within {limit ?? TimeSpan.FromSeconds(20)}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A server process whose whole tree ends when the bench is done with it.</summary>
    private sealed class Server(Process process) : IDisposable
    {
        public Process Process => process;

        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            process.Dispose();
        }
    }

    /// <summary>The peers' certificates: a server certificate naming localhost and 127.0.0.1, a client certificate, the root as trust anchor.</summary>
    private sealed record Pki(string Root, string Authorities, string ServerChain, string ServerKey, X509Certificate2 ClientWithKey, SslStreamCertificateContext ClientContext, X509Certificate2 RootCertificate)
    {
        public static Pki Write(DevPki pki, string dir)
        {
            var server = pki.Issue($"CN=localhost,{DevPki.Organisation}", loopbackNames: true);
            var client = pki.Issue($"CN=bench-client,{DevPki.Organisation}");
            var root = Path.Combine(dir, "root.pem");
            File.WriteAllText(root, pki.Root.Certificate.ExportCertificatePem());
            // RabbitMQ's client sends its certificate alone: the server needs the intermediate among its CAs.
            var authorities = Path.Combine(dir, "authorities.pem");
            File.WriteAllText(authorities, pki.Root.Certificate.ExportCertificatePem() + "\n" + pki.Intermediate.Certificate.ExportCertificatePem() + "\n");
            var chain = Path.Combine(dir, "server-chain.pem");
            File.WriteAllText(chain, server.Certificate.ExportCertificatePem() + "\n" + pki.Intermediate.Certificate.ExportCertificatePem() + "\n");
            var key = Path.Combine(dir, "server.key");
            File.WriteAllText(key, server.Key.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var withKey = X509CertificateLoader.LoadPkcs12(client.Certificate.CopyWithPrivateKey(client.Key).Export(X509ContentType.Pkcs12), null);
            var context = SslStreamCertificateContext.Create(withKey, [pki.Intermediate.Certificate], offline: true);
            return new Pki(root, authorities, chain, key, withKey, context, pki.Root.Certificate);
        }

        /// <summary>The server's chain up to the dev root only (RabbitMQ's client takes a callback, not a CA file).</summary>
        public bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var own = new X509Chain();
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.Add(RootCertificate);
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
                foreach (var element in chain.ChainElements)
                {
                    own.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            return own.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        }
    }
}
