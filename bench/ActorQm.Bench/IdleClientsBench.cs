using System.Diagnostics;
using ActorQm.Cli.Dev;
using ActorQm.Client;
using ActorQm.Messages;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// M1: idle client connections to a queue manager running in its own process, as a deployment has it (and as this machine
/// needs for 10,000: one process holding both ends of each would pass the open-file limit). Time to connect them all,
/// connections refused or failed (counted, not fatal), and the managed heap each costs the queue manager, measured inside its
/// process after a full GC, and the client.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class IdleClientsBench
{
    // Every client comes from 127.0.0.1: the per-address bound would otherwise refuse most of them (it guards a listener
    // against one outsider; the figure is what a connection costs, not how the flood guard behaves).
    private const string Handshakes = "tls { max-concurrent-handshakes = 16, max-queued-handshakes = 4096, max-handshakes-per-address = 4096 }";

    // Connects at once, as many application instances starting together would.
    private const int Concurrency = 16;

    public static async Task<List<BenchRow>> Rows(DevPki pki, int count)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-idleclients-").FullName;
        pki.WriteKeyRepository(Path.Combine(dir, "qm2key"), "ibmwebspheremqqm2", pki.Issue($"CN=QM2,{DevPki.Organisation}"));
        var options = ClientBench.Options(pki, dir, 0, "idle");
        using var server = Process.Start(new ProcessStartInfo("dotnet", [typeof(IdleClientsBench).Assembly.Location, "idle-server", dir])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        var clients = new List<MqClient>();
        try
        {
            var port = int.Parse(await Answer(server, null, "PORT"), System.Globalization.CultureInfo.InvariantCulture);
            var heapBefore = long.Parse(await Answer(server, "heap", "HEAP"), System.Globalization.CultureInfo.InvariantCulture);
            var clientHeapBefore = Heap();
            var failed = 0;
            string? firstFailure = null;
            var next = 0;
            var sw = Stopwatch.StartNew();
            var connected = await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
            {
                var mine = new List<MqClient>();
                while (Interlocked.Increment(ref next) <= count)
                {
                    try
                    {
                        mine.Add(await MqClient.ConnectAsync(options with { Port = port }));
                    }
                    catch (Exception e) when (e is MqException or IOException or System.Net.Sockets.SocketException or TimeoutException)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstFailure, e.Message, null);
                    }
                }

                return mine;
            }));
            var elapsed = sw.Elapsed;
            clients.AddRange(connected.SelectMany(c => c));
            var heapAfter = long.Parse(await Answer(server, "heap", "HEAP"), System.Globalization.CultureInfo.InvariantCulture);
            var clientHeapAfter = Heap();
            var ok = Math.Max(1, clients.Count);
            return
            [
                new("M1", $"time to connect {count:N0} idle clients (queue manager in its own process)", elapsed.TotalSeconds, "s", null, string.Empty,
                    $"{clients.Count / elapsed.TotalSeconds:F0} connections/s, {Concurrency} connecting at once; {failed} failed{(firstFailure is null ? string.Empty : $" (first: {firstFailure})")}"),
                new("M1", "queue manager heap per idle client connection", (heapAfter - heapBefore) / 1024.0 / ok, "KiB heap", null, string.Empty,
                    $"{clients.Count:N0} connected; measured in the queue manager's process after a full GC"),
                new("M1", "client heap per idle connection (MqClient)", (clientHeapAfter - clientHeapBefore) / 1024.0 / ok, "KiB heap", null, string.Empty, "the application's side, after a full GC"),
            ];
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            if (!server.HasExited)
            {
                await server.StandardInput.WriteLineAsync("quit");
                if (!server.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    server.Kill(entireProcessTree: true);
                }
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The queue manager's side (<c>bench idle-server DIR</c>): prints its listener's port, then answers "heap" until "quit".</summary>
    public static async Task Serve(string dir)
    {
        var system = ActorSystem.Create("idleserver", "akka.loglevel = ERROR");
        try
        {
            var qm = await ChannelBench.Start(system, dir, "QM2", ClientBench.ServerScript(dir), Handshakes);
            Console.WriteLine($"PORT {await ChannelBench.ListenerPort(qm)}");
            while (await Console.In.ReadLineAsync() is { } line && line != "quit")
            {
                Console.WriteLine($"HEAP {Heap()}");
            }
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Sends <paramref name="command"/> (if any) and reads the server's next line, which must start with <paramref name="prefix"/>; within a minute.</summary>
    private static async Task<string> Answer(Process server, string? command, string prefix)
    {
        if (command is not null)
        {
            await server.StandardInput.WriteLineAsync(command);
        }

        var line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return line is not null && line.StartsWith(prefix + " ", StringComparison.Ordinal)
            ? line[(prefix.Length + 1)..]
            : throw new InvalidOperationException($"the queue manager's process answered '{line}' instead of {prefix} (exit: {(server.HasExited ? server.ExitCode : "running")})");
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
