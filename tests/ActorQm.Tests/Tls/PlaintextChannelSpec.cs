using System.Buffers.Binary;
using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

/// <summary>A channel with no SSLCIPH at one end is reported where MQ reports it: AMQ9639E at the receiver, AMQ9641E at the caller.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PlaintextChannelSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task PlaintextChannel_must_let_a_sender_without_SSLCIPH_call_and_be_refused_by_its_receiver_and_nothing_must_flow()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(Channel.ChannelFailed));
        Sys.EventStream.Subscribe(events.Ref, typeof(Handshake.ChannelSslError));
        // The retry schedule is logged at info level; loggers take the level when they are created.
        Sys.EventStream.SetLogLevel(Akka.Event.LogLevel.InfoLevel);
        var schedule = CreateTestProbe();
        Sys.EventStream.Subscribe(schedule.Ref, typeof(Akka.Event.Info));
        var pair = await QueueManagerPair.StartAsync(Sys, _dir);
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH('')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("must not cross in the clear", Persistence.Persistent));

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        // The receiver, the end that has SSLCIPH, decides and names the channel the caller sent ...
        var atReceiver = await events.FishForMessageAsync<Handshake.ChannelSslError>(e => e.AmqCode == "AMQ9639E", TimeSpan.FromSeconds(20));
        Assert.Equal(HandshakeRole.Responder, atReceiver.Role);
        Assert.Equal(Handshake.SslReasonQualifier.CipherSpecError, atReceiver.Qualifier);
        Assert.Contains($"'{QueueManagerPair.Channel}' did not specify a CipherSpec", atReceiver.Detail, StringComparison.Ordinal);
        // ... and the sender reports AMQ9641E with the receiver's reason, then retries.
        var atSender = await events.FishForMessageAsync<Channel.ChannelFailed>(f => f.QMgrName == "QM1", TimeSpan.FromSeconds(20));
        Assert.Equal("AMQ9641E", atSender.AmqCode);
        Assert.Contains("AMQ9639E", atSender.Detail, StringComparison.Ordinal);
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Retrying, (await pair.Status(pair.Qm1.Actor))!.State), TimeSpan.FromSeconds(10));
        var retrying = await schedule.FishForMessageAsync<Akka.Event.Info>(i => i.Message.ToString()!.Contains("retrying in", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("short retry 1 of 100 (SHORTRTY), every 1 s (SHORTTMR)", retrying.Message.ToString(), StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<MqException>(() => pair.Conn2.GetAsync("APP.IN"));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);

        // With SSLCIPH at both ends the same message goes over TLS, once.
        await pair.Conn1.RunMqscAsync($"STOP CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Stopped, (await pair.Status(pair.Qm1.Actor))!.State), TimeSpan.FromSeconds(10));
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) SSLCIPH(TLS_AES_128_GCM_SHA256)\nSTART CHANNEL('{QueueManagerPair.Channel}')");
        Assert.Equal("must not cross in the clear", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(30) })));
    }

    [Fact]
    public async Task PlaintextChannel_must_tell_a_caller_in_the_clear_only_that_TLS_is_required()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", pair.Port);
        var hello = new InitialData(QueueManagerPair.Channel, ChannelType.Sender, "QM1", 50, 4194304, 300, 999999999, string.Empty, 0, 0);

        var failure = await PlaintextChannel.CallAsync(client.GetStream(), hello, CancellationToken.None);

        Assert.Equal("AMQ9641E", failure.AmqCode);
        Assert.Contains("AMQ9639E", failure.Detail, StringComparison.Ordinal);
        Assert.Contains($"MQRC {(int)MqReason.SslInitializationError}", failure.Detail, StringComparison.Ordinal);
        // Nothing of the receiver's definition (its CipherSpec, its SSLPEER) is told to a caller that has not proven anything.
        Assert.DoesNotContain("TLS_AES_128_GCM_SHA256", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("CN=", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x00_10_00_00)] // a frame of 1 MiB announced: never read
    [InlineData(0x00_00_00_02)] // a frame too short to be a segment
    public async Task PlaintextChannel_must_refuse_any_other_frame_in_the_clear_without_reading_past_its_bound_and_keep_serving(int announced)
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir);
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Handshake.ChannelSslError));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", pair.Port);
        var stream = client.GetStream();
        var header = new byte[FrameStream.HeaderBytes + 2];
        BinaryPrimitives.WriteInt32BigEndian(header, announced);
        await stream.WriteAsync(header);

        var refused = await errors.FishForMessageAsync<Handshake.ChannelSslError>(e => e.AmqCode == "AMQ9639E", TimeSpan.FromSeconds(20));
        Assert.Contains("not initial data", refused.Detail, StringComparison.Ordinal);
        // The refusal comes back in the clear and the connection ends.
        var reply = new byte[256];
        var total = 0;
        int read;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((read = await stream.ReadAsync(reply.AsMemory(total), timeout.Token)) > 0)
        {
            total += read;
        }

        var (segment, _) = ChannelFrames.Decode(reply.AsSpan(FrameStream.HeaderBytes, total - FrameStream.HeaderBytes));
        Assert.Equal("AMQ9639E", Assert.IsType<StatusSegment>(segment).AmqCode);

        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("still served", Persistence.Persistent));
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        Assert.Equal("still served", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
