using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Akka.Actor;
using Npgsql;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Store;

/// <summary>
/// A queue manager on a real PostgreSQL journal whose session dies (a server restart, pg_terminate_backend):
/// it resumes by itself when it can take its advisory lock again, and ends when another runtime took the
/// lock meanwhile, rather than refusing every write for good (docs/persistence.md, "Journal outages";
/// docs/reliability.md, "Cluster chaos").
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalOwnershipSpec : Akka.TestKit.Xunit2.TestKit, IClassFixture<PostgresServer>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _connection;

    public JournalOwnershipSpec(PostgresServer server, ITestOutputHelper output) : base(Quiet, output)
    {
        _connection = server.CreateDatabase();
    }

    private string Hocon => $"""
        store.engine = postgresql
        store.connection-string = "{_connection}"
        store.lock-wait = 2s
        """;

    private Task<StartedQueueManager> Start() => QueueManagerPair.Start(Sys, _dir, "QMO", "DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)", Hocon);

    [Fact]
    public async Task QueueManager_must_end_when_another_runtime_took_its_journal_while_its_session_was_gone()
    {
        var qm = (await Start()).Actor;
        var app = new QueueManagerConnection(qm, "spec", TimeSpan.FromSeconds(5));
        await app.PutAsync("APP.IN", Text("before", Persistence.Persistent));
        Watch(qm);

        // The session dies; before the queue manager's writer comes back, another runtime takes the lock.
        await KillSessions("actorqm-QMO");
        using var other = MessageJournal.Open("QMO", Settings("QMO", _dir.Path, Hocon).Store with { LockWait = TimeSpan.FromSeconds(10) });

        // Every put needs the journal: each is refused (never acknowledged), and the queue manager must end by itself.
        using var stop = new CancellationTokenSource();
        var putting = Task.Run(async () =>
        {
            var acknowledged = new List<string>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await app.PutAsync("APP.IN", Text($"after {i}", Persistence.Persistent));
                    acknowledged.Add($"after {i}");
                }
                catch (Exception e) when (e is MqException or AskTimeoutException or TaskCanceledException)
                {
                    await Task.Delay(100);
                }
            }

            return acknowledged;
        });

        await ExpectTerminatedAsync(qm, TimeSpan.FromSeconds(30));
        stop.Cancel();
        Assert.Empty(await putting);

        // What it had acknowledged is in the journal the other runtime now owns.
        Assert.Equal(["before"], other.LoadMessages()["APP.IN"].Select(m => Text(m.Message)));
    }

    [Fact]
    public async Task QueueManager_must_write_again_by_itself_once_it_holds_its_lock_again()
    {
        var qm = (await Start()).Actor;
        var app = new QueueManagerConnection(qm, "spec", TimeSpan.FromSeconds(5));
        await app.PutAsync("APP.IN", Text("before", Persistence.Persistent));

        await KillSessions("actorqm-QMO");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? acknowledged = null;
        for (var i = 0; acknowledged is null && DateTime.UtcNow < deadline; i++)
        {
            try
            {
                await app.PutAsync("APP.IN", Text($"after {i}", Persistence.Persistent));
                acknowledged = $"after {i}";
            }
            catch (MqException e) when (e.Reason == MqReason.ResourceProblem)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(acknowledged);
        await QueueManagerBootstrap.StopAsync(qm);
        var restarted = (await Start()).Actor;
        Assert.Equal(["before", acknowledged], await DrainAsync(restarted, "APP.IN"));
    }

    /// <summary>
    /// A write nobody waits for has its effect in memory already (a sender's deletes and record after its partner confirmed a
    /// batch). Failed with its lost connection and dropped, it left the journal behind memory: the batch's messages were
    /// sent again after the next restart, duplicates with their MsgIds (docs/reliability.md, "Cluster chaos").
    /// </summary>
    [Fact]
    public async Task Journal_must_write_again_the_writes_nobody_waits_for_that_a_lost_connection_failed()
    {
        using var journal = MessageJournal.Open("QMW", Settings("QMW", _dir.Path, Hocon).Store);
        var answers = CreateTestProbe();

        // The session dies and no new one can be made until the database takes connections again.
        await AllowConnections(false);
        await KillSessions("actorqm-QMW");
        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMB", 7, 0, []), null, null));
        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMC", 3, 0, []), answers.Ref.Tell, "written"));

        // The write answered is refused; the one nobody waits for is owed, and written once the database is back.
        var failed = await answers.ExpectMsgAsync<JournalWriteFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal("written", failed.Ack);
        await AllowConnections(true);
        await AwaitAssertAsync(() => Assert.Equal(7, journal.LoadChannelSync().GetValueOrDefault("TO.QMB")?.LastSeq), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        Assert.False(journal.LoadChannelSync().ContainsKey("TO.QMC"));
    }

    /// <summary>
    /// A write after an owed one must not reach the journal first, even when the writer could reconnect for it at once:
    /// a channel's older record would then overwrite its newer one.
    /// </summary>
    [Fact]
    public async Task Journal_must_not_write_anything_before_the_writes_it_owes()
    {
        // One write per transaction: the second is a batch of its own, after the one the lost connection fails.
        using var journal = MessageJournal.Open("QMX", Settings("QMX", _dir.Path, Hocon).Store with { MaxBatch = 1 });
        await KillSessions("actorqm-QMX");

        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMB", 7, 0, []), null, null));
        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMB", 9, 0, []), null, null));

        await AwaitAssertAsync(() => Assert.Equal(9, journal.LoadChannelSync().GetValueOrDefault("TO.QMB")?.LastSeq), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        // And it stays so: an owed write written late would take the record back within the writer's one-second pace,
        // so an absence is watched for twice that.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(9, journal.LoadChannelSync()["TO.QMB"].LastSeq);
    }

    private async Task AllowConnections(bool allow)
    {
        var builder = new NpgsqlConnectionStringBuilder(_connection) { Pooling = false };
        var database = builder.Database;
        builder.Database = "postgres";
        await using var admin = new NpgsqlConnection(builder.ConnectionString);
        await admin.OpenAsync();
        await using var alter = admin.CreateCommand();
        alter.CommandText = $"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS {(allow ? "true" : "false")}";
        await alter.ExecuteNonQueryAsync();
    }

    private async Task KillSessions(string application)
    {
        // From the server's own database: the journal's may be refusing connections.
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connection) { Pooling = false, Database = "postgres" }.ConnectionString);
        await admin.OpenAsync();
        await using var kill = admin.CreateCommand();
        kill.CommandText = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = @a";
        kill.Parameters.AddWithValue("a", application);
        await kill.ExecuteNonQueryAsync();
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
