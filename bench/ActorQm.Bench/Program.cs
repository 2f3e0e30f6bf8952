using System.Diagnostics;
using System.Runtime.InteropServices;
using ActorQm.Bench;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Configuration;

// Without arguments: the full table (FullRun). "persistence": put+get rates of ActorQm's queue actors and SQLite journal, against an event-sourced queue on
// Akka.Persistence.Sql over the same SQLite, measured in one run on this machine. Figures, not
// assertions: compare the ratios, not the absolute numbers, across machines.
if ((args.Length == 0 || args[0] is "all" or "--quick") && OperatingSystem.IsLinux())
{
    await FullRun.Run(quick: args.Contains("--quick"));
    return;
}

if (args[0] == "channel" && OperatingSystem.IsLinux())
{
    await ChannelBench.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
    return;
}

if (args[0] == "peers" && OperatingSystem.IsLinux())
{
    await FullRun.Peers(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60_000);
    return;
}

if (args[0] == "client" && OperatingSystem.IsLinux())
{
    // Alone, without the channel section's L1 figure: ratios to the raw TLS pipe are left out.
    var clientCount = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60_000;
    Console.Write(BenchReport.Table(await ClientBench.Rows(ActorQm.Cli.Dev.DevPki.Create(), clientCount, 2_000, double.NaN), 1024));
    return;
}

if (args[0] == "soak" && OperatingSystem.IsLinux())
{
    Environment.Exit(await SoakRun.Run(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2));
}

if (args[0] == "micro")
{
    MicroBench.Run();
    return;
}

if (args[0] == "footprint" && OperatingSystem.IsLinux())
{
    Console.Write(BenchReport.Table(await FootprintBench.Rows(ActorQm.Cli.Dev.DevPki.Create(), args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000), 1024));
    return;
}

if (args[0] == "idleclients" && OperatingSystem.IsLinux())
{
    Console.Write(BenchReport.Table(await IdleClientsBench.Rows(ActorQm.Cli.Dev.DevPki.Create(), args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000), 1024));
    return;
}

if (args[0] == "idle-server" && args.Length == 2 && OperatingSystem.IsLinux())
{
    await IdleClientsBench.Serve(args[1]);
    return;
}

if (args[0] == "deepqueue" && OperatingSystem.IsLinux())
{
    Console.Write(BenchReport.Table(await DeepQueueBench.Rows(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000), 1024));
    return;
}

if (args[0] == "handshake")
{
    await HandshakeBench.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
    return;
}

if (args[0] != "persistence")
{
    Console.Error.WriteLine("usage: bench [all [--quick] | micro | persistence [messages] | channel [messages] | client [messages] | soak [minutes] | handshake [count] | footprint [connections] | idleclients [connections] | deepqueue [messages]]");
    Environment.Exit(2);
}

var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
const int size = 1024;
const int window = 512;
var payload = new byte[size];
Random.Shared.NextBytes(payload);
var dir = Directory.CreateTempSubdirectory("actorqm-bench-").FullName;
Console.WriteLine($"# ActorQm persistence bench: {count} messages of {size} B, {window} in flight, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");

var rows = new List<(string Name, double Rate, string Note)>();
var system = ActorSystem.Create("bench", ConfigurationFactory.ParseString($$"""
    akka.loglevel = WARNING
    akka.persistence {
      journal.plugin = "akka.persistence.journal.sql"
      journal.sql { connection-string = "Data Source={{dir}}/es.db", provider-name = "SQLite.MS", auto-initialize = on }
      snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
      snapshot-store.sql { connection-string = "Data Source={{dir}}/es.db", provider-name = "SQLite.MS", auto-initialize = on }
    }
    """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration));
try
{
    var settings = ActorQmSettings.ForQueueManager("BENCH", ConfigurationFactory.ParseString($"store.path = \"{dir}/BENCH.db\""));
    var qm = await QueueManagerBootstrap.StartAsync(system, settings);
    var conn = new QueueManagerConnection(qm.Actor, "bench");
    await conn.RunMqscAsync("DEFINE QLOCAL(B) MAXDEPTH(999999999)");
    foreach (var persistence in new[] { Persistence.NotPersistent, Persistence.Persistent })
    {
        var output = await conn.OpenAsync("B", ActorQm.Mqi.QueueManagerApi.OpenPurpose.Output);
        var input = await conn.OpenAsync("B", ActorQm.Mqi.QueueManagerApi.OpenPurpose.Input);
        var message = new MqMessage(new MessageDescriptor { Persistence = persistence }, payload);
        var put = await Rate(count, _ => output.PutAsync(message));
        var get = await Rate(count, _ => input.GetAsync());
        var label = persistence == Persistence.Persistent ? "persistent" : "non-persistent";
        rows.Add(($"ActorQm {label} put", put, persistence == Persistence.Persistent ? "synced (WAL, synchronous=FULL) before the reply" : "in memory"));
        rows.Add(($"ActorQm {label} get", get, persistence == Persistence.Persistent ? "delete synced before the reply" : "in memory"));
    }

    // Recovery: history consumed (nothing live) versus live messages.
    await QueueManagerBootstrap.StopAsync(qm.Actor);
    var sw = Stopwatch.StartNew();
    qm = await QueueManagerBootstrap.StartAsync(system, settings);
    var emptyRecovery = sw.Elapsed.TotalMilliseconds;
    conn = new QueueManagerConnection(qm.Actor, "bench");
    var fill = await conn.OpenAsync("B", ActorQm.Mqi.QueueManagerApi.OpenPurpose.Output);
    await Rate(count, _ => fill.PutAsync(new MqMessage(new MessageDescriptor { Persistence = Persistence.Persistent }, payload)));
    await QueueManagerBootstrap.StopAsync(qm.Actor);
    sw.Restart();
    qm = await QueueManagerBootstrap.StartAsync(system, settings);
    var liveRecovery = sw.Elapsed.TotalMilliseconds;
    await QueueManagerBootstrap.StopAsync(qm.Actor);

    var es = system.ActorOf(Props.Create(() => new EventSourcedQueue("q")), "es-1");
    await es.Ask<int>(EventSourcedQueue.Ping.Instance);
    var esPut = await Rate(count, _ => es.Ask<object>(payload));
    var esGet = await Rate(count, _ => es.Ask<object>(EventSourcedQueue.Take.Instance));
    rows.Add(("Akka.Persistence.Sql persistent put", esPut, "event-sourced queue, PersistAsync, same SQLite"));
    rows.Add(("Akka.Persistence.Sql persistent get", esGet, "removal event persisted before the reply"));
    await es.GracefulStop(TimeSpan.FromSeconds(30));
    sw.Restart();
    var replayed = system.ActorOf(Props.Create(() => new EventSourcedQueue("q")), "es-2");
    await replayed.Ask<int>(EventSourcedQueue.Ping.Instance, TimeSpan.FromMinutes(5));
    var esRecovery = sw.Elapsed.TotalMilliseconds;

    Console.WriteLine();
    Console.WriteLine($"| {"measure",-38} | {"msgs/s",10} | {"ratio",6} | note |");
    Console.WriteLine($"|{new string('-', 40)}|{new string('-', 12)}|{new string('-', 8)}|------|");
    var baseline = rows[0].Rate;
    foreach (var (name, rate, note) in rows)
    {
        Console.WriteLine($"| {name,-38} | {rate,10:F0} | {rate / baseline,6:F2} | {note} |");
    }

    Console.WriteLine();
    Console.WriteLine($"Recovery, ActorQm, {2 * count} puts and {2 * count} gets of history, nothing live: {emptyRecovery:F0} ms");
    Console.WriteLine($"Recovery, ActorQm, {count} live persistent messages: {liveRecovery:F0} ms");
    Console.WriteLine($"Recovery, event-sourced, {count} puts and {count} gets of history, nothing live: {esRecovery:F0} ms (replays every event; snapshots would rewrite every live message)");
}
finally
{
    await system.Terminate();
    Directory.Delete(dir, recursive: true);
}

static async Task<double> Rate<T>(int n, Func<int, Task<T>> op)
{
    var sw = Stopwatch.StartNew();
    for (var start = 0; start < n; start += window)
    {
        await Task.WhenAll(Enumerable.Range(start, Math.Min(window, n - start)).Select(op));
    }

    return n / sw.Elapsed.TotalSeconds;
}
