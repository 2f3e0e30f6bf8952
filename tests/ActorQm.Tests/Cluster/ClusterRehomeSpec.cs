using System.Diagnostics;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Npgsql;
using Xunit.Abstractions;

namespace ActorQm.Tests.Cluster;

/// <summary>
/// Three real <c>actorqm start</c> cluster nodes (Akka.Remote over mutual TLS) sharing a real
/// PostgreSQL journal. QM1 sends 5,000 persistent messages to QM2 over a TLS channel whose CONNAME
/// lists QM2's listener on every node; the node hosting QM2 is killed with SIGKILL mid-stream.
/// QM2 must start again on a surviving node and every message arrive exactly once, in order per priority.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterRehomeSpec(PostgresServer postgres, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IClassFixture<PostgresServer>, IDisposable
{
    private const int Messages = 5000;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;
    private readonly string _journal = postgres.CreateDatabase();

    [Fact]
    public async Task A_queue_manager_whose_node_is_killed_must_re_home_and_receive_every_message_exactly_once()
    {
        var remoting = Enumerable.Range(0, 3).Select(_ => Loopback.FreePort()).ToArray();
        var listeners = Enumerable.Range(0, 3).Select(_ => Loopback.FreePort()).ToArray();
        var configs = await Prepare(remoting, listeners);
        var nodes = configs.Select((c, i) => new Node(i + 1, new ChildProcess("ActorQm.Cli.dll", "start", "--config", c))).ToList();
        try
        {
            await PersistentStream.WaitFor(() => Starts(nodes, "QM1") > 0 && Starts(nodes, "QM2") > 0, TimeSpan.FromMinutes(1), "QM1 and QM2 started");
            var threshold = new Random(PersistentStream.Seed(_output.WriteLine)).Next(Messages / 20, Messages / 4);
            await PersistentStream.WaitFor(() => Durable("QM2", "APP.IN") >= threshold, TimeSpan.FromMinutes(2), $"{threshold} messages delivered", pollMs: 5);

            // The node that printed QM2's start last is where it runs now.
            var qm2 = nodes.Last(n => n.Lines.Any(l => l.Contains("queue manager QM2 started on node", StringComparison.Ordinal)));
            var clock = Stopwatch.StartNew();
            qm2.Process.KillHard();
            var seen = Durable("QM2", "APP.IN");
            var survivors = nodes.Where(n => n != qm2).ToList();
            var before = Starts(survivors, "QM2");
            await PersistentStream.WaitFor(() => Starts(survivors, "QM2") > before, TimeSpan.FromMinutes(2), "QM2 started on a surviving node");
            var rehome = clock.Elapsed;
            var moved = survivors.Last(n => n.Lines.Any(l => l.Contains("queue manager QM2 started on node", StringComparison.Ordinal)));
            _output.WriteLine($"killed node {qm2.Number} (hosting QM2) when {seen} of {Messages} messages had arrived; QM2 re-homed on node {moved.Number} after {rehome.TotalSeconds:0.0} s");
            Assert.True(seen < Messages, "the kill must land while messages are still in flight");

            await PersistentStream.WaitFor(() => Durable("QM1", "QM2") == 0 && Durable("QM2", "APP.IN") >= Messages, TimeSpan.FromMinutes(3), "every message delivered");
            _output.WriteLine($"all {Messages} messages delivered {clock.Elapsed.TotalSeconds:0.0} s after the kill");
            await PersistentStream.Holds(() => Durable("QM2", "APP.IN") == Messages, TimeSpan.FromMilliseconds(500), "no late duplicate arrives");
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Process.Signal(15);
            }

            foreach (var node in nodes)
            {
                try
                {
                    node.Process.WaitForExit(TimeSpan.FromSeconds(30));
                }
                catch (TimeoutException)
                {
                    _output.WriteLine($"node {node.Number} did not stop within 30 s; killed");
                }

                node.Process.Drain(node.Lines);
                _output.WriteLine($"--- node {node.Number}: {node.Lines.Count} lines, these about ActorQm, errors and membership:\n{string.Join("\n", node.Lines.Where(l => l.Contains("AMQ", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("Welcome", StringComparison.Ordinal) || l.Contains("is Up", StringComparison.Ordinal) || l.Contains("SBR", StringComparison.Ordinal) || l.Contains("nreachable", StringComparison.Ordinal) || l.Contains("own", StringComparison.Ordinal) || l.Contains("oordinator", StringComparison.Ordinal) || l.Contains("ingleton", StringComparison.Ordinal)).Where(l => !l.Contains("AMQ9202E", StringComparison.Ordinal)).Take(60))}");
                node.Process.Dispose();
            }
        }

        PersistentStream.AssertExactlyOnceInOrder(await Browse(), Messages);
    }

    private sealed record Node(int Number, ChildProcess Process)
    {
        public List<string> Lines { get; } = [];
    }

    private async Task<string[]> Prepare(int[] remoting, int[] listeners)
    {
        var conname = string.Join(",", listeners.Select(p => $"127.0.0.1({p})"));
        var (qm1Objects, qm2Objects) = PersistentStream.Objects(_dir, conname);
        File.WriteAllText(_dir.File("qm1-prefill.mqsc"), qm1Objects);
        File.WriteAllText(_dir.File("qm1.mqsc"), qm1Objects + $"\nSTART CHANNEL('{PersistentStream.Channel}')\n");
        File.WriteAllText(_dir.File("qm2.mqsc"), qm2Objects);
        var store = $"store {{ engine = postgresql, connection-string = \"{_journal}\", lock-wait = 60s }}";

        // The stream is put before the nodes start, so the kill lands while messages are in flight.
        var prefill = ActorQmSettings.Create(ConfigurationFactory.ParseString($"actorqm.queue-managers.QM1 {{ mqsc-file = \"qm1-prefill.mqsc\", {store} }}"), _dir.Path).QueueManagers.Single();
        await PersistentStream.PrefillAsync(Sys, prefill, Messages);

        var seeds = string.Join(", ", remoting.Take(2).Select(p => $"\"akka.ssl.tcp://actorqm@127.0.0.1:{p}\""));
        var configs = new string[3];
        for (var i = 0; i < 3; i++)
        {
            var nodeKey = QueueManagerPair.KeyRepository(_dir, $"node{i + 1}key", "node", TestPki.Leaf(TestPki.Shared.Ca, $"CN=NODE{i + 1},O=Example").WithKey());
            configs[i] = _dir.File($"node{i + 1}.conf");
            File.WriteAllText(configs[i], $$"""
                akka {
                  remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{remoting[i]}} }
                  cluster {
                    seed-nodes = [{{seeds}}]
                    failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 3s }
                    downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                    split-brain-resolver { active-strategy = keep-majority, stable-after = 3s }
                  }
                }
                actorqm {
                  cluster {
                    enabled = on
                    node-tls { key-repository = "{{nodeKey}}", label = node, peer-filter = "CN=NODE*,O=Example" }
                    sharding { keep-alive-interval = 500ms, min-nodes = 3 }
                  }
                  queue-manager-defaults { {{store}} }
                  queue-managers {
                    QM1 { mqsc-file = "qm1.mqsc" }
                    QM2 { mqsc-file = "qm2.mqsc", listeners.TLS { address = "127.0.0.1", port = {{listeners[i]}} } }
                  }
                }
                """);
        }

        return configs;
    }

    /// <summary>How many times <paramref name="nodes"/> have printed that <paramref name="qmgr"/> started on them.</summary>
    private static int Starts(IEnumerable<Node> nodes, string qmgr) =>
        nodes.Sum(n => n.Process.Drain(n.Lines).Count(l => l.Contains($"queue manager {qmgr} started on node", StringComparison.Ordinal)));

    private Task<List<MqMessage>> Browse() =>
        JournalBrowse.AllAsync(Sys, ActorQmSettings.Create(ConfigurationFactory.ParseString($"actorqm.queue-managers.QM2 {{ store {{ engine = postgresql, connection-string = \"{_journal}\" }} }}"), _dir.Path).QueueManagers.Single(), "APP.IN");

    /// <summary>Durable messages of a queue, read from the shared journal while the nodes run.</summary>
    private int Durable(string qmgr, string queue)
    {
        using var connection = new NpgsqlConnection(_journal);
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM messages WHERE qmgr = @qm AND queue = @q";
        cmd.Parameters.AddWithValue("qm", qmgr);
        cmd.Parameters.AddWithValue("q", queue);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
