using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Client;

/// <summary>Read-ahead and asynchronous consume (docs/protocol.md, "Read-ahead"): each message once, bounded, nothing served from a dead handle.</summary>
public sealed partial class MqClientSpec
{
    [Fact]
    public async Task Client_read_ahead_must_stay_within_its_window_give_each_message_once_and_return_the_rest_when_the_handle_closes()
    {
        await Start();
        var local = new QueueManagerConnection(_qm.Actor);
        for (var i = 0; i < 200; i++)
        {
            await local.PutAsync("APP.IN", TestMessages.Text($"m{i}", i % 4 == 0 ? Persistence.Persistent : Persistence.NotPersistent));
        }

        await using var client = await MqClient.ConnectAsync(Options());
        var input = await client.OpenAsync("APP.IN", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
        Assert.True(input.ReadsAhead);
        // Without a wait a get finds only what has arrived already (as with MQ's read-ahead); with one it waits for the first batch.
        Assert.Equal("m0", TestMessages.Text(await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        // Sent ahead: messages locked to this connection (UNCOM), never more than the window.
        await AwaitAssertAsync(async () => Assert.InRange((await QueueStatus("APP.IN")).Uncommitted, ServerConnectionActor.ReadAheadWindow / 2, ServerConnectionActor.ReadAheadWindow));
        for (var i = 1; i < 40; i++)
        {
            Assert.Equal($"m{i}", TestMessages.Text(await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        }

        Assert.InRange((await QueueStatus("APP.IN")).Uncommitted, 0, ServerConnectionActor.ReadAheadWindow + 16);
        await input.CloseAsync();

        // The 40 taken are gone; what was sent ahead and not taken is back, unchanged and in order.
        await AwaitAssertAsync(async () => Assert.Equal((160, 0), await QueueStatus("APP.IN")));
        var next = await local.GetAsync("APP.IN");
        Assert.Equal(("m40", 0), (TestMessages.Text(next), next.Descriptor.BackoutCount));
    }

    [Fact]
    public async Task Client_read_ahead_must_give_back_what_was_not_taken_when_the_client_ends_and_back_it_out_when_the_connection_breaks()
    {
        await Start(definitions: "DEFINE QLOCAL('AHEAD') DEFREADA(YES) MAXDEPTH(1000)");
        var local = new QueueManagerConnection(_qm.Actor);
        for (var i = 0; i < 100; i++)
        {
            await local.PutAsync("AHEAD", TestMessages.Text($"m{i}", Persistence.Persistent));
        }

        var orderly = await MqClient.ConnectAsync(Options());
        var queue = await orderly.OpenAsync("AHEAD", ClientOpenPurpose.Input);
        Assert.True(queue.ReadsAhead);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"m{i}", TestMessages.Text(await queue.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        }

        await orderly.DisposeAsync();
        await AwaitAssertAsync(async () => Assert.Equal((95, 0), await QueueStatus("AHEAD")));

        // A connection that breaks (STOP CHANNEL) backs out what it held, as for any get it had not finished: at least once.
        var broken = await MqClient.ConnectAsync(Options());
        var taken = new List<string>();
        var held = await broken.OpenAsync("AHEAD", ClientOpenPurpose.Input);
        for (var i = 0; i < 10; i++)
        {
            taken.Add(TestMessages.Text(await held.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        }

        await local.RunMqscAsync("STOP CHANNEL('APP.SVRCONN')");
        await AwaitAssertAsync(async () => Assert.Equal(0, (await QueueStatus("AHEAD")).Uncommitted));
        var rest = new List<MqMessage>();
        while (rest.Count < 95 && await Record.ExceptionAsync(async () => rest.Add(await local.GetAsync("AHEAD"))) is null)
        {
        }

        var texts = rest.Select(TestMessages.Text).ToList();
        Assert.Equal(Enumerable.Range(5, 10).Select(i => $"m{i}"), taken);
        Assert.Equal(texts.Count, texts.Distinct().Count());
        // Nothing lost: every message is either back on the queue or was acknowledged as taken.
        Assert.Empty(Enumerable.Range(5, 95).Select(i => $"m{i}").Except(texts.Union(taken)));
        // What may have been seen before comes back with its backout count raised, as a get in a broken unit of work.
        Assert.All(rest.Where(m => taken.Contains(TestMessages.Text(m))), m => Assert.Equal(1, m.Descriptor.BackoutCount));
        await broken.DisposeAsync();
    }

    [Fact]
    public async Task Client_must_consume_asynchronously_and_honour_the_queues_DEFREADA_and_its_own_read_ahead_options()
    {
        await Start(definitions: "DEFINE QLOCAL('AHEAD') DEFREADA(YES)\nDEFINE QLOCAL('NEVER') DEFREADA(DISABLED)");
        await using var client = await MqClient.ConnectAsync(Options());
        var output = await client.OpenAsync("AHEAD", ClientOpenPurpose.Output);
        for (var i = 0; i < 300; i++)
        {
            await output.PutWithoutResponseAsync(TestMessages.Text($"m{i}"));
        }

        var consumer = await client.OpenAsync("AHEAD", ClientOpenPurpose.Input);
        var got = new List<string>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var message in consumer.ConsumeAsync(enough.Token))
        {
            got.Add(TestMessages.Text(message));
            if (got.Count == 300)
            {
                break;
            }
        }

        var syncpoint = await Assert.ThrowsAsync<MqException>(() => consumer.GetAsync(new ClientGetOptions { Syncpoint = true }));
        var optedOut = await client.OpenAsync("AHEAD", MqOpenOptions.InputShared | MqOpenOptions.NoReadAhead);
        var disabled = await client.OpenAsync("NEVER", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
        var notByDefault = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"m{i}"), got);
        Assert.Equal(MqReason.OptionsError, syncpoint.Reason);
        Assert.Equal((true, false, false, false), (consumer.ReadsAhead, optedOut.ReadsAhead, disabled.ReadsAhead, notByDefault.ReadsAhead));
    }

    [Fact]
    public async Task Client_read_ahead_must_serve_nothing_it_holds_once_its_handle_is_closed_or_its_connection_broken()
    {
        await Start();
        var local = new QueueManagerConnection(_qm.Actor);
        for (var i = 0; i < 100; i++)
        {
            await local.PutAsync("APP.IN", TestMessages.Text($"m{i}"));
        }

        // Closed: what it held went back to the queue, so a get from the buffer would give it twice.
        var client = await MqClient.ConnectAsync(Options());
        var closed = await client.OpenAsync("APP.IN", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
        Assert.Equal("m0", TestMessages.Text(await closed.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        await AwaitAssertAsync(async () => Assert.True((await QueueStatus("APP.IN")).Uncommitted >= ServerConnectionActor.ReadAheadWindow / 2));
        await closed.CloseAsync();
        var afterClose = await Assert.ThrowsAsync<MqException>(() => closed.GetAsync());
        var closedTwice = await Assert.ThrowsAsync<MqException>(closed.CloseAsync);
        await AwaitAssertAsync(async () => Assert.Equal((99, 0), await QueueStatus("APP.IN")));

        // Broken: the queue manager backed out what it held, so the same holds.
        var held = await client.OpenAsync("APP.IN", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
        Assert.Equal("m1", TestMessages.Text(await held.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(5) })));
        await AwaitAssertAsync(async () => Assert.True((await QueueStatus("APP.IN")).Uncommitted >= ServerConnectionActor.ReadAheadWindow / 2));
        await local.RunMqscAsync("STOP CHANNEL('APP.SVRCONN')");
        await AwaitAssertAsync(async () => Assert.Equal(0, (await QueueStatus("APP.IN")).Uncommitted));
        var afterBreak = await Assert.ThrowsAsync<MqException>(() => held.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(1) }));
        await client.DisposeAsync();

        Assert.Equal(MqReason.ObjectHandleError, afterClose.Reason);
        Assert.Equal(MqReason.ObjectHandleError, closedTwice.Reason);
        Assert.NotEqual(MqReason.NoMsgAvailable, afterBreak.Reason);
    }

    [Fact]
    public async Task Queue_manager_must_end_a_client_that_acknowledges_a_negative_count_of_read_ahead_messages_and_serve_others()
    {
        await Start();
        var local = new QueueManagerConnection(_qm.Actor);
        for (var i = 0; i < 10; i++)
        {
            await local.PutAsync("APP.IN", TestMessages.Text($"m{i}"));
        }

        var hostile = await MqClient.ConnectAsync(Options());
        var queue = await hostile.OpenAsync("APP.IN", MqOpenOptions.InputShared | MqOpenOptions.ReadAhead);
        await AwaitAssertAsync(async () => Assert.Equal(10, (await QueueStatus("APP.IN")).Uncommitted));
        // What a hostile client could send to take messages off the queue it never received, or to unbalance the window.
        await hostile.Acknowledge(1, -5);

        var ended = await Assert.ThrowsAsync<MqException>(() => hostile.PutAsync("APP.IN", TestMessages.Text("after")));
        await AwaitAssertAsync(async () => Assert.Equal((10, 0), await QueueStatus("APP.IN")));
        await using var good = await MqClient.ConnectAsync(Options());
        var input = await good.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal("m0", TestMessages.Text(await input.GetAsync()));
        Assert.Equal(MqReason.ConnectionBroken, ended.Reason);
        await hostile.DisposeAsync();
    }
}
