using System.Diagnostics;
using ActorQm.Cli.Dev;
using ActorQm.Client;
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
        var clients = new System.Collections.Concurrent.ConcurrentBag<MqClient>();
        Process? server = null;
        try
        {
            pki.WriteKeyRepository(Path.Combine(dir, "qm2key"), "ibmwebspheremqqm2", pki.Issue($"CN=QM2,{DevPki.Organisation}"));
            var options = ClientBench.Options(pki, dir, 0, "idle");
            server = Process.Start(new ProcessStartInfo("dotnet", [typeof(IdleClientsBench).Assembly.Location, "idle-server", dir])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            var port = int.Parse(await Answer(server, null, "PORT"), System.Globalization.CultureInfo.InvariantCulture);
            var heapBefore = long.Parse(await Answer(server, "heap", "HEAP"), System.Globalization.CultureInfo.InvariantCulture);
            var clientHeapBefore = FootprintBench.Heap();
            var failed = 0;
            string? firstFailure = null;
            var next = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= count)
                {
                    try
                    {
                        clients.Add(await MqClient.ConnectAsync(options with { Port = port }));
                    }
#pragma warning disable CA1031 // A connection that fails is counted and reported, whatever the reason: the run goes on.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstFailure, e.Message, null);
                    }
                }
            }));
            var elapsed = sw.Elapsed;
            var heapAfter = long.Parse(await Answer(server, "heap", "HEAP"), System.Globalization.CultureInfo.InvariantCulture);
            var clientHeapAfter = FootprintBench.Heap();
            var connected = clients.Count;
            // Per-connection figures only from a run where every connection was made: a failed one may have left state behind.
            var valid = connected == count;
            var note = valid ? string.Empty : $"; NOT VALID: {failed} of {count} failed";
            return
            [
                new("M1", $"time to connect {count:N0} idle clients (queue manager in its own process)", elapsed.TotalSeconds, "s", null, string.Empty,
                    $"{connected / elapsed.TotalSeconds:F0} connections/s, {Concurrency} connecting at once; {failed} failed{(firstFailure is null ? string.Empty : $" (first: {firstFailure})")}"),
                new("M1", "queue manager heap per idle client connection", valid ? (heapAfter - heapBefore) / 1024.0 / connected : double.NaN, "KiB heap", null, string.Empty,
                    $"{connected:N0} connected; managed heap in the queue manager's process after a full GC (native TLS and socket memory not included){note}"),
                new("M1", "client heap per idle connection (MqClient)", valid ? (clientHeapAfter - clientHeapBefore) / 1024.0 / connected : double.NaN, "KiB heap", null, string.Empty,
                    $"the application's side, after a full GC{note}"),
            ];
        }
        finally
        {
            foreach (var client in clients)
            {
                await Quietly(() => client.DisposeAsync().AsTask());
            }

            if (server is not null)
            {
                if (!server.HasExited)
                {
                    await Quietly(() => server.StandardInput.WriteLineAsync("quit"));
                    if (!server.WaitForExit(TimeSpan.FromSeconds(30)))
                    {
                        server.Kill(entireProcessTree: true);
                        server.WaitForExit(TimeSpan.FromSeconds(10));
                    }
                }

                server.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Cleanup that must not stop the cleanup after it.</summary>
    private static async Task Quietly(Func<Task> step)
    {
        try
        {
            await step();
        }
#pragma warning disable CA1031 // Cleanup goes on whatever one step throws.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>The queue manager's side (<c>bench idle-server DIR</c>): prints its listener's port, then answers "heap" until "quit".</summary>
    public static async Task Serve(string dir)
    {
        // Its standard output is the line protocol: Akka logs nothing there.
        var system = ActorSystem.Create("idleserver", "akka.loglevel = OFF, akka.stdout-loglevel = OFF");
        try
        {
            var qm = await ChannelBench.Start(system, dir, "QM2", ClientBench.ServerScript(dir), Handshakes);
            Console.WriteLine($"PORT {await ChannelBench.ListenerPort(qm)}");
            while (await Console.In.ReadLineAsync() is { } line && line != "quit")
            {
                Console.WriteLine($"HEAP {FootprintBench.Heap()}");
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

        // Anything else on the line (a runtime message) is skipped; the answer must come within a minute.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await server.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            if (line.StartsWith(prefix + " ", StringComparison.Ordinal))
            {
                return line[(prefix.Length + 1)..];
            }
        }

        throw new InvalidOperationException($"the queue manager's process ended without answering {prefix} (exit: {(server.HasExited ? server.ExitCode : "running")})");
    }
}
