using System.CommandLine;
using System.Runtime.InteropServices;
using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm start --config FILE</c>: runs the queue managers a HOCON file declares until SIGINT/SIGTERM,
/// in this process, or as a cluster node when <c>actorqm.cluster.enabled = on</c>.
/// </summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "HOCON file declaring actorqm.queue-managers", Required = true };
        var command = new Command("start", "Run the queue managers of a config file until SIGINT or SIGTERM\n\nExample:\n  actorqm start --config qm1.conf") { config };
        command.SetAction((parse, _) => CliRunner.Run(() => Run(parse.GetValue(config)!)));
        return command;
    }

    private static async Task<int> Run(FileInfo file)
    {
        var (config, settings) = CliConfig.Load(file);
        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        using var telemetry = CliTelemetry.Start(config);
        if (ClusterNode.Enabled(config))
        {
            return await ClusterNode.RunAsync(config, settings, file.DirectoryName, stop.Task);
        }

        var system = CliConfig.CreateSystem(config, "INFO");
        var started = new List<StartedQueueManager>();
        try
        {
            ErrorLogs.ErrorLog.Start(system, config, file.DirectoryName, [.. settings.QueueManagers.Select(q => q.Name)]);
            foreach (var qm in settings.QueueManagers)
            {
                var s = await QueueManagerBootstrap.StartAsync(system, qm);
                started.Add(s);
                if (s.StartupOutput is { } output)
                {
                    foreach (var line in output.Lines)
                    {
                        Console.WriteLine(line);
                    }
                }

                var listeners = await BoundListeners(s.Actor, qm);
                new RunFile(qm.Name, Environment.ProcessId, DateTimeOffset.UtcNow, file.FullName, listeners.Select(l => $"{l.Key}={l.Value}").ToList()).Write(file);
                Console.WriteLine($"AMQ8003I: ActorQm queue manager {qm.Name} started (journal {qm.Store.Describe()}{(listeners.Count > 0 ? ", listeners " + string.Join(", ", listeners.Select(l => $"{l.Key} on {l.Value}")) : string.Empty)}).");
            }

            var rest = await StartRest(config, started, system);
            await stop.Task;
            // The REST API ends first: a get it answers must commit on a queue manager still running.
            if (rest is not null)
            {
                await rest.DisposeAsync();
            }

            foreach (var s in started)
            {
                await QueueManagerBootstrap.StopAsync(s.Actor);
                Console.WriteLine($"AMQ8004I: ActorQm queue manager {s.Name} ended normally.");
            }

            return 0;
        }
        finally
        {
            await system.Terminate();
            foreach (var s in started)
            {
                RunFile.Remove(file, s.Name);
            }
        }

        // Started means ready: the listeners the HOCON declares accept connections before AMQ8003I, or the start fails naming the one that did not bind.
        static async Task<IReadOnlyDictionary<string, System.Net.IPEndPoint>> BoundListeners(IActorRef qm, Configuration.QueueManagerSettings settings)
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
            while (true)
            {
                var bound = (await qm.Ask<Channels.Channel.Listeners>(QueueManager.GetListeners.Instance, TimeSpan.FromSeconds(10))).Bound;
                var missing = settings.Listeners.Where(l => !bound.ContainsKey(l.Name)).ToList();
                if (missing.Count == 0)
                {
                    return bound;
                }

                if (DateTimeOffset.UtcNow > deadline)
                {
                    var l = missing[0];
                    throw new CliException($"AMQ9228E: listener {l.Name} of queue manager {settings.Name} could not listen on {l.Address}:{l.Port} (in use, or not an address of this host; the log says why)", 20);
                }

                // The initiator binds listeners as it starts; there is no event for "all bound" to wait on.
                await Task.Delay(50);
            }
        }

        // MQ's REST APIs for every queue manager of this process, with the first one's certificate (docs/rest.md).
        static async Task<Rest.RestServer?> StartRest(Akka.Configuration.Config config, List<StartedQueueManager> started, Akka.Actor.ActorSystem system)
        {
            Rest.RestSettings rest;
            try
            {
                rest = Rest.RestSettings.From(config);
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message, 20);
            }

            if (rest.Listen is null || started.Count == 0)
            {
                return null;
            }

            try
            {
                var server = await Rest.RestServer.StartAsync(rest, started.ToDictionary(s => s.Name, s => s.Actor), started[0].Actor, system);
                Console.WriteLine($"MQ's REST APIs are listening on {server.Address} (mutual TLS, the certificate of {started[0].Name}).");
                return server;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                throw new CliException($"actorqm.rest: {e.Message}", 20);
            }
        }

        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
    }
}
