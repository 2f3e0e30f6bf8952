using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using ActorQm.Tls;
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

    [Fact]
    public async Task ChannelsInTheClear_must_not_let_a_client_connection_in_without_TLS()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm2Hocon: InTheClear, qm2Extra: "DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH('') MCAUSER('app')");
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", pair.Port);
        var hello = new InitialData("APP.SVRCONN", ChannelType.Client, "QM2", 1, 4194304, 300, 999999999, string.Empty, 0, 0);

        var failure = await PlaintextChannel.CallAsync(client.GetStream(), hello, CancellationToken.None);

        Assert.Contains("AMQ9639E", failure.Detail, StringComparison.Ordinal);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
