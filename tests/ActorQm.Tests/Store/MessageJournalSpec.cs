using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Store;

/// <summary>What every journal engine must do; run once per engine by the specs below.</summary>
public abstract class MessageJournalContract(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    protected readonly TempDirectory _dir = new();

    private protected abstract StoreSettings Store { get; }

    private protected MessageJournal Open() => MessageJournal.Open("QM1", Store);

    private protected StoredMessage Stored(MessageJournal journal, string text, int priority = 0) =>
        new(journal.NextSeq(), Text(text, Persistence.Persistent, priority) with { Descriptor = Text(text, Persistence.Persistent, priority).Descriptor with { MsgId = MqId.New(), PutDateTime = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) } }, StoredMessage.NeverExpires);

    [Fact]
    public async Task Journal_must_keep_what_it_acknowledged_and_forget_what_was_deleted()
    {
        var probe = CreateTestProbe("writer");
        StoredMessage a, b, c;
        using (var journal = Open())
        {
            a = Stored(journal, "a");
            b = Stored(journal, "b", 4);
            c = Stored(journal, "c");
            journal.Enqueue(JournalOp.Insert("Q1", a, probe.Ref.Tell, "a"));
            journal.Enqueue(JournalOp.Insert("Q1", b, probe.Ref.Tell, "b"));
            journal.Enqueue(JournalOp.Insert("Q2", c, probe.Ref.Tell, "c"));
            journal.Enqueue(JournalOp.Delete(a.Seq, probe.Ref.Tell, "deleted a"));
            journal.Enqueue(JournalOp.Backout(b.Seq, 3, probe.Ref.Tell, "backout b"));
            await probe.ExpectMsgAsync("a");
            await probe.ExpectMsgAsync("b");
            await probe.ExpectMsgAsync("c");
            await probe.ExpectMsgAsync("deleted a");
            await probe.ExpectMsgAsync("backout b");
        }

        using var reopened = Open();
        var rows = reopened.LoadMessages();

        var q1 = Assert.Single(rows["Q1"]);
        Assert.Equal(b.Seq, q1.Seq);
        Assert.Equal(3, q1.Message.Descriptor.BackoutCount);
        Assert.Equal(b.Message.Descriptor with { BackoutCount = 3 }, q1.Message.Descriptor);
        Assert.Equal(b.Message.Payload.ToArray(), q1.Message.Payload.ToArray());
        Assert.Equal("c", Text(Assert.Single(rows["Q2"]).Message));
        Assert.True(reopened.NextSeq() > c.Seq);
    }

    [Fact]
    public async Task Journal_must_keep_the_trace_context_a_message_travels_in()
    {
        var probe = CreateTestProbe("writer");
        StoredMessage traced;
        using (var journal = Open())
        {
            var plain = Stored(journal, "traced");
            var context = new System.Diagnostics.ActivityContext(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded, isRemote: true);
            traced = new StoredMessage(plain.Seq, plain.Message with { Descriptor = plain.Message.Descriptor with { TraceContext = context } }, StoredMessage.NeverExpires);
            journal.Enqueue(JournalOp.Insert("Q1", traced, probe.Ref.Tell, "stored"));
            await probe.ExpectMsgAsync("stored");
        }

        using var reopened = Open();

        Assert.Equal(traced.Message.Descriptor, Assert.Single(reopened.LoadMessages()["Q1"]).Message.Descriptor);
    }

    [Fact]
    public async Task Journal_must_group_commit_writes_that_arrive_together()
    {
        var probe = CreateTestProbe("writer");
        using var journal = Open();
        const int count = 2000;

        for (var i = 0; i < count; i++)
        {
            journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, "m" + i), probe.Ref.Tell, i));
        }

        for (var i = 0; i < count; i++)
        {
            await probe.ExpectMsgAsync(i);
        }

        Assert.Equal(count, journal.CommittedOps);
        Assert.True(journal.CommittedBatches < count / 10, $"{journal.CommittedBatches} transactions for {count} writes");
    }

    [Fact]
    public async Task Journal_must_fail_only_the_bad_write_of_a_batch_and_keep_working()
    {
        var probe = CreateTestProbe("writer");
        using var journal = Open();
        var first = Stored(journal, "first");
        journal.Enqueue(JournalOp.Insert("Q1", first, probe.Ref.Tell, "first"));
        await probe.ExpectMsgAsync("first");

        var before = Stored(journal, "before");
        var clash = new StoredMessage(first.Seq, first.Message, StoredMessage.NeverExpires);
        var after = Stored(journal, "after");
        journal.Enqueue(JournalOp.Insert("Q1", before, probe.Ref.Tell, "before"));
        journal.Enqueue(JournalOp.Insert("Q1", clash, probe.Ref.Tell, "clash"));
        journal.Enqueue(JournalOp.Insert("Q1", after, probe.Ref.Tell, "after"));

        await probe.ExpectMsgAsync("before");
        var failed = await probe.ExpectMsgAsync<JournalWriteFailed>();
        await probe.ExpectMsgAsync("after");
        Assert.Equal("clash", failed.Ack);
        Assert.Contains("UNIQUE", failed.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new[] { "first", "before", "after" }, journal.LoadMessages()["Q1"].Select(m => Text(m.Message)));
    }

    /// <summary>
    /// A write nobody waits for has its effect in memory already; one that fails for its own sake (here the journal's key) is
    /// not dropped, which would leave the journal behind memory, but tried again first, with every write behind it refused,
    /// until after five attempts over five seconds the queue manager is told to end (docs/persistence.md, "Journal outages").
    /// </summary>
    [Fact]
    public async Task Journal_must_retry_a_failed_write_nobody_waits_for_ahead_of_the_rest_and_give_up_after_five_attempts()
    {
        var probe = CreateTestProbe("writer");
        var ended = CreateTestProbe("ended");
        var notices = CreateTestProbe("notices");
        using var journal = Open();
        journal.OnOwnershipLost(reason => ended.Ref.Tell(reason));
        journal.OnInDoubt(reason => notices.Ref.Tell(reason));
        var first = Stored(journal, "first");
        journal.Enqueue(JournalOp.Insert("Q1", first, probe.Ref.Tell, "first"));
        await probe.ExpectMsgAsync("first");

        journal.Enqueue(JournalOp.Unit([JournalOp.Insert("Q1", new StoredMessage(first.Seq, first.Message, StoredMessage.NeverExpires), null, null)], null, null));
        var after = Stored(journal, "after");
        journal.Enqueue(JournalOp.Insert("Q1", after, probe.Ref.Tell, "after"));
        var behind = await probe.ExpectMsgAsync<JournalWriteFailed>();
        Assert.Equal("after", behind.Ack);
        Assert.Contains("queued ahead", behind.Reason, StringComparison.Ordinal);

        Assert.Contains("nobody waits for could not be written", await notices.ExpectMsgAsync<string>(), StringComparison.Ordinal);
        var reason = await ended.ExpectMsgAsync<string>(TimeSpan.FromSeconds(20));
        Assert.Matches("failed again [0-9]+ times over [0-9]+ s", reason);
        // Logged once for the run of owed writes, not at every attempt.
        await notices.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["first"], journal.LoadMessages()["Q1"].Select(m => Text(m.Message)));
    }

    [Fact]
    public void Journal_must_refuse_a_second_open_while_held()
    {
        using var journal = Open();

        var e = Assert.Throws<QueueManagerInUseException>(Open);

        Assert.StartsWith("AMQ8146E", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Journal_must_save_and_delete_object_definitions()
    {
        var probe = CreateTestProbe("writer");
        using (var journal = Open())
        {
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "A", "DEFINE QLOCAL('A') REPLACE", probe.Ref.Tell, 1));
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "A", "DEFINE QLOCAL('A') DESCR('v2') REPLACE", probe.Ref.Tell, 2));
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "B", "DEFINE QLOCAL('B') REPLACE", probe.Ref.Tell, 3));
            journal.Enqueue(JournalOp.DeleteObject("QLOCAL", "B", probe.Ref.Tell, 4));
            await probe.ExpectMsgAsync(1);
            await probe.ExpectMsgAsync(2);
            await probe.ExpectMsgAsync(3);
            await probe.ExpectMsgAsync(4);
        }

        using var reopened = Open();
        var only = Assert.Single(reopened.LoadObjects());
        Assert.Equal("DEFINE QLOCAL('A') DESCR('v2') REPLACE", only.Definition);
    }

    [Fact]
    public async Task Journal_must_restore_objects_in_the_order_they_were_first_defined()
    {
        var probe = CreateTestProbe("writer");
        using (var journal = Open())
        {
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "Z", "DEFINE QLOCAL('Z') REPLACE", probe.Ref.Tell, 1));
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "A", "DEFINE QLOCAL('A') REPLACE", probe.Ref.Tell, 2));
            journal.Enqueue(JournalOp.SaveObject("QLOCAL", "Z", "DEFINE QLOCAL('Z') DESCR('v2') REPLACE", probe.Ref.Tell, 3));
            await probe.ExpectMsgAsync(1);
            await probe.ExpectMsgAsync(2);
            await probe.ExpectMsgAsync(3);
        }

        using var reopened = Open();
        Assert.Equal(new[] { "Z", "A" }, reopened.LoadObjects().Select(o => o.Name));
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}

public sealed class MessageJournalSpec(ITestOutputHelper output) : MessageJournalContract(output)
{
    private protected override StoreSettings Store => Settings("QM1", _dir.Path).Store;
}
