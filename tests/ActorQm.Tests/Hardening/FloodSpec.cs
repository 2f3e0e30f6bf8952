using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// 2,000 hostile connections from one address against a queue manager's TLS listener, opened kind by
/// kind and all held open together: connections that send nothing, connections that stall half-way
/// through a TLS record header, connections that send garbage, and connections opened and closed as
/// fast as possible. The queue manager must stay within bounded memory (the heap is measured after
/// each kind), close every one it was left holding within its handshake step timeout, and a legitimate
/// client from another address must connect within 2 seconds while the flood goes on.
/// ACTORQM_FLOOD_REPORT gets the figures.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(MeasuredAlone.Name)]
public sealed class FloodSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private const int Silent = 600;
    private const int Stalled = 400;
    private const int Garbage = 500;
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
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('O=Example') MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') BACKLOG(4096) CONTROL(QMGR)
            """, "tls { handshake-step-timeout = 3s, max-handshakes-per-address = 64 }");
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        var growth = new List<string>();
        var heap = Heap();
        void Measure(string kind, int count)
        {
            var now = Heap();
            growth.Add($"{count} {kind} +{(now - heap) / 1024.0 / 1024.0:F1} MiB");
            heap = now;
        }

        // The flood, all from 127.0.0.1, kind after kind; each kind stays open while the next opens.
        var heapBefore = heap;
        Measure("silent", await Open(port, Silent, []));
        Measure("stalled half-way through a record header", await Open(port, Stalled, [0x16, 0x03]));
        Measure("sending garbage", await Open(port, Garbage, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024)));

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
        TimeSpan connected;
        await using (var good = await MqClient.ConnectAsync(Options(port, IPAddress.Parse("127.0.0.2"))))
        {
            connected = clock.Elapsed;
            var queue = await good.OpenAsync("APP.IN", ClientOpenPurpose.Output);
            await queue.PutAsync(Text("through the flood", Persistence.Persistent));
            Output!.WriteLine($"legitimate client connected {connected.TotalMilliseconds:F0} ms into the flood");
            Assert.True(connected < TimeSpan.FromSeconds(2), $"the legitimate client took {connected.TotalSeconds:F1} s");
        }

        await churn;
        Measure("opened and closed", churned);
        var heapDuring = heap;

        // The step timeout (3 s) closes every stalled connection the queue manager took.
        var closedClock = Stopwatch.StartNew();
        await AwaitAssertAsync(() => Assert.All(_flood, c => Assert.True(IsClosedByPeer(c))), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250));
        var allClosed = closedClock.Elapsed;
        var total = (heapDuring - heapBefore) / 1024.0 / 1024.0;
        var line = $"flood: {_flood.Count} held open + {churned} open-close from one address; legitimate client from another address connected in {connected.TotalSeconds:F2} s; heap grew {total:F1} MiB ({string.Join("; ", growth)}); every held connection closed by the queue manager {allClosed.TotalSeconds:F1} s after the check began (step timeout 3 s)";
        Output!.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ACTORQM_FLOOD_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, line + "\n");
        }

        Assert.True(total < 64, $"heap grew {total:F1} MiB under the flood");
        Assert.Equal("through the flood", Text(await new ActorQm.QueueManagers.QueueManagerConnection(qm.Actor, "flood").GetAsync("APP.IN")));
    }

    /// <summary>Opens <paramref name="count"/> connections that each send <paramref name="first"/> (if anything) and then nothing more.</summary>
    private async Task<int> Open(int port, int count, byte[] first)
    {
        var opened = 0;
        for (var i = 0; i < count; i++)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                if (first.Length > 0)
                {
                    await client.GetStream().WriteAsync(first);
                }

                _flood.Add(client);
                opened++;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                client.Dispose();
            }
        }

        return opened;
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
