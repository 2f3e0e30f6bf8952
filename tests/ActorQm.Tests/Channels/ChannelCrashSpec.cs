using System.Net;
using System.Net.Sockets;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
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
    private const string Channel = "QM1.TO.QM2";
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
        var port = FreePort();
        var (qm1Config, qm2Config) = await Prepare(port);
        var qm2 = StartProcess(qm2Config, "QM2");
        var qm1 = StartProcess(qm1Config, "QM1");
        try
        {
            var threshold = new Random().Next(Count / 10, Count / 2);
            var victimDb = killReceiver ? "QM2.db" : "QM1.db";
            await WaitFor(() => Delivered() >= threshold, TimeSpan.FromMinutes(2), $"{threshold} messages delivered");
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
            await WaitFor(() => Durable("QM1.db", "QM2") == 0 && Delivered() >= Count, TimeSpan.FromMinutes(2), "every message delivered");
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

        var messages = await Browse();
        var indexes = messages.Select(m => int.Parse(TestMessages.Text(m), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Count, messages.Count);
        Assert.Equal(Count, messages.Select(m => m.Descriptor.MsgId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, Count), indexes.Order());
        Assert.Equal(Enumerable.Range(0, Count).OrderByDescending(i => i % 3).ThenBy(i => i), indexes);
    }

    private async Task<(string Qm1, string Qm2)> Prepare(int port)
    {
        var key1 = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var key2 = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm1Objects = $"""
            ALTER QMGR SSLKEYR('{key1}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ) MAXDEPTH(100000)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            DEFINE CHANNEL('{Channel}') CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2') BATCHSZ(50) SHORTRTY(1000) SHORTTMR(1)
            """;
        File.WriteAllText(_dir.File("qm1-prefill.mqsc"), qm1Objects);
        File.WriteAllText(_dir.File("qm1.mqsc"), qm1Objects + $"\nSTART CHANNEL('{Channel}')\n");
        File.WriteAllText(_dir.File("qm2.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE CHANNEL('{Channel}') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1')
            DEFINE LISTENER('L1') IPADDR('127.0.0.1') PORT({port}) CONTROL(QMGR)
            """);
        File.WriteAllText(_dir.File("qm1.conf"), "actorqm.queue-managers.QM1 { mqsc-file = \"qm1.mqsc\", store.path = \"QM1.db\" }");
        File.WriteAllText(_dir.File("qm2.conf"), "actorqm.queue-managers.QM2 { mqsc-file = \"qm2.mqsc\", store.path = \"QM2.db\" }");

        // The stream is put before the processes start, so the kill lands while messages are in flight.
        var prefill = ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers.QM1 { mqsc-file = \"qm1-prefill.mqsc\", store.path = \"QM1.db\" }"), _dir.Path).QueueManagers.Single();
        var qm = await QueueManagerBootstrap.StartAsync(Sys, prefill);
        var output = await new QueueManagerConnection(qm.Actor, "crash-test").OpenAsync("APP.REMOTE", QueueManager.OpenPurpose.Output);
        for (var start = 0; start < Count; start += 500)
        {
            await Task.WhenAll(Enumerable.Range(start, 500).Select(i => output.PutAsync(TestMessages.Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Persistence.Persistent, priority: i % 3))));
        }

        await QueueManagerBootstrap.StopAsync(qm.Actor);
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

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
