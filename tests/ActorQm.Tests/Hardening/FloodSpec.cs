using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// 2,000 hostile connections from one address against a queue manager's TLS listener: connections that
/// send nothing, connections that stall half-way through a ClientHello, and connections opened and
/// closed as fast as possible. The queue manager must stay within bounded memory, close the stalled
/// ones within its handshake step timeout, and a legitimate client from another address must connect
/// within 2 seconds while the flood goes on. ACTORQM_FLOOD_REPORT gets the figures.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FloodSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private const int Silent = 1000;
    private const int Stalled = 500;
    private const int Churn = 500;
    private readonly TempDirectory _dir = new();
    private readonly List<TcpClient> _flood = [];

    [Fact]
    public async Task Flood_must_not_keep_a_legitimate_client_out_nor_grow_without_bound()
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qmfkey", "ibmwebspheremqqmf", TestPki.Leaf(TestPki.Shared.Ca, "CN=QMF,OU=MQ,O=Example").WithKey());
        var qm = await QueueManagerPair.Start(Sys, _dir, "QMF", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('O=Example')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') BACKLOG(4096) CONTROL(QMGR)
            """, "tls { handshake-step-timeout = 3s, max-handshakes-per-address = 64 }");
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        var heapBefore = Heap();

        // The flood, all from 127.0.0.1: silent sockets, half a TLS record header, and churn.
        var opened = 0;
        for (var i = 0; i < Silent + Stalled; i++)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                if (i >= Silent)
                {
                    await client.GetStream().WriteAsync(new byte[] { 0x16, 0x03 });
                }

                _flood.Add(client);
                opened++;
            }
            catch (SocketException)
            {
                client.Dispose();
            }
        }

        using var stopChurn = new CancellationTokenSource();
        var churned = 0;
        var churn = Task.Run(async () =>
        {
            while (!stopChurn.IsCancellationRequested && churned < Churn)
            {
                using var c = new TcpClient();
                try
                {
                    await c.ConnectAsync(IPAddress.Loopback, port);
                    churned++;
                }
                catch (SocketException)
                {
                }
            }
        });

        // A legitimate client from another address, while the flood is open.
        var clock = Stopwatch.StartNew();
        await using (var good = await MqClient.ConnectAsync(Options(port, IPAddress.Parse("127.0.0.2"))))
        {
            var connected = clock.Elapsed;
            var queue = await good.OpenAsync("APP.IN", ClientOpenPurpose.Output);
            await queue.PutAsync(Text("through the flood", Persistence.Persistent));
            Output!.WriteLine($"legitimate client connected {connected.TotalMilliseconds:F0} ms into the flood");
            Assert.True(connected < TimeSpan.FromSeconds(2), $"the legitimate client took {connected.TotalSeconds:F1} s");
        }

        await churn;
        var heapDuring = Heap();

        // The step timeout (3 s) closes every stalled connection the queue manager took.
        var closedClock = Stopwatch.StartNew();
        await AwaitAssertAsync(() => Assert.All(_flood, c => Assert.True(IsClosedByPeer(c))), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250));
        var allClosed = closedClock.Elapsed;
        var growth = (heapDuring - heapBefore) / 1024.0 / 1024.0;
        var line = $"flood: {opened} stalled/silent connections + {churned} open-close from one address; legitimate client from another address connected in time; heap grew {growth:F1} MiB; every stalled connection closed {allClosed.TotalSeconds:F1} s after the check began (step timeout 3 s)";
        Output!.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ACTORQM_FLOOD_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, line + "\n");
        }

        Assert.True(growth < 64, $"heap grew {growth:F1} MiB under the flood");
        Assert.Equal("through the flood", Text(await new ActorQm.QueueManagers.QueueManagerConnection(qm.Actor, "flood").GetAsync("APP.IN")));
    }

    private MqClientOptions Options(int port, IPAddress from)
    {
        var path = QueueManagerPair.KeyRepository(_dir, "client", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = "APP.SVRCONN", QueueManager = "QMF", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QMF,OU=MQ,O=Example", ApplicationName = "flood-spec", LocalAddress = from, Timeout = TimeSpan.FromSeconds(10),
        };
    }

    /// <summary>The queue manager closed it: a read returns end of stream or a reset at once.</summary>
    private static bool IsClosedByPeer(TcpClient client)
    {
        try
        {
            // Readable with nothing to read, or with a TLS alert before the close: the other end is done with it.
            return client.Client.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(true);
    }

    public new void Dispose()
    {
        foreach (var client in _flood)
        {
            client.Dispose();
        }

        base.Dispose();
        _dir.Dispose();
    }
}
