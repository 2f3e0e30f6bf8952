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
/// A journal commit whose connection is cut after COMMIT was sent, on a real PostgreSQL server behind a proxy that
/// cuts exactly there (<see cref="CommitCutProxy"/>): when the server committed it, the write is acknowledged (late)
/// and the queue manager holds the message, as its journal does; when it did not, the write fails. Never "not stored"
/// for what is stored (docs/persistence.md, "Journal outages"; docs/reliability.md, "Cluster chaos").
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalInDoubtSpec : Akka.TestKit.Xunit2.TestKit, IClassFixture<PostgresServer>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CommitCutProxy _proxy;
    private readonly string _connection;

    public JournalInDoubtSpec(PostgresServer server, ITestOutputHelper output) : base(Quiet, output)
    {
        _proxy = new CommitCutProxy(server.Port);
        _connection = new NpgsqlConnectionStringBuilder(server.CreateDatabase()) { Port = _proxy.Port }.ConnectionString;
    }

    private string Hocon => $"""
        store.engine = postgresql
        store.connection-string = "{_connection}"
        store.lock-wait = 5s
        """;

    [Fact]
    public async Task Put_must_be_acknowledged_when_PostgreSQL_committed_it_though_the_answer_was_lost()
    {
        var qm = (await QueueManagerPair.Start(Sys, _dir, "QMD", "DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)", Hocon)).Actor;
        var app = new QueueManagerConnection(qm, "spec", TimeSpan.FromSeconds(30));
        await app.PutAsync("APP.IN", Text("before", Persistence.Persistent));

        _proxy.Arm(CommitCutProxy.Cut.AnswerLost);
        await app.PutAsync("APP.IN", Text("in doubt", Persistence.Persistent));
        await _proxy.Done.WaitAsync(TimeSpan.FromSeconds(5));
        await app.PutAsync("APP.IN", Text("after", Persistence.Persistent));

        // In the queue manager's memory as in its journal: a get finds all three.
        Assert.Equal(["before", "in doubt", "after"], await DrainAsync(qm, "APP.IN"));
        await QueueManagerBootstrap.StopAsync(qm);
    }

    [Fact]
    public async Task Journal_write_must_fail_when_its_commit_never_reached_PostgreSQL()
    {
        var probe = CreateTestProbe();
        using (var journal = MessageJournal.Open("QMD", Settings("QMD", _dir.Path, Hocon).Store))
        {
            journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, "before"), probe.Ref.Tell, "before"));
            await probe.ExpectMsgAsync("before");

            _proxy.Arm(CommitCutProxy.Cut.CommitLost);
            journal.Enqueue(JournalOp.Insert("Q1", Stored(journal, "lost"), probe.Ref.Tell, "lost"));
            var failed = await probe.ExpectMsgAsync<JournalWriteFailed>(TimeSpan.FromSeconds(30));
            await _proxy.Done.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Contains("connection was lost", failed.Reason, StringComparison.Ordinal);
        }

        using var reopened = MessageJournal.Open("QMD", Settings("QMD", _dir.Path, Hocon).Store);
        Assert.Equal(["before"], reopened.LoadMessages()["Q1"].Select(m => Text(m.Message)));
    }

    private static StoredMessage Stored(MessageJournal journal, string text) =>
        new(journal.NextSeq(), Text(text, Persistence.Persistent) with { Descriptor = Text(text, Persistence.Persistent).Descriptor with { MsgId = MqId.New() } }, StoredMessage.NeverExpires);

    public new void Dispose()
    {
        base.Dispose();
        _proxy.Dispose();
        _dir.Dispose();
    }
}
