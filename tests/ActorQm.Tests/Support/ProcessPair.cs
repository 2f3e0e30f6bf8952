using ActorQm.Configuration;
using ActorQm.Messages;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace ActorQm.Tests.Support;

/// <summary>
/// QM1 and QM2 as two real <c>actorqm start</c> processes with SQLite journals in <see cref="Dir"/>: QM2
/// listens on <c>listenerPort</c>, QM1's TLS channel calls <c>connamePort</c> (the listener, or a proxy in
/// front of it). The stream of persistent messages is on QM1's transmission queue before they start.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class ProcessPair(TempDirectory dir)
{
    public TempDirectory Dir { get; } = dir;

    /// <param name="qm1Settings">HOCON inside QM1's block, e.g. <c>channels.pipeline-length = 4</c>.</param>
    public static async Task<ProcessPair> PrepareAsync(ActorSystem system, TempDirectory dir, int count, int listenerPort, int connamePort, string qm1Settings = "")
    {
        var (qm1Objects, qm2Objects) = PersistentStream.Objects(dir, $"127.0.0.1({connamePort})");
        File.WriteAllText(dir.File("qm1-prefill.mqsc"), qm1Objects);
        File.WriteAllText(dir.File("qm1.mqsc"), qm1Objects + $"\nSTART CHANNEL('{PersistentStream.Channel}')\n");
        File.WriteAllText(dir.File("qm2.mqsc"), qm2Objects + $"\nDEFINE LISTENER('L1') IPADDR('127.0.0.1') PORT({listenerPort}) CONTROL(QMGR)\n");
        File.WriteAllText(dir.File("qm1.conf"), $"actorqm.queue-managers.QM1 {{ mqsc-file = \"qm1.mqsc\", store.path = \"QM1.db\"\n{qm1Settings}\n}}");
        File.WriteAllText(dir.File("qm2.conf"), "actorqm.queue-managers.QM2 { mqsc-file = \"qm2.mqsc\", store.path = \"QM2.db\" }");
        var prefill = ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM1 { mqsc-file = \"qm1-prefill.mqsc\", store.path = \"QM1.db\" }"), dir.Path).QueueManagers.Single();
        await PersistentStream.PrefillAsync(system, prefill, count);
        return new ProcessPair(dir);
    }

    /// <summary>Starts QM1 or QM2 and returns once it has started.</summary>
    public ChildProcess Start(string qmgr)
    {
        var process = new ChildProcess("ActorQm.Cli.dll", "start", "--config", Dir.File(qmgr.ToLowerInvariant() + ".conf"));
        process.ReadUntil(l => l.Contains($"queue manager {qmgr} started", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        return process;
    }

    /// <summary>SIGTERM and wait (each process ends its channels and journal cleanly), then let go of them.</summary>
    public static void Stop(params ChildProcess[] processes)
    {
        foreach (var process in processes)
        {
            process.Signal(15);
            process.WaitForExit(TimeSpan.FromSeconds(30));
            process.Dispose();
        }
    }

    public int Delivered => Durable("QM2.db", "APP.IN");

    public int OnTransmissionQueue => Durable("QM1.db", "QM2");

    /// <summary>Durable messages of a queue, read from the journal while its process runs (SQLite WAL allows a reader).</summary>
    public int Durable(string db, string queue) => Scalar(db, "SELECT COUNT(*) FROM messages WHERE queue = $q", queue);

    /// <summary>Messages on QM2's target queue whose payload (the stream index) is there more than once.</summary>
    public int Duplicates => Scalar("QM2.db", "SELECT COUNT(*) - COUNT(DISTINCT payload) FROM messages WHERE queue = $q", "APP.IN");

    /// <summary>A queue manager's channel synchronisation record as its journal has it (read while the process runs); null before there is one.</summary>
    public (long LastSeq, long InDoubtSeq, int InDoubtMessages)? Sync(string db)
    {
        var path = Dir.File(db);
        if (!File.Exists(path))
        {
            return null;
        }

        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT last_seq, in_doubt_seq, length(in_doubt_msgs) / 8 FROM channel_sync WHERE channel = $c";
        cmd.Parameters.AddWithValue("$c", PersistentStream.Channel);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2)) : null;
    }

    public Task<List<MqMessage>> BrowseDeliveredAsync(ActorSystem system) =>
        JournalBrowse.AllAsync(system, ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM2 { store.path = \"QM2.db\" }"), Dir.Path).QueueManagers.Single(), "APP.IN");

    private int Scalar(string db, string sql, string queue)
    {
        var path = Dir.File(db);
        if (!File.Exists(path))
        {
            return 0;
        }

        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$q", queue);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
