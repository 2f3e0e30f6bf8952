using System.Data.Common;
using ActorQm.Configuration;
using Microsoft.Data.Sqlite;

namespace ActorQm.Store;

/// <summary>The embedded default: one SQLite file per queue manager, WAL, owned through an exclusive lock file.</summary>
internal sealed class SqliteJournalEngine(string qmgr, StoreSettings settings) : JournalEngine
{
    private FileStream? _lock;

    // The journal file as opened at start, and what the kernel called it then (docs/persistence.md, "Journal outages").
    private FileStream? _identity;
    private string? _openedAs;

    public override string Location => settings.Path;

    public override string Schema => Tables("INTEGER", "BLOB", string.Empty);

    // SQLite keeps a row's rowid through ON CONFLICT DO UPDATE, so it is the order of first definition.
    public override string ObjectOrder => "rowid";

    public override DbConnection OpenOwnedWriter()
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(settings.Path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        try
        {
            _lock = new FileStream(settings.Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new QueueManagerInUseException(qmgr, $"lock on {settings.Path}.lock", e);
        }

        var connection = OpenWriter();
        try
        {
            _identity = new FileStream(settings.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _openedAs = OpenFileName();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // SQLITE_IOERR (any extended code): the file system failed a read, write or sync under the connection, whose pages and
    // WAL index may no longer match the file; the next transaction runs on a new one (docs/persistence.md, "Journal outages").
    public override string? LostConnection(Exception e, DbConnection connection) => e is SqliteException { SqliteErrorCode: 10 } io
        ? $"the journal's storage failed (SQLite extended code {io.SqliteExtendedErrorCode}: {io.Message}); the writer opens the journal again"
        : null;

    // The writer's count of its commits, raised in each, read back when a commit's outcome is in doubt.
    public override void EnsureWriterTables(DbConnection connection) =>
        Execute(connection, "CREATE TABLE IF NOT EXISTS journal_commits(qmgr TEXT NOT NULL PRIMARY KEY, last_commit INTEGER NOT NULL);");

    // The lock file is still this runtime's: only the connection is new.
    public override DbConnection Reown() => OpenWriter();

    // One more row written per commit (not per message), so that a commit whose sync failed can be looked for afterwards.
    public override long? TransactionId(DbTransaction transaction)
    {
        using var cmd = transaction.Connection!.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "INSERT INTO journal_commits(qmgr, last_commit) VALUES (@q, 1) ON CONFLICT(qmgr) DO UPDATE SET last_commit = last_commit + 1 RETURNING last_commit";
        cmd.Parameters.Add(new SqliteParameter("@q", qmgr));
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Whether commit number <paramref name="transaction"/> is in the journal, asked once what the journal holds is durable: a
    /// full checkpoint on a new connection copies it into the database file, syncs that and empties the WAL, so no later open
    /// finds more or less. It throws while the file system still fails, and is asked again.
    /// </summary>
    public override string? TransactionStatus(long transaction)
    {
        using var connection = Open(SqliteOpenMode.ReadWrite);
        Execute(connection, "PRAGMA synchronous=FULL;");
        Execute(connection, $"PRAGMA busy_timeout={(int)settings.BusyTimeout.TotalMilliseconds};");
        using (var checkpoint = connection.CreateCommand())
        {
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var result = checkpoint.ExecuteReader();
            if (!result.Read() || result.GetInt64(0) != 0)
            {
                return "in progress";
            }
        }

        // The checkpoint empties the WAL without syncing that: until the next commit does, a power cut could bring back
        // frames of the commit in doubt.
        var wal = settings.Path + "-wal";
        if (File.Exists(wal))
        {
            using var file = new FileStream(wal, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            file.Flush(flushToDisk: true);
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT last_commit FROM journal_commits WHERE qmgr = @q";
        read.Parameters.Add(new SqliteParameter("@q", qmgr));
        return read.ExecuteScalar() is long last && last >= transaction ? "committed" : "aborted";
    }

    /// <summary>
    /// Linux names every open file under /proc/self/fd: a journal moved away shows its new name, one removed or replaced by
    /// another file (a rename over it) shows "(deleted)". Elsewhere nothing is checked.
    /// </summary>
    public override string? Replaced()
    {
        if (_openedAs is null || OpenFileName() is not { } now || now == _openedAs)
        {
            return null;
        }

        return $"the journal file {settings.Path} was removed, moved or replaced while the queue manager ran (the file it has open is now {now})";
    }

    private string? OpenFileName()
    {
        if (!OperatingSystem.IsLinux() || _identity is null)
        {
            return null;
        }

        try
        {
            return new FileInfo($"/proc/self/fd/{_identity.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public override DbConnection OpenReader() => Open(SqliteOpenMode.ReadOnly);

    public override DbParameter Parameter(string name, object? value) => new SqliteParameter(name, value);

    // SQLITE_FULL: the database or the disk holding it is full.
    public override bool IsStorageFull(Exception e) => e is SqliteException { SqliteErrorCode: 13 };

    public override void Dispose()
    {
        _identity?.Dispose();
        _lock?.Dispose();
    }

    private SqliteConnection OpenWriter()
    {
        var connection = Open(SqliteOpenMode.ReadWriteCreate);
        try
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, $"PRAGMA synchronous={settings.Synchronous};");
            Execute(connection, $"PRAGMA busy_timeout={(int)settings.BusyTimeout.TotalMilliseconds};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection Open(SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = settings.Path,
            Mode = mode,
            Pooling = false,
            // Microsoft.Data.Sqlite retries a locked database for the command timeout (30 s by default):
            // busy-timeout bounds the whole wait, so a journal held by another process fails a put in that time.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(settings.BusyTimeout.TotalSeconds)),
        }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(DbConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
