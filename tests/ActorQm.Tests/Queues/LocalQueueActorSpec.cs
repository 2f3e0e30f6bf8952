using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Queues;

public sealed class LocalQueueActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<MessageJournal> _journals = new();

    private static LocalQueueDefinition Definition(int maxDepth = 100, int maxMsgL = 1024, bool put = true, bool get = true, bool defaultPersistent = false) =>
        new("Q1", maxDepth, maxMsgL, defaultPersistent, 0, put, get, QueueUsage.Normal);

    private (IActorRef Queue, QueueCounters Counters) Start(LocalQueueDefinition? definition = null, bool journal = false, IReadOnlyList<StoredMessage>? recovered = null)
    {
        var settings = Settings("QM1", _dir.Path);
        MessageJournal? j = null;
        if (journal)
        {
            j = MessageJournal.Open("QM1", settings.Store);
            _journals.Add(j);
        }

        var counters = new QueueCounters();
        return (Sys.ActorOf(LocalQueue.Props("QM1", definition ?? Definition(), settings, j, recovered ?? [], counters)), counters);
    }

    private async Task<LocalQueue.MessagePut> Put(IActorRef queue, MqMessage message)
    {
        queue.Tell(new LocalQueue.Put(message, "spec"), TestActor);
        return await ExpectMsgAsync<LocalQueue.MessagePut>();
    }

    private async Task<LocalQueue.MessageGot> Get(IActorRef queue, GetOptions? options = null)
    {
        queue.Tell(new LocalQueue.Get(options ?? GetOptions.NoWait), TestActor);
        return await ExpectMsgAsync<LocalQueue.MessageGot>();
    }

    [Fact]
    public async Task LocalQueue_must_deliver_by_priority_then_first_in_first_out()
    {
        var (q, _) = Start();
        foreach (var (text, priority) in new[] { ("low-1", 1), ("high-1", 8), ("low-2", 1), ("high-2", 8), ("default", -1) })
        {
            await Put(q, Text(text, priority: priority));
        }

        var order = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            order.Add(Text((await Get(q)).Message));
        }

        Assert.Equal(new[] { "high-1", "high-2", "low-1", "low-2", "default" }, order);
    }

    [Fact]
    public async Task LocalQueue_must_fill_in_the_descriptor_on_put()
    {
        var (q, _) = Start(Definition(defaultPersistent: false));

        var put = await Put(q, Text("x", priority: 42));
        var got = await Get(q);

        Assert.False(put.Descriptor.MsgId.IsNone);
        Assert.Equal(put.Descriptor.MsgId, got.Message.Descriptor.MsgId);
        Assert.Equal(9, got.Message.Descriptor.Priority);
        Assert.Equal(Persistence.NotPersistent, got.Message.Descriptor.Persistence);
        Assert.Equal("spec", got.Message.Descriptor.PutApplName);
        Assert.InRange(got.Message.Descriptor.PutDateTime, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task LocalQueue_must_answer_2033_when_empty_and_serve_a_waiting_get_when_a_message_arrives()
    {
        var (q, _) = Start();
        var waiter = CreateTestProbe("waiter");

        q.Tell(new LocalQueue.Get(GetOptions.NoWait), TestActor);
        Assert.Equal(MqReason.NoMsgAvailable, (await ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);

        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(10) }), waiter);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await Put(q, Text("late"));

        Assert.Equal("late", Text((await waiter.ExpectMsgAsync<LocalQueue.MessageGot>()).Message));
    }

    [Fact]
    public async Task LocalQueue_must_take_non_persistent_puts_together_in_order_and_refuse_each_it_cannot_take_by_its_index()
    {
        var (q, counters) = Start(Definition(maxDepth: 3), journal: true);
        LocalQueue.Put[] puts =
        [
            new(Text("a"), "spec"), new(Text("persistent", persistence: Persistence.Persistent), "spec"), new(Text("b"), "spec"),
            new(Text("c"), "spec"), new(Text("over MAXDEPTH"), "spec"),
        ];

        q.Tell(new LocalQueue.PutMany(puts), TestActor);

        var done = await ExpectMsgAsync<LocalQueue.PutsDone>();
        Assert.Equal(5, done.Count);
        Assert.Equal([(1, MqReason.UnexpectedError), (4, MqReason.QFull)], done.Rejected.Select(r => (r.Index, r.Rejected.Reason)));
        Assert.Equal(3, counters.Depth);
        Assert.Equal(["a", "b", "c"], [Text((await Get(q)).Message), Text((await Get(q)).Message), Text((await Get(q)).Message)]);
    }

    [Fact]
    public async Task LocalQueue_must_drop_a_waiting_get_whose_asker_cancelled_it()
    {
        var (q, counters) = Start();
        using var cancel = new CancellationTokenSource();
        // How a read-ahead handle that closes ends its wait on an empty queue (docs/protocol.md, "Read-ahead").
        var asked = q.Ask<object>(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(30) }), TimeSpan.FromSeconds(40), cancel.Token);
        await AwaitAssertAsync(() => Assert.Equal(1, counters.Waiting), TimeSpan.FromSeconds(3));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asked);
        await AwaitAssertAsync(() => Assert.Equal(0, counters.Waiting), TimeSpan.FromSeconds(3));
        await Put(q, Text("kept"));
        Assert.Equal(1, counters.Depth);
    }

    [Fact]
    public async Task LocalQueue_must_not_hand_a_message_to_a_waiter_that_has_died()
    {
        var (q, counters) = Start();
        var waiter = CreateTestProbe("short-lived");
        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(30) }), waiter);
        var asked = q.Ask<object>(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(30) }), TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<Exception>(() => asked);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Watch(waiter);
        Sys.Stop(waiter);
        await ExpectTerminatedAsync(waiter);
        // Our Terminated and the queue's are separate deliveries: the queue has let both waiters go once it counts none.
        await AwaitAssertAsync(() => Assert.Equal(0, counters.Waiting), TimeSpan.FromSeconds(3));

        await Put(q, Text("kept"));

        await AwaitAssertAsync(() => Assert.Equal(1, counters.Depth), TimeSpan.FromSeconds(3));
        Assert.Equal("kept", Text((await Get(q)).Message));
    }

    [Fact]
    public async Task LocalQueue_must_end_a_wait_with_2033_after_the_wait_interval()
    {
        var (q, _) = Start();

        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(2) }), TestActor);

        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        var rejected = await ExpectMsgAsync<LocalQueue.GetRejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(MqReason.NoMsgAvailable, rejected.Reason);
        await Put(q, Text("after"));
        Assert.Equal("after", Text((await Get(q)).Message));
    }

    [Fact]
    public async Task LocalQueue_must_give_a_new_message_only_to_a_waiter_whose_match_fits()
    {
        var (q, _) = Start();
        var wantsB = CreateTestProbe("wants-b");
        var anyone = CreateTestProbe("anyone");
        var b = MqId.FromString("B");

        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(10), CorrelId = b }), wantsB);
        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(10) }), anyone);
        await Put(q, Text("for anyone"));
        await Put(q, Text("for b", correlId: b));

        Assert.Equal("for anyone", Text((await anyone.ExpectMsgAsync<LocalQueue.MessageGot>()).Message));
        Assert.Equal("for b", Text((await wantsB.ExpectMsgAsync<LocalQueue.MessageGot>()).Message));
    }

    [Fact]
    public async Task LocalQueue_must_get_by_msgid_and_correlid()
    {
        var (q, _) = Start();
        var c = MqId.FromString("corr-7");
        await Put(q, Text("one"));
        var two = await Put(q, Text("two", correlId: c));
        await Put(q, Text("three"));

        Assert.Equal("two", Text((await Get(q, new GetOptions { CorrelId = c })).Message));
        q.Tell(new LocalQueue.Get(new GetOptions { MsgId = two.Descriptor.MsgId }), TestActor);
        Assert.Equal(MqReason.NoMsgAvailable, (await ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);
        Assert.Equal("one", Text((await Get(q)).Message));
    }

    [Fact]
    public async Task LocalQueue_must_browse_in_delivery_order_without_removing()
    {
        var (q, counters) = Start();
        await Put(q, Text("a", priority: 0));
        await Put(q, Text("b", priority: 5));
        await Put(q, Text("c", priority: 0));

        var seen = new List<string>();
        BrowseCursor cursor = BrowseCursor.Start;
        for (var i = 0; i < 3; i++)
        {
            var got = await Get(q, new GetOptions { BrowseAfter = cursor });
            seen.Add(Text(got.Message));
            cursor = got.Cursor;
        }

        q.Tell(new LocalQueue.Get(new GetOptions { BrowseAfter = cursor }), TestActor);
        Assert.Equal(MqReason.NoMsgAvailable, (await ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);
        Assert.Equal(new[] { "b", "a", "c" }, seen);
        Assert.Equal(3, counters.Depth);
    }

    [Fact]
    public async Task LocalQueue_must_discard_expired_messages_and_report_remaining_expiry()
    {
        var (q, counters) = Start();
        await Put(q, Text("short", expiry: 2));
        await Put(q, Text("long", expiry: 600));

        await Task.Delay(400);
        var got = await Get(q);

        Assert.Equal("long", Text(got.Message));
        Assert.InRange(got.Message.Descriptor.Expiry, 1, 600);
        await AwaitAssertAsync(() => Assert.Equal(0, counters.Depth), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task LocalQueue_must_return_a_backed_out_get_with_its_backout_count_raised()
    {
        var (q, counters) = Start();
        await Put(q, Text("poison"));

        var first = await Get(q, new GetOptions { Syncpoint = true });
        Assert.Equal(1, counters.Uncommitted);
        q.Tell(new LocalQueue.Get(GetOptions.NoWait), TestActor);
        Assert.Equal(MqReason.NoMsgAvailable, (await ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);
        q.Tell(new LocalQueue.BackoutGet(first.Token), TestActor);
        Assert.Equal(1, (await ExpectMsgAsync<LocalQueue.GetBackedOut>()).BackoutCount);

        var second = await Get(q, new GetOptions { Syncpoint = true });
        Assert.Equal(1, second.Message.Descriptor.BackoutCount);
        q.Tell(new LocalQueue.CommitGet(second.Token), TestActor);
        await ExpectMsgAsync<LocalQueue.GetCommitted>();
        Assert.Equal(0, counters.Depth);
        Assert.Equal(0, counters.Uncommitted);
    }

    [Fact]
    public async Task LocalQueue_must_refuse_with_MQ_reason_codes()
    {
        var (full, _) = Start(Definition(maxDepth: 1));
        var (small, _) = Start(Definition(maxMsgL: 4));
        var (putInhibited, _) = Start(Definition(put: false));
        var (getInhibited, _) = Start(Definition(get: false));
        var (noJournal, _) = Start();

        await Put(full, Text("fits"));
        async Task<MqReason> PutReason(IActorRef q, MqMessage m)
        {
            q.Tell(new LocalQueue.Put(m), TestActor);
            return (await ExpectMsgAsync<LocalQueue.PutRejected>()).Reason;
        }

        Assert.Equal(MqReason.QFull, await PutReason(full, Text("overflow")));
        Assert.Equal(MqReason.MsgTooBigForQ, await PutReason(small, Text("too long")));
        Assert.Equal(MqReason.PutInhibited, await PutReason(putInhibited, Text("x")));
        Assert.Equal(MqReason.PersistentNotAllowed, await PutReason(noJournal, Text("x", Persistence.Persistent)));
        Assert.Equal(MqReason.ExpiryError, await PutReason(noJournal, Text("x", expiry: 0)));
        Assert.Equal(MqReason.PriorityError, await PutReason(noJournal, Text("x", priority: -2)));
        getInhibited.Tell(new LocalQueue.Get(GetOptions.NoWait), TestActor);
        Assert.Equal(MqReason.GetInhibited, (await ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);
    }

    [Fact]
    public async Task LocalQueue_must_apply_an_altered_definition()
    {
        var (q, _) = Start();
        await Put(q, Text("before"));

        q.Tell(new LocalQueue.UpdateDefinition(Definition(put: false)));
        q.Tell(new LocalQueue.Put(Text("after")), TestActor);

        Assert.Equal(MqReason.PutInhibited, (await ExpectMsgAsync<LocalQueue.PutRejected>()).Reason);
    }

    [Fact]
    public async Task LocalQueue_must_tell_waiters_2052_when_deleted()
    {
        var (q, counters) = Start();
        var waiter = CreateTestProbe("waiter");
        q.Tell(new LocalQueue.Get(new GetOptions { Wait = Timeout.InfiniteTimeSpan }), waiter);
        await AwaitAssertAsync(() => Assert.Equal(1, counters.Waiting), TimeSpan.FromSeconds(3));
        Watch(q);

        q.Tell(new LocalQueue.DeleteQueue());

        Assert.Equal(MqReason.QDeleted, (await waiter.ExpectMsgAsync<LocalQueue.GetRejected>()).Reason);
        await ExpectTerminatedAsync(q);
    }

    [Fact]
    public async Task LocalQueue_must_make_persistent_puts_and_gets_durable_before_answering()
    {
        var (q, counters) = Start(journal: true);
        await Put(q, Text("p1", Persistence.Persistent));
        await Put(q, Text("p2", Persistence.Persistent));
        await Put(q, Text("np", Persistence.NotPersistent));
        await Get(q);

        var rows = _journals[0].LoadMessages();

        Assert.Equal(new[] { "p2" }, rows["Q1"].Select(m => Text(m.Message)));
        Assert.Equal(2, counters.Depth);
    }

    [Fact]
    public async Task LocalQueue_must_keep_put_order_when_a_non_persistent_put_follows_a_persistent_one_still_syncing()
    {
        var (q, _) = Start(journal: true);
        var earlier = CreateTestProbe("earlier-getter");
        var later = CreateTestProbe("later-getter");

        // The gets arrive while the persistent put is still being synced: the earlier get must take the earlier message.
        q.Tell(new LocalQueue.Put(Text("first", Persistence.Persistent, priority: 0)), TestActor);
        q.Tell(new LocalQueue.Put(Text("second", Persistence.NotPersistent, priority: 0)), TestActor);
        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(5) }), earlier);
        q.Tell(new LocalQueue.Get(new GetOptions { Wait = TimeSpan.FromSeconds(5) }), later);

        Assert.Equal("first", Text((await earlier.ExpectMsgAsync<LocalQueue.MessageGot>()).Message));
        Assert.Equal("second", Text((await later.ExpectMsgAsync<LocalQueue.MessageGot>()).Message));
    }

    [Fact]
    public async Task LocalQueue_must_start_with_recovered_messages_in_order_and_drop_expired_ones()
    {
        var recovered = new List<StoredMessage>
        {
            new(1, Text("first", Persistence.Persistent, priority: 0), StoredMessage.NeverExpires),
            new(2, Text("gone", Persistence.Persistent, priority: 0), 1),
            new(3, Text("urgent", Persistence.Persistent, priority: 9), StoredMessage.NeverExpires),
        };
        var (q, counters) = Start(journal: true, recovered: recovered);

        Assert.Equal("urgent", Text((await Get(q)).Message));
        Assert.Equal("first", Text((await Get(q)).Message));
        Assert.Equal(0, counters.Depth);
    }

    [Fact]
    public async Task LocalQueue_must_clear_all_but_uncommitted_messages()
    {
        var (q, counters) = Start();
        await Put(q, Text("locked"));
        await Put(q, Text("free"));
        var locked = await Get(q, new GetOptions { Syncpoint = true });

        q.Tell(new LocalQueue.ClearQueue(), TestActor);

        Assert.Equal(1, (await ExpectMsgAsync<LocalQueue.Cleared>()).Removed);
        Assert.Equal(1, counters.Depth);
        q.Tell(new LocalQueue.BackoutGet(locked.Token), TestActor);
        await ExpectMsgAsync<LocalQueue.GetBackedOut>();
        Assert.Equal("locked", Text((await Get(q)).Message));
    }

    public new void Dispose()
    {
        Shutdown();
        foreach (var j in _journals)
        {
            j.Dispose();
        }

        _dir.Dispose();
        base.Dispose();
    }
}
