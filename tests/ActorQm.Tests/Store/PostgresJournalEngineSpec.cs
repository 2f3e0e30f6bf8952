using ActorQm.Configuration;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Npgsql;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Store;

/// <summary>The journal contract on a real PostgreSQL server, and the ownership rules a shared journal needs.</summary>
public sealed class PostgresJournalEngineSpec : MessageJournalContract, IClassFixture<PostgresServer>
{
    private readonly StoreSettings _store;

    public PostgresJournalEngineSpec(PostgresServer server, ITestOutputHelper output) : base(output)
    {
        var connection = server.CreateDatabase();
        _store = ActorQmSettings.ForQueueManager("QM1", ConfigurationFactory.ParseString($"""
            store.engine = postgresql
            store.connection-string = "{connection}"
            store.lock-wait = 1s
            """)).Store;
    }

    private protected override StoreSettings Store => _store;

    [Fact]
    public async Task PostgresJournalEngine_must_hand_the_journal_over_once_its_owner_closes_it()
    {
        var first = Open();
        var patient = _store with { LockWait = TimeSpan.FromSeconds(20) };
        var second = Task.Run(() => MessageJournal.Open("QM1", patient));

        await Task.Delay(700);
        Assert.False(second.IsCompleted, "a second runtime opened a journal that another one holds");
        first.Dispose();

        using var taken = await second.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Empty(taken.LoadMessages());
    }

    [Fact]
    public async Task PostgresJournalEngine_must_free_the_journal_when_its_owners_session_dies()
    {
        using var first = Open();

        // What the server sees when the owning process is killed: its session ends.
        await KillOwnerSessions();

        using var second = MessageJournal.Open("QM1", _store with { LockWait = TimeSpan.FromSeconds(10) });
        Assert.Contains("postgresql://127.0.0.1", second.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresJournalEngine_must_fail_writes_while_its_session_is_gone_then_reconnect_and_own_the_journal_again()
    {
        var probe = CreateTestProbe("writer");
        string[] kept;
        using (var journal = Open())
        {
            journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, "before"), probe.Ref.Tell, "before"));
            await probe.ExpectMsgAsync("before");

            // The session dies under a running writer (a server restart, pg_terminate_backend, a cut network).
            await KillOwnerSessions();
            journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, "lost"), probe.Ref.Tell, "lost"));
            var failed = await probe.ExpectMsgAsync<JournalWriteFailed>(TimeSpan.FromSeconds(10));
            Assert.Contains("connection was lost", failed.Reason, StringComparison.Ordinal);

            // Writes fail at once until the writer has a session and the lock again; then they are durable.
            var acknowledged = false;
            for (var i = 0; i < 20 && !acknowledged; i++)
            {
                journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, $"after {i}"), probe.Ref.Tell, $"after {i}"));
                var answer = await probe.ReceiveOneAsync(TimeSpan.FromSeconds(10));
                acknowledged = answer is string;
                Assert.True(answer is string or JournalWriteFailed, $"unexpected {answer}");
                if (!acknowledged)
                {
                    await Task.Delay(300);
                }
            }

            Assert.True(acknowledged, "the journal did not write again after its session came back");
            // It owns the queue manager again: a second runtime is kept out.
            Assert.Throws<QueueManagerInUseException>(() => MessageJournal.Open("QM1", _store).Dispose());
        }

        using (var reopened = Open())
        {
            kept = [.. reopened.LoadMessages()["Q1"].Select(m => Text(m.Message))];
        }

        Assert.Equal("before", kept[0]);
        Assert.DoesNotContain("lost", kept);
        Assert.StartsWith("after", kept[^1], StringComparison.Ordinal);
    }

    private async Task KillOwnerSessions()
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_store.ConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var kill = admin.CreateCommand();
        kill.CommandText = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'actorqm-QM1'";
        await kill.ExecuteNonQueryAsync();
    }

    [Fact]
    public void PostgresJournalEngine_must_never_show_the_connection_string()
    {
        var secret = _store with { ConnectionString = _store.ConnectionString + ";Password=hunter2" };

        Assert.DoesNotContain("hunter2", secret.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", secret.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresJournalEngine_must_be_refused_without_a_connection_string()
    {
        var e = Assert.Throws<ConfigurationException>(() => ActorQmSettings.ForQueueManager("QM1", ConfigurationFactory.ParseString("store.engine = postgresql")));

        Assert.Contains("connection-string", e.Message, StringComparison.Ordinal);
    }
}
