using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

/// <summary>
/// tls.development-channels-in-the-clear (docs/tls.md, "Plaintext channels"): only a sender without SSLCIPH to a receiver
/// without SSLCIPH and without SSLPEER runs without TLS, and only where the receiving queue manager has the setting on;
/// every channel with SSLCIPH, and every client, still needs TLS.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChannelsInTheClearSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const string InTheClear = "tls.development-channels-in-the-clear = on";
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task ChannelsInTheClear_must_move_messages_without_TLS_only_between_channels_without_SSLCIPH_and_say_so()
    {
        // Loggers take the level when they are created: before the queue managers start.
        Sys.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.Warning));
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Hocon: InTheClear, qm2Hocon: InTheClear);
        await pair.Conn2.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(RCVR) SSLCIPH('') SSLPEER('')");
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH('') SSLPEER('')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("in the clear", Persistence.Persistent));

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        Assert.Equal("in the clear", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(30) })));
        Assert.Equal(string.Empty, (await pair.Status(pair.Qm2.Actor))!.SslCipherSpec);
        // Both ends log every such connection, in either order.
        var logged = new HashSet<string>();
        await warnings.FishForMessageAsync<Akka.Event.Warning>(w =>
        {
            logged.UnionWith(new[] { "accepted IN THE CLEAR", "runs IN THE CLEAR" }.Where(w.Message.ToString()!.Contains));
            return logged.Count == 2;
        }, TimeSpan.FromSeconds(10));

        // With SSLCIPH at both ends the setting changes nothing: the same channel runs over TLS.
        await pair.Conn1.RunMqscAsync($"STOP CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Stopped, (await pair.Status(pair.Qm1.Actor))!.State), TimeSpan.FromSeconds(10));
        await pair.Conn2.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1,O=Example')");
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH(TLS_AES_128_GCM_SHA256)\nSTART CHANNEL('{QueueManagerPair.Channel}')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("over TLS", Persistence.Persistent));
        Assert.Equal("over TLS", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(30) })));
        Assert.Equal("TLS_AES_128_GCM_SHA256", (await pair.Status(pair.Qm2.Actor))!.SslCipherSpec);
    }

    [Theory]
    [InlineData("SSLCIPH(TLS_AES_128_GCM_SHA256)", InTheClear, "AMQ9639E")] // a TLS channel cannot be reached in the clear
    [InlineData("SSLCIPH('') SSLPEER('CN=QM1,O=Example')", InTheClear, "AMQ9637E")] // an SSLPEER no certificate can meet
    [InlineData("SSLCIPH('') SSLPEER('')", "", "AMQ9639E")] // the receiving end's setting is off (the default)
    public async Task ChannelsInTheClear_must_refuse_a_caller_in_the_clear_the_receiving_end_does_not_allow(string receiver, string receiverHocon, string code)
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(Channel.ChannelFailed));
        Sys.EventStream.Subscribe(events.Ref, typeof(Handshake.ChannelSslError));
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Hocon: InTheClear, qm2Hocon: receiverHocon);
        await pair.Conn2.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(RCVR) {receiver}");
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH('') SSLPEER('')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("must not cross", Persistence.Persistent));

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        // The receiving end refuses (before or after the initial data), the sender reports it and retries.
        await events.FishForMessageAsync(m => m switch
        {
            Handshake.ChannelSslError e => e.AmqCode == code,
            Channel.ChannelFailed f => f.QMgrName == "QM2" && f.AmqCode == code,
            _ => false,
        }, TimeSpan.FromSeconds(20));
        await events.FishForMessageAsync<Channel.ChannelFailed>(f => f.QMgrName == "QM1", TimeSpan.FromSeconds(20));
        var e = await Assert.ThrowsAsync<MqException>(() => pair.Conn2.GetAsync("APP.IN"));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    [Theory]
    [InlineData("DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH('') MCAUSER('app')", "APP.SVRCONN", ChannelType.Client)] // a client
    [InlineData("DEFINE CHANNEL('C1.QM2') CHLTYPE(CLUSRCVR) CLUSTER('C1') CONNAME('127.0.0.1(1)') SSLCIPH('')", "C1.QM2", ChannelType.Sender)] // a cluster receiver
    public async Task ChannelsInTheClear_must_let_no_client_and_no_cluster_receiver_be_reached_without_TLS(string definition, string channel, ChannelType type)
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm2Hocon: InTheClear, qm2Extra: definition);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", pair.Port);
        var hello = new InitialData(channel, type, "QM2", 1, 4194304, 300, 999999999, string.Empty, 0, 0);

        var failure = await PlaintextChannel.CallAsync(client.GetStream(), hello, CancellationToken.None);

        Assert.Contains("AMQ9639E", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChannelsInTheClear_must_not_start_a_sender_whose_SSLPEER_no_partner_in_the_clear_can_meet()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Hocon: InTheClear, qm2Hocon: InTheClear);
        await pair.Conn2.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(RCVR) SSLCIPH('') SSLPEER('')");
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH('') SSLPEER('CN=QM2,O=Example')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("not to whoever answers", Persistence.Persistent));

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        await AwaitAssertAsync(async () => Assert.StartsWith("AMQ9637E", (await pair.Status(pair.Qm1.Actor))?.LastError, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal(ChannelState.Stopped, (await pair.Status(pair.Qm1.Actor))!.State);
        var e = await Assert.ThrowsAsync<MqException>(() => pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(3) }));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    [Fact]
    public async Task ChannelsInTheClear_must_refuse_a_connection_accepted_in_the_clear_before_REFRESH_SECURITY_turned_the_setting_off()
    {
        var key2 = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        File.WriteAllText(_dir.File("QM2.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('DEV.RCVR') CHLTYPE(RCVR) SSLCIPH('') SSLPEER('')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var off = TestMessages.Settings("QM2", _dir.Path).Tls;
        var qm = await ActorQm.QueueManagers.QueueManagerBootstrap.StartAsync(Sys, TestMessages.Settings("QM2", _dir.Path, InTheClear) with { MqscFile = _dir.File("QM2.mqsc"), ReloadTls = () => off });
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        var accepted = CreateTestProbe();
        Sys.EventStream.Subscribe(accepted.Ref, typeof(Handshake.HandshakeTransitioned));
        var frame = new MemoryStream();
        await FrameStream.WriteAsync(frame, ChannelFrames.Encode(new InitialData("DEV.RCVR", ChannelType.Sender, "EARLY", 50, 4194304, 300, 999999999, string.Empty, 0, 0)), CancellationToken.None);
        var bytes = frame.ToArray();
        // One byte in the clear while the setting is on: accepted, then held.
        using var early = new TcpClient();
        await early.ConnectAsync("127.0.0.1", port);
        await early.GetStream().WriteAsync(bytes.AsMemory(0, 1));
        await accepted.FishForMessageAsync<Handshake.HandshakeTransitioned>(t => t.To == HandshakeStep.Accepted, TimeSpan.FromSeconds(10));

        await new ActorQm.QueueManagers.QueueManagerConnection(qm.Actor, "admin").RunMqscAsync("REFRESH SECURITY TYPE(SSL)");
        await early.GetStream().WriteAsync(bytes.AsMemory(1));

        var header = new byte[FrameStream.HeaderBytes];
        var length = await FrameStream.ReadLengthAsync(early.GetStream(), header, 1 << 20, CancellationToken.None);
        var body = new byte[length!.Value];
        await early.GetStream().ReadExactlyAsync(body);
        var status = Assert.IsType<StatusSegment>(ChannelFrames.Decode(body).Segment);
        Assert.Equal("AMQ9639E", status.AmqCode);
    }

    [Theory]
    [InlineData("SDR")]
    [InlineData("SVR")]
    public async Task ChannelsInTheClear_must_end_for_every_calling_channel_when_REFRESH_SECURITY_turns_the_setting_off(string type)
    {
        var key2 = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm2 = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('DEV.CH') CHLTYPE(RCVR) SSLCIPH('') SSLPEER('')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, InTheClear);
        var port = await QueueManagerPair.ListenerPort(qm2.Actor);
        var key1 = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        File.WriteAllText(_dir.File("QM1.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key1}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            DEFINE CHANNEL('DEV.CH') CHLTYPE({type}) CONNAME('127.0.0.1({port})') XMITQ('QM2') SSLCIPH('') SHORTRTY(100) SHORTTMR(1)
            """);
        var off = TestMessages.Settings("QM1", _dir.Path).Tls;
        var qm1 = await ActorQm.QueueManagers.QueueManagerBootstrap.StartAsync(Sys, TestMessages.Settings("QM1", _dir.Path, InTheClear) with { MqscFile = _dir.File("QM1.mqsc"), ReloadTls = () => off });
        var conn1 = new ActorQm.QueueManagers.QueueManagerConnection(qm1.Actor, "qm1-app");
        var conn2 = new ActorQm.QueueManagers.QueueManagerConnection(qm2.Actor, "qm2-app");
        await conn1.PutAsync("APP.REMOTE", TestMessages.Text("one", Persistence.Persistent));
        await conn1.RunMqscAsync("START CHANNEL('DEV.CH')");
        Assert.Equal("one", TestMessages.Text(await conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(30) })));

        // QM1's administrator turns the development setting off: the channel binds again, calls in the clear only to be refused.
        await conn1.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Retrying, (await qm1.Actor.Ask<IReadOnlyList<ChannelStatus>>(ActorQm.QueueManagers.QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5))).Single(c => c.Name == "DEV.CH").State), TimeSpan.FromSeconds(20));
        await conn1.PutAsync("APP.REMOTE", TestMessages.Text("two", Persistence.Persistent));

        var e = await Assert.ThrowsAsync<MqException>(() => conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(3) }));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
