using System.CommandLine;
using System.Runtime.InteropServices;
using ActorQm.QueueManagers;

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
        var command = new Command("start", "Run the queue managers of a config file until SIGINT or SIGTERM") { config };
        command.SetAction((parse, _) => CliRunner.Run(() => Run(parse.GetValue(config)!)));
        return command;
    }

    private static async Task<int> Run(FileInfo file)
    {
        var (config, settings) = CliConfig.Load(file);
        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        if (ClusterNode.Enabled(config))
        {
            return await ClusterNode.RunAsync(config, settings, file.DirectoryName, stop.Task);
        }

        var system = CliConfig.CreateSystem(config, "INFO");
        var started = new List<StartedQueueManager>();
        try
        {
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

                Console.WriteLine($"AMQ8003I: ActorQm queue manager {qm.Name} started (journal {qm.Store.Describe()}).");
            }

            await stop.Task;
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
        }

        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
    }
}
