using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ActorQm.Tests.Support;

/// <summary>
/// Three real <c>actorqm start</c> cluster nodes on a shared PostgreSQL journal (docs/reliability.md,
/// "Cluster chaos"), hosting the sharded queue managers QMA (where clients connect), QMB and QMC (which
/// host the cluster queue APP.CQ of MQ cluster C1). Every node has a routed listener for each queue
/// manager, so a caller lists the three nodes in its CONNAME. Each node's Akka.Remote port sits behind a
/// <see cref="FaultProxy"/> whose port the node advertises (public-port), and nodes never reuse an
/// inbound link to send (use-passive-connections = off): whatever reaches a node passes its proxy. A
/// background pump reads every node's output (where each queue manager last started and when, the order
/// in which nodes came up) and, as a supervisor would, starts again a node that ended by itself.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class ChaosCluster : IDisposable
{
    public const string Cluster = "C1";
    public const string Queue = "APP.CQ";
    public const string Svrconn = "APP.SVRCONN";
    public static readonly string[] QueueManagers = ["QMA", "QMB", "QMC"];

    private readonly TempDirectory _dir;
    private readonly FaultProxy[] _proxies;
    private readonly string[] _configs = new string[3];
    private readonly ChildProcess?[] _processes = new ChildProcess?[3];
    private readonly List<string>[] _lines = [[], [], []];
    private readonly Dictionary<string, int> _listeners = [];
    private readonly Dictionary<string, (int Node, TimeSpan At)> _hosts = [];
    private readonly List<int> _upOrder = [];

    // The members each node has said it sees up (since it started): Up on the leader is not yet Up everywhere.
    private readonly HashSet<int>[] _seesUp = [[], [], []];
    private readonly bool[] _held = new bool[3];
    private readonly List<string> _unplanned = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    private ChaosCluster(TempDirectory dir, string journal)
    {
        _dir = dir;
        var remoting = Enumerable.Range(0, 3).Select(_ => Loopback.FreePort()).ToArray();
        _proxies = remoting.Select(p => new FaultProxy(p)).ToArray();
        // A proxy opens once its node's remoting listens (see Read): before, it would accept a peer's connection and
        // reset it, and Akka.NET ends a node whose outbound TLS handshake fails (docs/reliability.md, "Cluster chaos").
        foreach (var proxy in _proxies)
        {
            proxy.Partition();
        }
        foreach (var qm in QueueManagers)
        {
            for (var n = 0; n < 3; n++)
            {
                _listeners[$"{qm}/{n}"] = Loopback.FreePort();
            }
        }

        ClientKeyRepository = QueueManagerPair.KeyRepository(dir, "appkey", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        foreach (var qm in QueueManagers)
        {
            File.WriteAllText(dir.File(qm.ToLowerInvariant() + ".mqsc"), Mqsc(qm));
        }

        string Seeds(IEnumerable<FaultProxy> proxies) => string.Join(", ", proxies.Select(p => $"\"akka.ssl.tcp://actorqm@127.0.0.1:{p.Port}\""));
        for (var n = 0; n < 3; n++)
        {
            _configs[n] = dir.File($"node{n + 1}.conf");
            File.WriteAllText(_configs[n], NodeConfig(n, remoting[n], Seeds(_proxies.Take(2)), journal));
            // Started again, a node joins the others: were it the first seed node and could not reach the second within
            // seed-node-timeout, it would form a cluster of its own (docs/reliability.md, "Cluster chaos").
            File.WriteAllText(Rejoin(n), NodeConfig(n, remoting[n], Seeds(_proxies.Where((_, i) => i != n)), journal));
        }

        _pump = Pump();
    }

    public string ClientKeyRepository { get; }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Starts the three nodes; returns once each queue manager runs somewhere.</summary>
    public static async Task<ChaosCluster> StartAsync(TempDirectory dir, string journal)
    {
        var cluster = new ChaosCluster(dir, journal);
        for (var n = 0; n < 3; n++)
        {
            cluster.Start(n, cluster._configs[n]);
        }

        await PersistentStream.WaitFor(() => QueueManagers.All(q => cluster.HostOf(q) is not null), TimeSpan.FromMinutes(2), "QMA, QMB and QMC started", pollMs: 100);
        return cluster;
    }

    /// <summary>The CONNAME list of a queue manager's routed listeners, starting at node <paramref name="first"/>.</summary>
    public (string Host, int Port)[] Conname(string qmgr, int first = 0) =>
        Enumerable.Range(0, 3).Select(i => ("127.0.0.1", _listeners[$"{qmgr}/{(first + i) % 3}"])).ToArray();

    public int? HostOf(string qmgr)
    {
        lock (_lock)
        {
            return _hosts.TryGetValue(qmgr, out var host) ? host.Node : null;
        }
    }

    /// <summary>When <paramref name="qmgr"/> last printed its start, on which node.</summary>
    public (int Node, TimeSpan At)? LastStart(string qmgr)
    {
        lock (_lock)
        {
            return _hosts.TryGetValue(qmgr, out var host) ? host : null;
        }
    }

    /// <summary>
    /// Every queue manager runs somewhere and none has started for <paramref name="quiet"/>: the placement after a start or a
    /// rebalance has settled, so that a round's figures are about its own fault and not about a move still under way
    /// (docs/reliability.md, "Cluster chaos").
    /// </summary>
    public bool Settled(TimeSpan quiet)
    {
        lock (_lock)
        {
            return QueueManagers.All(_hosts.ContainsKey) && _hosts.Values.All(h => _clock.Elapsed - h.At >= quiet);
        }
    }

    /// <summary>The running node that has been a member longest: the one hosting the shard coordinator (Akka's oldest).</summary>
    public int? Oldest
    {
        get
        {
            lock (_lock)
            {
                return _upOrder.Where(n => _processes[n] is { HasExited: false }).Cast<int?>().FirstOrDefault();
            }
        }
    }

    public bool Running(int node) => _processes[node] is { HasExited: false };

    /// <summary>Nodes that ended without a fault of the spec's (restarted by the pump, as a supervisor would), and why.</summary>
    public IReadOnlyList<string> UnplannedExits
    {
        get
        {
            lock (_lock)
            {
                return [.. _unplanned];
            }
        }
    }

    public bool IsUp(int node)
    {
        lock (_lock)
        {
            return Running(node) && _upOrder.Contains(node);
        }
    }

    public void Kill(int node)
    {
        _held[node] = true;
        // Closed first, so that nobody's handshake is cut off half-way by the kill (see the constructor).
        _proxies[node].Partition();
        _processes[node]!.KillHard();
        Forget(node);
    }

    /// <summary>
    /// Cuts the node's Akka.Remote links both ways until it is restarted: nothing reaches it (its proxy is closed), and
    /// the other nodes' proxies let nothing through from it, as a partitioned network drops its packets. (Resetting its
    /// connections instead would fail its TLS handshakes, and Akka.NET ends a node for that; see the constructor.)
    /// </summary>
    public void Partition(int node)
    {
        _held[node] = true;
        _proxies[node].Partition();
        var pid = _processes[node]!.Id;
        for (var other = 0; other < 3; other++)
        {
            if (other != node)
            {
                _proxies[other].StallFrom(port => OwnsPort(pid, port));
            }
        }
    }

    /// <summary>Starts a node that was killed or ended (its old process is let go of first).</summary>
    public void Restart(int node)
    {
        lock (_lock)
        {
            Forget(node);
            var old = _processes[node];
            if (old is not null)
            {
                old.KillHard();
                old.Drain(_lines[node]);
                old.Dispose();
            }

            foreach (var proxy in _proxies)
            {
                proxy.ServeAll();
            }

            Start(node, Rejoin(node));
            _held[node] = false;
        }
    }

    /// <summary>The lines of every node that say what happened (ActorQm messages, errors, membership), for a failing run's output.</summary>
    public string Story(int perNode = 80)
    {
        lock (_lock)
        {
            return string.Join("\n", Enumerable.Range(0, 3).Select(n => $"--- node {n + 1} ({_lines[n].Count} lines):\n" + string.Join("\n",
                _lines[n].Where(l => l.Contains("AMQ", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("to [Up]", StringComparison.Ordinal)
                    || l.Contains("SBR", StringComparison.Ordinal) || l.Contains("nreachable", StringComparison.Ordinal) || l.Contains("own", StringComparison.Ordinal))
                .Where(l => !l.Contains("AMQ9202E", StringComparison.Ordinal)).TakeLast(perNode))));
        }
    }

    /// <summary>SIGTERM to every node and a bounded wait; whatever is left is killed.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            // Held: the pump must not start them again as they end.
            Array.Fill(_held, true);
            foreach (var process in _processes.Where(p => p is { HasExited: false }))
            {
                process!.Signal(15);
            }
        }

        for (var n = 0; n < 3; n++)
        {
            try
            {
                _processes[n]?.WaitForExit(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _processes[n]!.KillHard();
            }
        }
    }

    private void Start(int node, string config) => _processes[node] = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config);

    private string Rejoin(int node) => _dir.File($"node{node + 1}-rejoin.conf");

    private void Forget(int node)
    {
        lock (_lock)
        {
            _upOrder.Remove(node);
            _seesUp[node].Clear();
            foreach (var seen in _seesUp)
            {
                seen.Remove(node);
            }
        }
    }

    /// <summary>
    /// Every running node has said it sees every running node up: the membership has reached them all. A fault struck before
    /// that can leave the split-brain resolver of a node that has not yet seen a new member up deciding on too small a cluster
    /// (docs/reliability.md, "Cluster chaos").
    /// </summary>
    public bool Agreed()
    {
        lock (_lock)
        {
            var running = Enumerable.Range(0, 3).Where(Running).ToList();
            return running.All(a => running.All(b => _seesUp[a].Contains(b)));
        }
    }

    private async Task Pump()
    {
        var fresh = new List<string>();
        while (!_stop.IsCancellationRequested)
        {
            for (var n = 0; n < 3; n++)
            {
                fresh.Clear();
                lock (_lock)
                {
                    _processes[n]?.Drain(fresh);
                    foreach (var line in fresh)
                    {
                        Read(n, line);
                    }

                    _lines[n].AddRange(fresh);
                    if (!_held[n] && _processes[n] is { HasExited: true } ended)
                    {
                        // As a supervisor would: a node that ended by itself is started again, and the run says so.
                        _proxies[n].Partition();
                        _unplanned.Add($"node {n + 1} at {_clock.Elapsed.TotalSeconds:0.0} s: {_lines[n].LastOrDefault(l => l.Contains("CoordinatedShutdown invoked", StringComparison.Ordinal)) ?? ended.StandardError}");
                        Restart(n);
                    }
                }
            }

            try
            {
                await Task.Delay(20, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Read(int node, string line)
    {
        if (StartedLine().Match(line) is { Success: true } started && NodeOf(started.Groups[2].Value) is { } at)
        {
            _hosts[started.Groups[1].Value] = (at, _clock.Elapsed);
        }
        else if (UpLine().Match(line) is { Success: true } up && NodeOf(up.Groups[1].Value) is { } joined && !_upOrder.Contains(joined))
        {
            // The leader logs each member it moves to Up, in up-number order: Akka's age order.
            _upOrder.Add(joined);
        }
        else if (SeesUpLine().Match(line) is { Success: true } sees && NodeOf(sees.Groups[1].Value) is { } member)
        {
            _seesUp[node].Add(member);
        }
        else if (line.Contains("is up in the cluster", StringComparison.Ordinal) && !_upOrder.Contains(node))
        {
            _upOrder.Add(node);
        }
        else if (line.Contains("Remoting started; listening on addresses", StringComparison.Ordinal))
        {
            _proxies[node].Heal();
        }
        else if (line.Contains("CoordinatedShutdown invoked", StringComparison.Ordinal))
        {
            // Ending: closed before its remoting stops listening (see the constructor).
            _proxies[node].Partition();
        }
    }

    private int? NodeOf(string port)
    {
        var p = int.Parse(port, System.Globalization.CultureInfo.InvariantCulture);
        var i = Array.FindIndex(_proxies, x => x.Port == p);
        return i < 0 ? null : i;
    }

    [GeneratedRegex(@"queue manager (\w+) started on node akka\.ssl\.tcp://actorqm@127\.0\.0\.1:(\d+)")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"sees member akka\.ssl\.tcp://actorqm@127\.0\.0\.1:(\d+) up")]
    private static partial Regex SeesUpLine();

    [GeneratedRegex(@"Leader is moving node \[akka\.ssl\.tcp://actorqm@127\.0\.0\.1:(\d+)\] to \[Up\]")]
    private static partial Regex UpLine();

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _pump.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        // Every line of every node's incarnations, for reading a run afterwards (scripts/cluster-chaos.sh keeps them).
        if (Environment.GetEnvironmentVariable("ACTORQM_CLUSTER_CHAOS_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            for (var n = 0; n < 3; n++)
            {
                _processes[n]?.Drain(_lines[n]);
                File.WriteAllLines(Path.Combine(logs, $"node{n + 1}.log"), _lines[n]);
            }
        }

        foreach (var process in _processes)
        {
            process?.Dispose();
        }

        foreach (var proxy in _proxies)
        {
            proxy.Dispose();
        }

        _stop.Dispose();
    }
}
