using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Event;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Back-pressure on a server-connection channel (docs/protocol.md, "Limits of a client connection"),
/// under the attacks of issue 16 over real TLS on loopback: a client that asks for 2 MiB answers and
/// never reads them, and one that queues 2 MiB Put1 calls behind a waiting get. The heap is measured
/// alone (no other spec allocates meanwhile); another client must be served throughout.
/// </summary>
[Collection(MeasuredAlone.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServerConnectionBackPressureSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const int TwoMiB = 2 * 1024 * 1024;
    private const long HeapBound = 48L * 1024 * 1024;
    private readonly TempDirectory _dir = new();
    private StartedQueueManager _qm = null!;
    private int _port;

    private async Task Start()
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        _qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE QLOCAL('APP.WAIT')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,O=Example') MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, "tls { send-queue-max-bytes = 4MiB, slow-reader-timeout = 3s }");
        _port = await QueueManagerPair.ListenerPort(_qm.Actor);
    }

    [Fact]
    public async Task ServerConnection_must_pause_and_then_disconnect_a_client_that_asks_for_2MiB_answers_and_never_reads_them()
    {
        await Start();
        var local = new QueueManagerConnection(_qm.Actor);
        await local.PutAsync("APP.IN", new MqMessage(MessageDescriptor.Default with { Persistence = Persistence.Persistent }, new byte[TwoMiB]));
        await local.PutAsync("APP.WAIT", TestMessages.Text("taken under syncpoint", Persistence.Persistent));
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.LogEvent));
        var before = Heap();

        // Handles are numbered from 1 in the order opened: the attacker needs to read no answer at all. The small
        // requests all fit in the sockets' buffers; what must stay bounded is what the queue manager does with them.
        await using var attacker = await RawClient.ConnectAsync(_dir, _port);
        var browse = Request(1, ClientOp.Open, w => { w.String("APP.IN"); w.String(string.Empty); w.Int((int)MqOpenOptions.Browse); w.String(string.Empty); });
        var input = Request(2, ClientOp.Open, w => { w.String("APP.WAIT"); w.String(string.Empty); w.Int((int)MqOpenOptions.InputAsQueueDefault); w.String(string.Empty); });
        var taken = Request(3, ClientOp.Get, w => Get(w, 2, ClientGetFlags.Syncpoint, 0));
        var flood = attacker.WriteAsync([browse, input, taken, .. Enumerable.Range(4, 300).Select(c => Request(c, ClientOp.Get, w => Get(w, 1, ClientGetFlags.BrowseFirst, 0)))]);

        // Served meanwhile: another client browses the same 2 MiB message and puts and gets.
        await using (var good = await Connect())
        {
            var queue = await good.OpenAsync("APP.IN", ClientOpenPurpose.Browse);
            Assert.Equal(TwoMiB, (await queue.BrowseFirstAsync()).Payload.Length);
            await good.PutAsync("APP.WAIT", TestMessages.Text("good"));
        }

        var peak = 0L;
        try
        {
            await AwaitAssertAsync(() =>
            {
                peak = Math.Max(peak, Heap() - before);
                Assert.True(attacker.ClosedByPeer, "the slow reader is still connected");
            }, TimeSpan.FromSeconds(12), TimeSpan.FromMilliseconds(400));
        }
        finally
        {
            Output!.WriteLine($"300 unread 2 MiB browses: heap grew at most {peak / 1048576.0:F1} MiB; {attacker.Written} of 303 requests written");
        }

        Assert.True(peak < HeapBound, $"the heap grew {peak / 1048576.0:F1} MiB");
        await warnings.FishForMessageAsync(m => m is Akka.Event.LogEvent w && w.Message.ToString()!.Contains("AMQ9206E", StringComparison.Ordinal) && w.Message.ToString()!.Contains("slow reader", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        _ = flood.ContinueWith(t => t.Exception, TaskScheduler.Default);

        // Its unit of work was backed out: the message it took under syncpoint is back, with the good client's.
        Assert.Equal(["good", "taken under syncpoint"], (await TestMessages.DrainAsync(_qm.Actor, "APP.WAIT")).Order());
    }

    [Fact]
    public async Task ServerConnection_must_read_no_further_than_its_window_behind_a_waiting_get()
    {
        await Start();
        var before = Heap();
        await using var attacker = await RawClient.ConnectAsync(_dir, _port);
        var message = new MqMessage(MessageDescriptor.Default, new byte[TwoMiB]);
        var open = Request(1, ClientOp.Open, w => { w.String("APP.WAIT"); w.String(string.Empty); w.Int((int)MqOpenOptions.InputAsQueueDefault); w.String(string.Empty); });
        var wait = Request(2, ClientOp.Get, w => Get(w, 1, ClientGetFlags.None, 60_000));
        var flood = attacker.WriteAsync([open, wait], Enumerable.Range(3, 150).Select(c => Request(c, ClientOp.Put1, w =>
        {
            w.String("APP.IN");
            w.String(string.Empty);
            w.Byte(0);
            ClientProtocol.WriteMessage(w, message);
        })));

        // Served meanwhile, on the same queue.
        await using (var good = await Connect())
        {
            await good.PutAsync("APP.IN", TestMessages.Text("good"));
            Assert.Equal("good", TestMessages.Text(await (await good.OpenAsync("APP.IN", ClientOpenPurpose.Input)).GetAsync()));
        }

        var (peak, last, still) = (0L, -1, 0);
        try
        {
            // Done when the writer has finished (everything was read) or has made no progress for three samples.
            await AwaitAssertAsync(() =>
            {
                peak = Math.Max(peak, Heap() - before);
                var written = attacker.Written;
                still = written == last ? still + 1 : 0;
                last = written;
                Assert.True(flood.IsCompleted || still >= 3, $"{written} written so far");
            }, TimeSpan.FromSeconds(12), TimeSpan.FromMilliseconds(400));
        }
        finally
        {
            Output!.WriteLine($"a waiting get and 150 Put1 of 2 MiB: heap grew at most {peak / 1048576.0:F1} MiB; {attacker.Written} of 152 requests written");
        }

        Assert.True(peak < HeapBound, $"the heap grew {peak / 1048576.0:F1} MiB");
        Assert.False(flood.IsCompleted, "all 150 Put1 calls were read while a get held the connection");
    }

    private static byte[] Request(int correlation, ClientOp op, Action<FrameWriter> body)
    {
        var w = new FrameWriter(64);
        body(w);
        return ChannelFrames.Encode(new ClientRequest(correlation, op, w.ToArray()));
    }

    private static void Get(FrameWriter w, int handle, ClientGetFlags flags, int waitMs)
    {
        w.Int(handle);
        w.Byte((byte)flags);
        w.Int(waitMs);
        ClientProtocol.WriteId(w, null);
        ClientProtocol.WriteId(w, null);
    }

    private Task<MqClient> Connect()
    {
        var path = QueueManagerPair.KeyRepository(_dir, "good", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP2,O=Example").WithKey());
        return MqClient.ConnectAsync(new MqClientOptions
        {
            Host = "127.0.0.1", Port = _port, Channel = "APP.SVRCONN", QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QM2,OU=MQ,O=Example", ApplicationName = "good", Timeout = TimeSpan.FromSeconds(10),
        });
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(true);
    }

    /// <summary>A client that writes frames and reads nothing after the initial data: what a slow or hostile reader does.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly SslStream _stream;
        private readonly CancellationTokenSource _stop = new();
        private int _written;

        private RawClient(TcpClient tcp, SslStream stream) => (_tcp, _stream) = (tcp, stream);

        public int Written => Volatile.Read(ref _written);

        /// <summary>The queue manager closed the socket (what is read after the TLS close is end of stream or a reset).</summary>
        public bool ClosedByPeer
        {
            get
            {
                try
                {
                    return _tcp.Client.Poll(0, SelectMode.SelectError) || (_tcp.Client.Poll(0, SelectMode.SelectRead) && _tcp.Client.Available == 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return true;
                }
            }
        }

        public static async Task<RawClient> ConnectAsync(TempDirectory dir, int port)
        {
            var path = QueueManagerPair.KeyRepository(dir, "attacker", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
            var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            var stream = new SslStream(tcp.GetStream());
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = ChannelSni.Encode("APP.SVRCONN"),
                EnabledSslProtocols = SslProtocols.Tls13,
                CipherSuitesPolicy = new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256]),
                ClientCertificateContext = KeyRepository.Open(path).Credentials("app").Context,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            var client = new RawClient(tcp, stream);
            await client.Write(ChannelFrames.Encode(new InitialData("APP.SVRCONN", ChannelType.Client, "QM2", 1, 4_194_304, 300, 999_999_999, "TLS_AES_128_GCM_SHA256", 0, 0, "slow-reader")));
            var header = new byte[4];
            await stream.ReadExactlyAsync(header);
            var reply = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
            await stream.ReadExactlyAsync(reply);
            Assert.IsType<InitialDataReply>(ChannelFrames.Decode(reply).Segment);
            return client;
        }

        /// <summary>Writes the frames in order (the later ones built only when written); never reads.</summary>
        public Task WriteAsync(IEnumerable<byte[]> first, IEnumerable<byte[]>? then = null) => Task.Run(async () =>
        {
            foreach (var frame in first.Concat(then ?? []))
            {
                await Write(frame);
                Interlocked.Increment(ref _written);
            }
        });

        private async Task Write(byte[] frame)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, frame.Length);
            await _stream.WriteAsync(header, _stop.Token);
            await _stream.WriteAsync(frame, _stop.Token);
            await _stream.FlushAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _tcp.Dispose();
            await _stream.DisposeAsync();
            _stop.Dispose();
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
