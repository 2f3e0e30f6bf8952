using System.Data.Common;
using System.Runtime.InteropServices;
using ActorQm.Configuration;
using ActorQm.Messages;

namespace ActorQm.Store;

/// <summary>
/// The queue manager's durable store: live persistent messages and object definitions in one
/// SQL database (a SQLite file by default, PostgreSQL shared by a cluster; see <see cref="JournalEngine"/>).
/// Writes from every queue actor are group-committed by one writer thread: it
/// drains whatever has queued up while the previous transaction was syncing and commits it all in
/// one transaction, so the cost of a sync is shared by every message in it. Consumed messages are
/// deleted, so recovery reads only live rows. See docs/persistence.md.
/// </summary>
internal sealed class MessageJournal : IDisposable
{
    private readonly StoreSettings _settings;
    private readonly string _qmgr;
    private readonly JournalEngine _engine;
    private DbConnection _connection;

    // The writer's connection is gone (PostgreSQL) or failed under it (a SQLite I/O error): no write is tried on it, and the
    // next batch reconnects first (not more often than ReconnectEvery).
    private string? _lost;
    private long _lastReconnect;
    private static readonly TimeSpan ReconnectEvery = TimeSpan.FromSeconds(1);

    // How long the writer asks about a commit in doubt: a PostgreSQL restart takes seconds, a cut network lasts until the server drops
    // the session, a SQLite file system that failed a sync must take a write again.
    private static readonly TimeSpan InDoubtWait = TimeSpan.FromSeconds(60);

    // Another runtime took the queue manager while this one was disconnected: nothing is written again.
    private string? _ownershipLost;

    // When the new session first found the lock taken: this runtime's own old session may still hold it (the server has not
    // noticed a cut network yet), so the writer keeps asking for store.lock-wait before it gives the queue manager up.
    private long _lockRefusedSince;

    // Told (once) when another runtime holds the lock for good, so the queue manager ends (docs/persistence.md, "Journal outages").
    private Action<string>? _onOwnershipLost;
    private bool _ownershipLostTold;

    // Told when a commit goes in doubt, so that the wait it brings to every write is in the log.
    private Action<string>? _onInDoubt;
    private readonly Thread _writer;
    private readonly object _gate = new();
    private List<JournalOp> _pending = new(256);
    private List<JournalOp> _draining = new(256);

    // Writes nobody waits for (no Ack: their effect is already in the queue manager's memory, like a sender's deletes and
    // record after a confirmation) that failed, with the connection, on a full disk or for any other reason. Failing them would
    // leave the journal behind memory for good, and a later write could carry the record past them; they are written again
    // first, in order, and every write behind them fails until they are in (docs/persistence.md, "Journal outages"). Only
    // the writer thread touches these.
    private readonly List<JournalOp> _owed = [];

    // Why the owed writes last failed: what the writes behind them are refused with (a full disk stays MQRC 2192).
    private (string Failure, bool StorageFull) _owedBecause;

    // Attempts in a row at the owed writes that failed for the write's own sake (not a lost connection, not a full disk), and
    // since when: such a failure may never pass, and the journal would stay behind memory. After MaxOwedRefusals attempts over
    // at least OwedGiveUpAfter (under load drains follow each other within milliseconds: a brief error must not count five
    // times) the queue manager ends.
    private int _owedRefusals;
    private long _owedRefusedSince;
    private const int MaxOwedRefusals = 5;
    private static readonly TimeSpan OwedGiveUpAfter = TimeSpan.FromSeconds(5);

    // The current run of owed writes has been logged (once per run: they are tried again at every drain).
    private bool _owedTold;
    private bool _stopping;
    private long _lastSeq;
    private DbCommand _insert = null!;
    private DbCommand _delete = null!;
    private DbCommand _backout = null!;
    private DbCommand _purge = null!;
    private DbCommand _saveObject = null!;
    private DbCommand _deleteObject = null!;
    private DbCommand _saveSync = null!;
    private DbCommand _saveRevoked = null!;
    private DbCommand[] _statements = [];

    private MessageJournal(string qmgr, StoreSettings settings, JournalEngine engine, DbConnection connection)
    {
        _qmgr = qmgr;
        _settings = settings;
        _engine = engine;
        _connection = connection;
        PrepareStatements();
        _lastSeq = ScalarLong("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE qmgr = @q");
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = $"actorqm-journal-{qmgr}" };
        _writer.Start();
    }

    /// <summary>Where the journal is (a file, or a PostgreSQL server and database; never a password).</summary>
    public string Location => _engine.Location;

    /// <summary>Batches committed and operations written since open, for status and benchmarks.</summary>
    public long CommittedBatches { get; private set; }
    public long CommittedOps { get; private set; }

    /// <summary>
    /// Opens (creating if needed) the journal of <paramref name="qmgr"/>; fails if another process
    /// holds it, so two runtimes never write one queue manager's data.
    /// </summary>
    public static MessageJournal Open(string qmgr, StoreSettings settings)
    {
        var engine = JournalEngine.For(qmgr, settings);
        DbConnection? connection = null;
        try
        {
            connection = engine.OpenOwnedWriter();
            engine.EnsureSchema(connection);
            JournalSchema.Check(engine, connection, qmgr);
            engine.EnsureWriterTables(connection);
            return new MessageJournal(qmgr, settings, engine, connection);
        }
        catch
        {
            connection?.Dispose();
            engine.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Calls <paramref name="handler"/> (on the writer's thread, once) when another runtime took the queue manager's journal
    /// while this one was disconnected, at once if that has already happened: nothing will be written again, so the queue
    /// manager should end rather than refuse every write for good (in a cluster its shard then starts where the lock is).
    /// </summary>
    public void OnOwnershipLost(Action<string> handler)
    {
        string? lost;
        lock (_gate)
        {
            _onOwnershipLost = handler;
            lost = _ownershipLostTold ? _ownershipLost : null;
        }

        if (lost is not null)
        {
            handler(lost);
        }
    }

    /// <summary>
    /// Calls <paramref name="handler"/> (on the writer's thread) when writes wait: a commit's outcome is in doubt (the writer
    /// settles it before it answers that batch or writes another), or writes nobody waits for failed and are owed
    /// (docs/persistence.md, "Journal outages").
    /// </summary>
    public void OnInDoubt(Action<string> handler)
    {
        lock (_gate)
        {
            _onInDoubt = handler;
        }
    }

    /// <summary>Next queue-manager-wide message sequence number; numbers never repeat across restarts.</summary>
    public long NextSeq() => Interlocked.Increment(ref _lastSeq);

    public void Enqueue(JournalOp op)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                op.Notify?.Invoke(new JournalWriteFailed(op.Ack, "journal closed"));
                return;
            }

            _pending.Add(op);
            if (_pending.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Live messages of every queue, in sequence order. Read once at queue manager start.</summary>
    public Dictionary<string, List<StoredMessage>> LoadMessages()
    {
        var result = new Dictionary<string, List<StoredMessage>>(StringComparer.Ordinal);
        using var connection = OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT seq, queue, backout, expires_at, descriptor, payload FROM messages WHERE qmgr = @q ORDER BY seq";
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        {
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var descriptor = DescriptorCodec.Decode((byte[])reader[4]) with { BackoutCount = (int)reader.GetInt64(2) };
                var message = new MqMessage(descriptor, (byte[])reader[5]);
                var queue = reader.GetString(1);
                if (!result.TryGetValue(queue, out var list))
                {
                    result[queue] = list = new List<StoredMessage>();
                }

                list.Add(new StoredMessage(reader.GetInt64(0), message, reader.GetInt64(3)));
            }
        }

        return result;
    }

    /// <summary>Channel synchronisation records saved by earlier runs, by key.</summary>
    public Dictionary<string, ChannelSyncRecord> LoadChannelSync()
    {
        var result = new Dictionary<string, ChannelSyncRecord>(StringComparer.Ordinal);
        using var connection = OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT channel, last_seq, in_doubt_seq, in_doubt_msgs FROM channel_sync WHERE qmgr = @q";
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var channel = reader.GetString(0);
            result[channel] = new ChannelSyncRecord(channel, reader.GetInt64(1), reader.GetInt64(2), ChannelSyncRecord.DecodeMessages((byte[])reader[3]));
        }

        return result;
    }

    /// <summary>Certificates revoked on this queue manager (REVOKE CERT) by earlier runs.</summary>
    public List<StoredRevocation> LoadRevoked()
    {
        var result = new List<StoredRevocation>();
        using var connection = OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT issuer, serial, source FROM revoked_certificates WHERE qmgr = @q";
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            result.Add(new StoredRevocation(string.Empty, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return result;
    }

    /// <summary>Object definitions (type, name, MQSC text) saved by earlier runs.</summary>
    public List<(string Type, string Name, string Definition)> LoadObjects()
    {
        var result = new List<(string, string, string)>();
        using var connection = OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT type, name, definition FROM objects WHERE qmgr = @q ORDER BY " + _engine.ObjectOrder;
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        {
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                result.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return result;
    }

    // Reads get their own connection: the writer thread owns the other one.
    private DbConnection OpenReader() => _engine.OpenReader();

    private void WriterLoop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_pending.Count == 0 && !_stopping)
                {
                    if (_owed.Count == 0)
                    {
                        Monitor.Wait(_gate);
                    }
                    else if (!Monitor.Wait(_gate, ReconnectEvery))
                    {
                        // Owed writes are tried again at the reconnection pace even when nothing new comes.
                        break;
                    }
                }

                // Stopping drops what is still owed: the journal keeps the state before those writes, which the next start
                // reads and settles (a sender's in-doubt batches with its partner).
                if (_pending.Count == 0 && _stopping)
                {
                    return;
                }

                (_pending, _draining) = (_draining, _pending);
            }

            var retryingOwed = _owed.Count > 0;
            if (retryingOwed)
            {
                _draining.InsertRange(0, _owed);
                _owed.Clear();
            }

            // Asked before every batch: the one before may have failed the connection or given the journal up. Once a write is
            // owed, nothing after it is written before it (a sender's older record would overwrite a newer one): the later
            // batches of this drain fail or are owed too, even if a reconnection would let them through.
            for (var start = 0; start < _draining.Count; start += _settings.MaxBatch)
            {
                var count = Math.Min(_settings.MaxBatch, _draining.Count - start);
                var behindOwed = _owed.Count > 0 ? BehindOwed : null;
                if ((behindOwed ?? Unavailable()) is { } why)
                {
                    Fail(start, count, why, storageFull: behindOwed is not null && _owedBecause.StorageFull, owe: _ownershipLost is null);
                }
                else
                {
                    Commit(start, count);
                }
            }

            _draining.Clear();
            CountOwedRefusals(retryingOwed);
        }
    }

    private string BehindOwed => $"journal writes queued ahead of this one could not be written yet: {_owedBecause.Failure}";

    /// <summary>Logs a new run of owed writes once; ends the queue manager once they have failed for their own sake <see cref="MaxOwedRefusals"/> times over at least <see cref="OwedGiveUpAfter"/>.</summary>
    private void CountOwedRefusals(bool retried)
    {
        if (_owed.Count == 0)
        {
            _owedTold = false;
        }
        else if (!_owedTold)
        {
            // Nothing else tells: nobody waits for these writes, and every write behind them fails until they are in.
            _owedTold = true;
            Notice($"{_owed.Count} journal writes nobody waits for could not be written ({_owedBecause.Failure}); they are tried again first, and every write behind them fails until they are in");
        }

        if (_owed.Count == 0 || _lost is not null || _owedBecause.StorageFull)
        {
            // Written, or waiting for a connection or for space: either passes once the cause is gone.
            _owedRefusals = 0;
            return;
        }

        if (!retried)
        {
            return;
        }

        if (_owedRefusals++ == 0)
        {
            _owedRefusedSince = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        var failing = System.Diagnostics.Stopwatch.GetElapsedTime(_owedRefusedSince);
        if (_owedRefusals >= MaxOwedRefusals && failing >= OwedGiveUpAfter && _ownershipLost is null)
        {
            _ownershipLost = $"a journal write nobody waits for (its effect is already in memory) failed again {_owedRefusals} times over {failing.TotalSeconds:0} s ({_owedBecause.Failure}); the queue manager must be started again from what the journal holds.";
            TellOwnershipLost();
        }
    }

    private void Commit(int start, int count)
    {
        string? failure = null;
        var storageFull = false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long? transaction = null;
        var committing = false;
        try
        {
            using var tx = _connection.BeginTransaction();
            foreach (var cmd in _statements)
            {
                cmd.Transaction = tx;
            }

            for (var i = start; i < start + count; i++)
            {
                Apply(_draining[i]);
            }

            // Its id, so that a COMMIT whose answer is lost can be looked up after reconnecting (InDoubtCommit).
            transaction = _engine.TransactionId(tx);
            committing = true;
            tx.Commit();
            CommittedBatches++;
            CommittedOps += count;
            Diagnostics.ActorQmMetrics.JournalCommitDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            Diagnostics.ActorQmMetrics.JournalCommitSize.Record(count);
        }
        catch (Exception e) when (e is DbException or IOException or InvalidOperationException)
        {
            failure = e.Message;
            storageFull = _engine.IsStorageFull(e);
            if (_engine.LostConnection(e, _connection) is { } lost)
            {
                _lost = failure = lost;
                _lastReconnect = 0;
                if (committing)
                {
                    // The COMMIT failed on its way to durable: PostgreSQL's answer was lost, or SQLite's sync failed after the
                    // commit was written (a later open may find it). Not knowing is not "not stored": learn what became of it,
                    // then acknowledge late or fail (docs/persistence.md, "Journal outages").
                    Settle(start, count, transaction, failure);
                    return;
                }

                // It failed before COMMIT: nothing of this batch is durable. Every write in it that someone waits for fails;
                // those nobody waits for are owed.
                Fail(start, count, failure, storageFull: false, owe: true);
                return;
            }
        }

        if (failure is not null && count > 1)
        {
            // One bad write must not fail the writes that happened to share its transaction: retry each alone. Once one of them
            // loses the connection or is owed, or the journal is given up, none after it may reach the journal first.
            for (var i = start; i < start + count; i++)
            {
                if (_owed.Count > 0 || _lost is not null || _ownershipLost is not null)
                {
                    var behind = _owed.Count > 0;
                    Fail(i, start + count - i, behind ? BehindOwed : failure, storageFull: behind && _owedBecause.StorageFull, owe: _ownershipLost is null);
                    break;
                }

                Commit(i, 1);
            }

            return;
        }

        if (failure is not null)
        {
            Fail(start, count, failure, storageFull, owe: _ownershipLost is null);
            return;
        }

        // Committed, but into a file moved or replaced meanwhile: not acknowledged (the next start would not find it).
        if (StillInPlace() is { } replaced)
        {
            Fail(start, count, replaced, storageFull: false);
            return;
        }

        Acknowledge(start, count);
    }

    private void Acknowledge(int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (_draining[i] is { Notify: { } notify, Ack: { } ack })
            {
                notify(ack);
            }
        }
    }

    /// <summary>Tells the <see cref="OnInDoubt"/> handler why writes wait.</summary>
    private void Notice(string why)
    {
        Action<string>? handler;
        lock (_gate)
        {
            handler = _onInDoubt;
        }

        handler?.Invoke(why);
    }

    private void Settle(int start, int count, long? transaction, string failure)
    {
        Notice($"a commit of {count} journal writes is in doubt ({failure}); they are answered once what became of it is known, within {InDoubtWait.TotalSeconds:0}s");
        switch (InDoubtCommit.Resolve(_engine, transaction, InDoubtWait, () => Volatile.Read(ref _stopping)))
        {
            case InDoubtCommit.Outcome.Committed:
                CommittedBatches++;
                CommittedOps += count;
                Acknowledge(start, count);
                break;
            case InDoubtCommit.Outcome.Aborted:
                Fail(start, count, failure, storageFull: false, owe: true);
                break;
            default:
                // Still unknown: neither answer would be honest. The writes stay unanswered (their callers' connections end with
                // the queue manager, an unknown outcome to them) and the queue manager ends, so that its next start reads
                // whatever the journal holds; nothing more is written here.
                _ownershipLost = $"the outcome of a journal commit could not be learned within {InDoubtWait.TotalSeconds:0}s after it failed ({failure}); the queue manager must be started again to read what the journal holds.";
                TellOwnershipLost();
                break;
        }
    }

    /// <param name="owe">Writes nobody waits for are kept to be written again first (not once the journal is given up).</param>
    private void Fail(int start, int count, string failure, bool storageFull, bool owe = false)
    {
        for (var i = start; i < start + count; i++)
        {
            var op = _draining[i];
            if (owe && op.Ack is null)
            {
                // The first one owed failed for its own sake; those after it are behind it.
                if (_owed.Count == 0)
                {
                    _owedBecause = (failure, storageFull);
                }

                _owed.Add(op);
                continue;
            }

            op.Notify?.Invoke(new JournalWriteFailed(op.Ack, failure, storageFull));
        }
    }

    /// <summary>
    /// Why the journal can no longer be written, once its file was removed, moved or replaced, or null. Neither file is right
    /// to write to: the one held open is gone from where the next start looks, the new one is another journal. Every write
    /// fails from then on; the queue manager goes on serving whatever needs no journal (docs/persistence.md).
    /// </summary>
    private string? StillInPlace()
    {
        if (_ownershipLost is null && _engine.Replaced() is { } replaced)
        {
            _ownershipLost = $"{replaced}; nothing more is written to it (what was acknowledged before is in the file it had open). Stop the queue manager, put the journal back and start it again.";
        }

        return _ownershipLost;
    }

    /// <summary>
    /// Why nothing can be written now, or null: after a lost connection the writer reconnects and takes the queue
    /// manager's ownership again before it writes (docs/persistence.md, "Journal outages"); until it has, every write
    /// fails at once (MQRC 2102 to whoever needed it), never waits and is never acknowledged.
    /// </summary>
    private string? Unavailable()
    {
        if (_ownershipLost is { } lost)
        {
            return lost;
        }

        if (StillInPlace() is { } replaced)
        {
            return replaced;
        }

        if (_lost is null)
        {
            return null;
        }

        if (_lastReconnect != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastReconnect) < ReconnectEvery)
        {
            return _lost;
        }

        _lastReconnect = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var connection = _engine.Reown();
            foreach (var cmd in _statements)
            {
                cmd.Dispose();
            }

            _connection.Dispose();
            _connection = connection;
            PrepareStatements();
            _lost = null;
            _lockRefusedSince = 0;
            return null;
        }
        catch (QueueManagerInUseException e)
        {
            if (_lockRefusedSince == 0)
            {
                _lockRefusedSince = _lastReconnect;
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(_lockRefusedSince) < _settings.LockWait)
            {
                return $"the journal's connection was lost; the new session waits for the queue manager's lock ({e.Message})";
            }

            _ownershipLost = $"{e.Message} This runtime no longer owns the queue manager's journal and writes nothing more.";
            TellOwnershipLost();
            return _ownershipLost;
        }
        catch (Exception e) when (e is DbException or IOException or InvalidOperationException or TimeoutException)
        {
            return $"the journal's connection was lost and could not be made again yet ({e.Message})";
        }
    }

    private void TellOwnershipLost()
    {
        Action<string>? handler;
        lock (_gate)
        {
            _ownershipLostTold = true;
            handler = _onOwnershipLost;
        }

        handler?.Invoke(_ownershipLost!);
    }

    private void Apply(JournalOp op)
    {
        switch (op)
        {
            case InsertMessage { Message: var m } insert:
                var descriptor = new byte[DescriptorCodec.LengthOf(m.Message.Descriptor)];
                DescriptorCodec.Encode(m.Message.Descriptor, descriptor);
                _insert.Parameters[1].Value = m.Seq;
                _insert.Parameters[2].Value = insert.Queue;
                _insert.Parameters[3].Value = m.Message.Descriptor.BackoutCount;
                _insert.Parameters[4].Value = m.ExpiresAtMs;
                _insert.Parameters[5].Value = descriptor;
                _insert.Parameters[6].Value = AsArray(m.Message.Payload);
                _insert.ExecuteNonQuery();
                break;
            case DeleteMessage delete:
                _delete.Parameters[1].Value = delete.Seq;
                _delete.ExecuteNonQuery();
                break;
            case UpdateBackout backout:
                _backout.Parameters[1].Value = backout.Seq;
                _backout.Parameters[2].Value = backout.BackoutCount;
                _backout.ExecuteNonQuery();
                break;
            case PurgeQueue purge:
                _purge.Parameters[1].Value = purge.Queue;
                _purge.ExecuteNonQuery();
                break;
            case SaveDefinition save:
                _saveObject.Parameters[1].Value = save.Type;
                _saveObject.Parameters[2].Value = save.Name;
                _saveObject.Parameters[3].Value = save.Definition;
                _saveObject.ExecuteNonQuery();
                break;
            case DeleteDefinition delete:
                _deleteObject.Parameters[1].Value = delete.Type;
                _deleteObject.Parameters[2].Value = delete.Name;
                _deleteObject.ExecuteNonQuery();
                break;
            case SaveSync { Sync: var sync }:
                _saveSync.Parameters[1].Value = sync.Channel;
                _saveSync.Parameters[2].Value = sync.LastSeq;
                _saveSync.Parameters[3].Value = sync.InDoubtSeq;
                _saveSync.Parameters[4].Value = sync.EncodeMessages();
                _saveSync.ExecuteNonQuery();
                break;
            case SaveRevocation { Revoked: var revoked }:
                _saveRevoked.Parameters[1].Value = revoked.Key;
                _saveRevoked.Parameters[2].Value = revoked.Issuer;
                _saveRevoked.Parameters[3].Value = revoked.Serial;
                _saveRevoked.Parameters[4].Value = revoked.Source;
                _saveRevoked.ExecuteNonQuery();
                break;
            case WriteUnit unit:
                foreach (var part in unit.Parts)
                {
                    Apply(part);
                }

                break;
            default:
                throw new InvalidOperationException($"no journal write for {op.GetType().Name}");
        }
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();

    private void PrepareStatements()
    {
        _insert = Prepare("INSERT INTO messages(qmgr, seq, queue, backout, expires_at, descriptor, payload) VALUES (@q, @p1, @p2, @p3, @p4, @p5, @p6)", 6);
        _delete = Prepare("DELETE FROM messages WHERE qmgr = @q AND seq = @p1", 1);
        _backout = Prepare("UPDATE messages SET backout = @p2 WHERE qmgr = @q AND seq = @p1", 2);
        _purge = Prepare("DELETE FROM messages WHERE qmgr = @q AND queue = @p1", 1);
        _saveObject = Prepare("INSERT INTO objects(qmgr, type, name, definition) VALUES (@q, @p1, @p2, @p3) ON CONFLICT(qmgr, type, name) DO UPDATE SET definition = excluded.definition", 3);
        _deleteObject = Prepare("DELETE FROM objects WHERE qmgr = @q AND type = @p1 AND name = @p2", 2);
        _saveSync = Prepare("INSERT INTO channel_sync(qmgr, channel, last_seq, in_doubt_seq, in_doubt_msgs) VALUES (@q, @p1, @p2, @p3, @p4) ON CONFLICT(qmgr, channel) DO UPDATE SET last_seq = excluded.last_seq, in_doubt_seq = excluded.in_doubt_seq, in_doubt_msgs = excluded.in_doubt_msgs", 4);
        _saveRevoked = Prepare("INSERT INTO revoked_certificates(qmgr, cert_key, issuer, serial, source) VALUES (@q, @p1, @p2, @p3, @p4) ON CONFLICT(qmgr, cert_key) DO NOTHING", 4);
        _statements = [_insert, _delete, _backout, _purge, _saveObject, _deleteObject, _saveSync, _saveRevoked];
    }

    private DbCommand Prepare(string sql, int parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        for (var i = 1; i <= parameters; i++)
        {
            cmd.Parameters.Add(_engine.Parameter("@p" + i, DBNull.Value));
        }

        return cmd;
    }

    private long ScalarLong(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.Add(_engine.Parameter("@q", _qmgr));
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Commits everything queued so far, then closes the database and releases the lock.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _writer.Join();
        foreach (var cmd in _statements)
        {
            cmd.Dispose();
        }

        _connection.Dispose();
        _engine.Dispose();
    }
}

/// <summary>Another process (or another runtime in this one) holds the queue manager's data.</summary>
public sealed class QueueManagerInUseException(string qmgr, string owner, Exception inner)
    : Exception($"AMQ8146E: queue manager {qmgr} is in use by another process ({owner}).", inner);
