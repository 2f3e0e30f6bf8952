using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MessageChannelSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Sender_channel_must_deliver_every_message_once_in_order_over_mutual_tls()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "BATCHSZ(20)");
        var conn1 = pair.Conn1;
        var output = await conn1.OpenAsync("APP.REMOTE", QueueManager.OpenPurpose.Output);
        for (var i = 0; i < 300; i++)
        {
            await output.PutAsync(TestMessages.Text($"m{i}", i % 3 == 0 ? Persistence.NotPersistent : Persistence.Persistent));
        }

        await conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        var conn2 = pair.Conn2;
        for (var i = 0; i < 300; i++)
        {
            var got = await conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) });
            Assert.Equal($"m{i}", TestMessages.Text(got));
            Assert.Equal(i % 3 == 0 ? Persistence.NotPersistent : Persistence.Persistent, got.Descriptor.Persistence);
            Assert.Equal("qm1-app", got.Descriptor.PutApplName.Trim());
        }

        await AssertNoMessage(conn2, "APP.IN");
        await AwaitAssertAsync(async () =>
        {
            var sdr = await pair.Status(pair.Qm1.Actor);
            Assert.Equal(ChannelState.Running, sdr!.State);
            Assert.Equal(300, sdr.Messages);
            Assert.Equal(300, sdr.LastSeq);
            Assert.False(sdr.InDoubt);
            Assert.Equal("TLS_AES_128_GCM_SHA256", sdr.SslCipherSpec);
            Assert.Contains("CN=QM2", sdr.SslPeer);
            Assert.Equal("QM2", sdr.RemoteQMgr);
        }, TimeSpan.FromSeconds(10));
        var rcvr = await pair.Status(pair.Qm2.Actor);
        Assert.Equal(ChannelState.Running, rcvr!.State);
        Assert.Contains("CN=QM1", rcvr.SslPeer);
        Assert.Equal(300, rcvr.LastSeq);
        var display = await conn1.RunMqscAsync("DISPLAY CHSTATUS(*)");
        Assert.Contains(display.Lines, l => l.Contains("STATUS(RUNNING)", StringComparison.Ordinal));
        Assert.Contains(display.Lines, l => l.Contains("SSLCIPH(TLS_AES_128_GCM_SHA256)", StringComparison.Ordinal));
    }

    private static async Task AssertNoMessage(QueueManagerConnection conn, string queue)
    {
        var e = await Assert.ThrowsAsync<MqException>(() => conn.GetAsync(queue));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
