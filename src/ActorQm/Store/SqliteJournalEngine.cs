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

        var connection = Open(SqliteOpenMode.ReadWriteCreate);
        try
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, $"PRAGMA synchronous={settings.Synchronous};");
            Execute(connection, $"PRAGMA busy_timeout={(int)settings.BusyTimeout.TotalMilliseconds};");
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
