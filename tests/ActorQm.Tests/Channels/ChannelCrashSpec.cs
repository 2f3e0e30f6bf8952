using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Two real <c>actorqm start</c> processes joined by a TLS channel; one of them is killed with
/// SIGKILL in the middle of a stream of persistent messages and started again. Afterwards every
/// message is on the target queue exactly once (by MsgId and payload) and in order per priority.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChannelCrashSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const int Count = 5000;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Receiver_killed_mid_stream_and_restarted_must_end_with_every_message_exactly_once()
    {
        await Run(killReceiver: true);
    }

    [Fact]
    public async Task Sender_killed_mid_stream_and_restarted_must_end_with_every_message_exactly_once()
    {
        await Run(killReceiver: false);
    }

    private async Task Run(bool killReceiver)
    {
        var port = Loopback.FreePort();
        var (qm1Config, qm2Config) = await Prepare(port);
        var qm2 = StartProcess(qm2Config, "QM2");
        var qm1 = StartProcess(qm1Config, "QM1");
        try
        {
            var threshold = new Random().Next(Count / 10, Count / 2);
            var victimDb = killReceiver ? "QM2.db" : "QM1.db";
            await PersistentStream.WaitFor(() => Delivered() >= threshold, TimeSpan.FromMinutes(2), $"{threshold} messages delivered");
            var seen = Delivered();
            if (killReceiver)
            {
                qm2.KillHard();
                qm2.Dispose();
                qm2 = StartProcess(qm2Config, "QM2");
            }
            else
            {
                qm1.KillHard();
                qm1.Dispose();
                qm1 = StartProcess(qm1Config, "QM1");
            }

            _output.WriteLine($"killed {victimDb} process after {seen} of {Count} messages had arrived");
            await PersistentStream.WaitFor(() => Durable("QM1.db", "QM2") == 0 && Delivered() >= Count, TimeSpan.FromMinutes(2), "every message delivered");
            await Task.Delay(500);
        }
        finally
        {
            foreach (var process in new[] { qm1, qm2 })
            {
                process.Signal(15);
                process.WaitForExit(TimeSpan.FromSeconds(30));
                process.Dispose();
            }
        }

        PersistentStream.AssertExactlyOnceInOrder(await Browse(), Count);
    }

    private async Task<(string Qm1, string Qm2)> Prepare(int port)
    {
        var (qm1Objects, qm2Objects) = PersistentStream.Objects(_dir, $"127.0.0.1({port})");
        File.WriteAllText(_dir.File("qm1-prefill.mqsc"), qm1Objects);
        File.WriteAllText(_dir.File("qm1.mqsc"), qm1Objects + $"\nSTART CHANNEL('{PersistentStream.Channel}')\n");
        File.WriteAllText(_dir.File("qm2.mqsc"), qm2Objects + $"\nDEFINE LISTENER('L1') IPADDR('127.0.0.1') PORT({port}) CONTROL(QMGR)\n");
        File.WriteAllText(_dir.File("qm1.conf"), "actorqm.queue-managers.QM1 { mqsc-file = \"qm1.mqsc\", store.path = \"QM1.db\" }");
        File.WriteAllText(_dir.File("qm2.conf"), "actorqm.queue-managers.QM2 { mqsc-file = \"qm2.mqsc\", store.path = \"QM2.db\" }");

        // The stream is put before the processes start, so the kill lands while messages are in flight.
        var prefill = ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM1 { mqsc-file = \"qm1-prefill.mqsc\", store.path = \"QM1.db\" }"), _dir.Path).QueueManagers.Single();
        await PersistentStream.PrefillAsync(Sys, prefill, Count);
        return (_dir.File("qm1.conf"), _dir.File("qm2.conf"));
    }

    private ChildProcess StartProcess(string config, string name)
    {
        var process = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config);
        process.ReadUntil(l => l.Contains($"queue manager {name} started", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        return process;
    }

    private Task<List<MqMessage>> Browse() =>
        JournalBrowse.AllAsync(Sys, ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM2 { store.path = \"QM2.db\" }"), _dir.Path).QueueManagers.Single(), "APP.IN");

    private int Delivered() => Durable("QM2.db", "APP.IN");

    /// <summary>Durable messages of a queue, read from the journal while its process runs (SQLite WAL allows a reader).</summary>
    private int Durable(string db, string queue)
    {
        var path = _dir.File(db);
        if (!File.Exists(path))
        {
            return 0;
        }

        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM messages WHERE queue = $q";
        cmd.Parameters.AddWithValue("$q", queue);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
