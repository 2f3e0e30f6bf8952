using System.Data.Common;
using ActorQm.Configuration;
using Npgsql;

namespace ActorQm.Store;

/// <summary>
/// The shared journal of a cluster: every queue manager's rows in one PostgreSQL database, so a
/// queue manager can be restarted on any node. Ownership is a session advisory lock held by the
/// writer's connection: it is released the moment that connection ends, including when its
/// process is killed, and no other runtime can write the queue manager's rows while it is held.
/// </summary>
internal sealed class PostgresJournalEngine(string qmgr, StoreSettings settings) : JournalEngine
{
    public override string Location => settings.Describe();

    public override string Schema => Tables("BIGINT", "BYTEA", "ord BIGSERIAL, ");

    public override string ObjectOrder => "ord";

    public override DbConnection OpenOwnedWriter()
    {
        var writer = Connect();
        try
        {
            var deadline = DateTime.UtcNow + settings.LockWait;
            while (!TryLock(writer))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new QueueManagerInUseException(qmgr, $"PostgreSQL advisory lock at {Location}, waited {settings.LockWait.TotalSeconds:0.#}s",
                        new InvalidOperationException("another runtime holds the queue manager's journal"));
                }

                Thread.Sleep(250);
            }

            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    public override DbConnection OpenReader() => Connect();

    // A killed session (57P01), a server going down (57P02/57P03) or a broken socket leaves the connection unusable.
    public override string? LostConnection(Exception e, DbConnection connection) =>
        connection.State is System.Data.ConnectionState.Broken or System.Data.ConnectionState.Closed
        || e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }
        || e is NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or TimeoutException }
            ? $"the journal's connection was lost ({e.Message}); reconnecting"
            : null;

    public override DbConnection Reown()
    {
        var writer = Connect();
        try
        {
            // The lock went with the old session; whoever asked first since then has the queue manager now.
            return TryLock(writer)
                ? writer
                : throw new QueueManagerInUseException(qmgr, $"PostgreSQL advisory lock at {Location}, taken by another runtime while this one was disconnected",
                    new InvalidOperationException("another runtime holds the queue manager's journal"));
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    // One more round trip per batch (not per message): the id of the transaction, looked up if the COMMIT's answer is lost.
    public override long? TransactionId(DbTransaction transaction)
    {
        using var cmd = transaction.Connection!.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "SELECT txid_current()";
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public override string? TransactionStatus(long transaction)
    {
        using var connection = Connect();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT txid_status(@x)";
        cmd.Parameters.AddWithValue("x", transaction);
        return cmd.ExecuteScalar() as string;
    }

    public override DbParameter Parameter(string name, object? value) => new NpgsqlParameter(name, value);

    // Two runtimes creating the tables at once would collide on PostgreSQL's catalog: serialise it.
    public override void EnsureSchema(DbConnection connection)
    {
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT pg_advisory_xact_lock(hashtextextended('actorqm.schema', 0));\n" + Schema;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    // The writer connection (and with it the lock) is closed by the journal that owns it.
    // disk_full (53100): the server cannot extend the journal's tables.
    public override bool IsStorageFull(Exception e) => e is Npgsql.PostgresException { SqlState: "53100" };

    public override void Dispose()
    {
    }

    private bool TryLock(NpgsqlConnection connection)
    {
        using var cmd = connection.CreateCommand();
        // One 64-bit key per queue manager name; the namespace keeps it apart from other users of advisory locks.
        cmd.CommandText = "SELECT pg_try_advisory_lock(hashtextextended('actorqm.journal:' || @q, 0))";
        cmd.Parameters.AddWithValue("q", qmgr);
        return cmd.ExecuteScalar() is true;
    }

    private NpgsqlConnection Connect()
    {
        // The writer holds a session lock for the queue manager's life: it must never go back to a pool.
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Pooling = false, ApplicationName = "actorqm-" + qmgr };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException)
        {
            connection.Dispose();
            throw new IOException($"AMQ7080E: cannot reach the journal of queue manager {qmgr} at {Location}: {e.Message}", e);
        }
    }
}
