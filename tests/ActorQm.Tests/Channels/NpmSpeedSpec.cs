using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// NPMSPEED as MQ defines it, over a real TLS channel: FAST (the default) sends non-persistent messages outside the batches,
/// unnumbered and never journalled; NORMAL, or one end NORMAL, keeps them in the batches.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NpmSpeedSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task NpmSpeed_FAST_must_deliver_non_persistent_messages_outside_the_batches_and_persistent_ones_in_numbered_batches()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir);
        var sent = new List<(string Text, bool Persistent)>();
        for (var i = 0; i < 300; i++)
        {
            var persistent = i % 6 == 0;
            sent.Add(($"m{i}", persistent));
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"m{i}", persistent ? Persistence.Persistent : Persistence.NotPersistent));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        var got = new List<(string Text, bool Persistent)>();
        for (var i = 0; i < sent.Count; i++)
        {
            var m = await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) });
            got.Add((TestMessages.Text(m), m.IsPersistent));
        }

        // Every message once; each kind in its own order (FAST messages may overtake a batch, as MQ documents).
        Assert.Equal(sent.Where(s => s.Persistent), got.Where(g => g.Persistent));
        Assert.Equal(sent.Where(s => !s.Persistent), got.Where(g => !g.Persistent));
        await AwaitAssertAsync(async () =>
        {
            var sdr = (await pair.Status(pair.Qm1.Actor))!;
            var rcvr = (await pair.Status(pair.Qm2.Actor))!;
            Assert.Equal(("FAST", "FAST"), (sdr.NpmSpeed, rcvr.NpmSpeed));
            // Only the 50 persistent messages took sequence numbers.
            Assert.Equal((50L, 50L), (sdr.LastSeq, rcvr.LastSeq));
            Assert.Equal(300, sdr.Messages);
        }, TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<MqException>(() => pair.Conn1.GetAsync("QM2"));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    [Fact]
    public async Task NpmSpeed_FAST_must_move_only_non_persistent_traffic_without_a_batch_or_a_journal_write_for_its_sequence()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir);
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Running, (await pair.Status(pair.Qm1.Actor))!.State), TimeSpan.FromSeconds(10));

        for (var i = 0; i < 100; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"np{i}"));
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($"np{i}", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));
        }

        var sdr = (await pair.Status(pair.Qm1.Actor))!;
        Assert.Equal((0L, 0L, 0L), (sdr.LastSeq, sdr.CurrentSeq, sdr.Batches));
        Assert.False(sdr.InDoubt);
        Assert.Equal(0L, (await pair.Status(pair.Qm2.Actor))!.LastSeq);
    }

    [Fact]
    public async Task NpmSpeed_FAST_must_leave_messages_on_the_transmission_queue_while_the_connection_cannot_take_them()
    {
        // The sender's send queue holds at most 64 KiB; the proxy then reads nothing, so the sockets fill up too.
        const int Count = 4000;
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Hocon: "tls { send-queue-max-bytes = 64KiB }");
        using var proxy = new FaultProxy(pair.Port);
        await pair.Conn1.RunMqscAsync($"ALTER CHANNEL('{QueueManagerPair.Channel}') CHLTYPE(SDR) CONNAME('127.0.0.1({proxy.Port})')");
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("running"));
        Assert.Equal("running", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));

        proxy.HoldAll();
        var body = new string('h', 8 * 1024);
        for (var i = 0; i < Count; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"{i}:{body}"));
        }

        // 32 MiB were put; the sockets take a few MiB and the send queue 64 KiB: the rest stays where a restart finds it.
        var lowest = Count;
        for (var i = 0; i < 10; i++)
        {
            lowest = Math.Min(lowest, await Depth(pair.Conn1, "QM2"));
            await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        }

        proxy.ResumeAll();
        for (var i = 0; i < Count; i++)
        {
            Assert.StartsWith($"{i}:", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })), StringComparison.Ordinal);
        }

        Assert.InRange(lowest, Count / 2, Count);
    }

    private static async Task<int> Depth(QueueManagerConnection connection, string queue)
    {
        var (lines, _, _) = await connection.RunMqscAsync($"DISPLAY QSTATUS('{queue}') CURDEPTH");
        var match = System.Text.RegularExpressions.Regex.Match(string.Join(" ", lines), @"CURDEPTH\((\d+)\)");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task NpmSpeed_FAST_must_dead_letter_a_non_persistent_message_for_a_missing_queue_and_keep_the_channel_running()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Extra: "DEFINE QREMOTE('NOWHERE') RNAME('NO.SUCH.QUEUE') RQMNAME('QM2') XMITQ('QM2')");
        await pair.Conn1.PutAsync("NOWHERE", TestMessages.Text("lost in transit"));
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("after it"));

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        Assert.Equal("after it", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));
        var dead = await pair.Conn2.GetAsync("DLQ", new GetOptions { Wait = TimeSpan.FromSeconds(10) });
        var (header, original) = DeadLetterHeader.Unwrap(dead);
        Assert.Equal((int)MqReason.UnknownObjectName, header.Reason);
        Assert.Equal("NO.SUCH.QUEUE", header.DestQName);
        Assert.Equal("lost in transit", System.Text.Encoding.UTF8.GetString(original.Span));
        Assert.Equal(ChannelState.Running, (await pair.Status(pair.Qm1.Actor))!.State);
    }

    [Fact]
    public async Task NpmSpeed_FAST_traffic_alone_must_still_renew_the_secret_key_after_SSLRKEYC_bytes()
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Extra: "ALTER QMGR SSLRKEYC(40000)");
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        var body = new string('k', 2000);
        for (var i = 0; i < 100; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"{i}:{body}"));
            // Paced, so the transmission queue empties between messages and the sender reaches the point between batches.
            Assert.Equal($"{i}:{body}", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));
        }

        // 200 KB of FAST messages and no batch at all: the keys were renewed on new connections all the same.
        await AwaitAssertAsync(async () => Assert.True((await pair.Status(pair.Qm1.Actor))!.KeyResets >= 3), TimeSpan.FromSeconds(10));
        Assert.Equal(0L, (await pair.Status(pair.Qm1.Actor))!.Batches);
    }

    [Theory]
    [InlineData("NORMAL", "")]
    [InlineData("", "NORMAL")]
    public async Task NpmSpeed_NORMAL_at_either_end_must_keep_non_persistent_messages_in_numbered_batches(string sender, string receiver)
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir,
            sdrAttributes: sender.Length > 0 ? $"NPMSPEED({sender})" : string.Empty, rcvrAttributes: receiver.Length > 0 ? $"NPMSPEED({receiver})" : string.Empty);
        for (var i = 0; i < 30; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"n{i}"));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal($"n{i}", TestMessages.Text(await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) })));
        }

        await AwaitAssertAsync(async () =>
        {
            var sdr = (await pair.Status(pair.Qm1.Actor))!;
            Assert.Equal("NORMAL", sdr.NpmSpeed);
            Assert.Equal(30L, sdr.LastSeq);
        }, TimeSpan.FromSeconds(10));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
