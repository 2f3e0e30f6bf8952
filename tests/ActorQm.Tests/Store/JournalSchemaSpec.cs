using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ActorQm.Tests.Store;

/// <summary>
/// Journals from other releases (docs/storage.md, "Schema versions"): Journals/v1-QM1.db was written by the release
/// before journals carried a version (its provenance is in Journals/README.md); every later release must open it with
/// nothing lost, and a journal of a version this release does not read must be refused, unchanged.
/// </summary>
public sealed class JournalSchemaSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Fixture()
    {
        var path = _dir.File("QM1.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Store", "Journals", "v1-QM1.db"), path);
        return path;
    }

    [Fact]
    public async Task JournalSchema_must_open_a_journal_of_the_first_release_with_its_messages_and_definitions_and_stamp_its_version()
    {
        var path = Fixture();

        var qm = await QueueManagerBootstrap.StartAsync(Sys, TestMessages.Settings("QM1", _dir.Path));
        var messages = await TestMessages.DrainAsync(qm.Actor, "APP.IN");
        var routed = await TestMessages.DrainAsync(qm.Actor, "QM2");
        var (display, _, _) = await new QueueManagerConnection(qm.Actor).RunMqscAsync("DISPLAY AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE)\nDISPLAY CHLAUTH('APP.SVRCONN')\nDISPLAY QREMOTE('APP.REMOTE')");
        await QueueManagerBootstrap.StopAsync(qm.Actor);

        Assert.Equal(["persistent 0", "persistent 1", "persistent 2"], messages);
        Assert.Single(routed);
        var text = string.Join("\n", display);
        Assert.Contains("ENTITY(app)", text, StringComparison.Ordinal);
        Assert.Contains("10.1.2.*", text, StringComparison.Ordinal);
        Assert.Contains("RNAME(APP.IN)", text, StringComparison.Ordinal);
        Assert.Equal(JournalSchema.Current, Version(path));
    }

    [Fact]
    public void JournalSchema_must_refuse_a_journal_of_a_version_it_does_not_read_and_change_nothing()
    {
        var path = Fixture();
        Execute(path, "CREATE TABLE journal_info(qmgr TEXT NOT NULL PRIMARY KEY, schema_version INTEGER NOT NULL, written_by TEXT NOT NULL); INSERT INTO journal_info VALUES ('QM1', 99, '9.9.9')");
        var before = File.ReadAllBytes(path);

        var refused = Assert.Throws<JournalVersionException>(() => MessageJournal.Open("QM1", TestMessages.Settings("QM1", _dir.Path).Store).Dispose());

        Assert.Contains("AMQ7204E", refused.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 99 (written by ActorQm 9.9.9)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(4, Convert.ToInt32(Scalar(path, "SELECT count(*) FROM messages"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    private static int Version(string path) => Convert.ToInt32(Scalar(path, "SELECT schema_version FROM journal_info WHERE qmgr = 'QM1'"), System.Globalization.CultureInfo.InvariantCulture);

    private static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
