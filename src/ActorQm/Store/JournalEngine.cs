using System.Data.Common;
using ActorQm.Configuration;

namespace ActorQm.Store;

/// <summary>
/// What differs between the SQL engines a journal can live on: how a connection is opened, the
/// schema's column types, and how a runtime takes exclusive ownership of one queue manager's rows.
/// The statements themselves are the same on every engine (named parameters, ON CONFLICT upserts).
/// </summary>
internal abstract class JournalEngine : IDisposable
{
    public static JournalEngine For(string qmgr, StoreSettings settings) => settings.Engine switch
    {
        StoreEngine.PostgreSql => new PostgresJournalEngine(qmgr, settings),
        _ => new SqliteJournalEngine(qmgr, settings),
    };

    /// <summary>Where the journal is, for messages and status (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>
    /// Takes exclusive ownership of the queue manager's data (or throws <see cref="QueueManagerInUseException"/>)
    /// and opens the connection the writer thread owns; for PostgreSQL that connection holds the ownership.
    /// </summary>
    public abstract DbConnection OpenOwnedWriter();

    /// <summary>A connection for reads at start, separate from the writer's.</summary>
    public abstract DbConnection OpenReader();

    /// <summary>CREATE TABLE IF NOT EXISTS statements in this engine's types.</summary>
    public abstract string Schema { get; }

    /// <summary>The column giving object definitions in the order they were first saved.</summary>
    public abstract string ObjectOrder { get; }

    public abstract DbParameter Parameter(string name, object? value);

    /// <summary>Creates the tables that do not exist yet.</summary>
    public virtual void EnsureSchema(DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Schema;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Creates the tables only this engine's writer uses, once <see cref="JournalSchema"/> has accepted the journal: one it
    /// refuses is left as it was.
    /// </summary>
    public virtual void EnsureWriterTables(DbConnection connection)
    {
    }

    /// <summary>
    /// Why the writer's connection is no longer usable after <paramref name="e"/>, or null when the write failed on its own: the
    /// connection to the database is gone (a server restart, a killed session, a cut network), or the storage failed under it.
    /// </summary>
    public virtual string? LostConnection(Exception e, DbConnection connection) => null;

    /// <summary>
    /// A new writer connection after <see cref="LostConnection"/>, holding the queue manager's ownership again without
    /// waiting for it; <see cref="QueueManagerInUseException"/> when another runtime took it meanwhile.
    /// </summary>
    public virtual DbConnection Reown() => throw new NotSupportedException($"{GetType().Name} does not lose its connection");

    /// <summary>
    /// An id of the open transaction <paramref name="transaction"/>, taken before COMMIT so that a commit whose outcome is in doubt
    /// (its answer lost, its sync failed) can be looked up afterwards (<see cref="TransactionStatus"/>); null where it cannot be.
    /// </summary>
    public virtual long? TransactionId(DbTransaction transaction) => null;

    /// <summary>"committed", "aborted" or "in progress" (not known yet) for a transaction id from <see cref="TransactionId"/>, asked on a new connection.</summary>
    public virtual string? TransactionStatus(long transaction) => throw new NotSupportedException($"{GetType().Name} has no transaction ids");

    /// <summary>
    /// Why the journal the writer has open is no longer the one at <see cref="Location"/> (a file removed, moved or replaced
    /// while the queue manager runs), or null. Checked before every batch: a write acknowledged into a file nobody will open
    /// again would be lost at the next start.
    /// </summary>
    public virtual string? Replaced() => null;

    /// <summary>The write failed because the disk (or the database's storage) is full: MQRC 2192 rather than 2102.</summary>
    public abstract bool IsStorageFull(Exception e);

    public abstract void Dispose();

    protected static string Tables(string integer, string blob, string objectOrder) => $"""
        CREATE TABLE IF NOT EXISTS messages(
          qmgr TEXT NOT NULL, seq {integer} NOT NULL, queue TEXT NOT NULL,
          backout {integer} NOT NULL, expires_at {integer} NOT NULL,
          descriptor {blob} NOT NULL, payload {blob} NOT NULL,
          PRIMARY KEY (qmgr, seq));
        CREATE TABLE IF NOT EXISTS objects(
          {objectOrder}qmgr TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL,
          PRIMARY KEY (qmgr, type, name));
        CREATE TABLE IF NOT EXISTS channel_sync(
          qmgr TEXT NOT NULL, channel TEXT NOT NULL, last_seq {integer} NOT NULL,
          in_doubt_seq {integer} NOT NULL, in_doubt_msgs {blob} NOT NULL,
          PRIMARY KEY (qmgr, channel));
        CREATE TABLE IF NOT EXISTS journal_info(
          qmgr TEXT NOT NULL PRIMARY KEY, schema_version {integer} NOT NULL, written_by TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS revoked_certificates(
          qmgr TEXT NOT NULL, cert_key TEXT NOT NULL, issuer TEXT NOT NULL, serial TEXT NOT NULL, source TEXT NOT NULL,
          PRIMARY KEY (qmgr, cert_key));
        """;
}
