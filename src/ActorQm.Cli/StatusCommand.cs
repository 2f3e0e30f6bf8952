using System.CommandLine;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm status --config FILE</c> (dspmq) and <c>actorqm stop --config FILE [-m QM]</c> (endmqm):
/// the queue managers a config declares, whether they run, their process and listeners; and a
/// clean stop of the <c>actorqm start</c> process that runs one (docs/operations.md).
/// </summary>
internal static class StatusCommand
{
    public static Command Status()
    {
        var config = new Option<FileInfo>("--config") { Description = "HOCON file declaring actorqm.queue-managers", Required = true };
        var command = new Command("status", "Show the queue managers of a config file: running or ended, process id, listeners (dspmq)\n\nExample:\n  actorqm status --config qm1.conf") { config };
        command.SetAction((parse, _) => CliRunner.Run(() => Task.FromResult(ShowStatus(parse.GetValue(config)!))));
        return command;
    }

    public static Command Stop()
    {
        var config = new Option<FileInfo>("--config") { Description = "HOCON file declaring actorqm.queue-managers", Required = true };
        var qmgr = new Option<string?>("-m") { Description = "The queue manager (default: every one the config declares)" };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for a clean stop", DefaultValueFactory = _ => 60 };
        var command = new Command("stop", "Stop running queue managers cleanly, as SIGTERM to their actorqm start process does (endmqm)\n\nExample:\n  actorqm stop --config qm1.conf -m QM1") { config, qmgr, wait };
        command.SetAction((parse, _) => CliRunner.Run(() => StopAsync(parse.GetValue(config)!, parse.GetValue(qmgr), TimeSpan.FromSeconds(parse.GetValue(wait)))));
        return command;
    }

    private static int ShowStatus(FileInfo file)
    {
        var (_, settings) = CliConfig.Load(file);
        foreach (var qm in settings.QueueManagers)
        {
            var run = RunFile.Read(file, qm.Name);
            Console.WriteLine(run switch
            {
                null => $"QMNAME({qm.Name})  STATUS(Ended normally)",
                _ when !run.ProcessAlive() => $"QMNAME({qm.Name})  STATUS(Ended unexpectedly)  PID({run.ProcessId}) gone since it started {run.Started:yyyy-MM-dd HH:mm:ss} UTC",
                _ => $"QMNAME({qm.Name})  STATUS(Running)  PID({run.ProcessId})  STARTED({run.Started:yyyy-MM-dd HH:mm:ss} UTC)  LISTENERS({string.Join(",", run.Listeners)})",
            });
        }

        return 0;
    }

    private static async Task<int> StopAsync(FileInfo file, string? only, TimeSpan wait)
    {
        var (_, settings) = CliConfig.Load(file);
        var names = settings.QueueManagers.Select(q => q.Name).Where(n => only is null || n == only).ToList();
        if (names.Count == 0)
        {
            throw new CliException($"AMQ7048E: {file.FullName} declares no queue manager {only}", 20);
        }

        var running = names.Select(n => RunFile.Read(file, n)).OfType<RunFile>().Where(r => r.ProcessAlive()).ToList();
        if (running.Count == 0)
        {
            Console.WriteLine($"AMQ8146E: queue manager{(names.Count > 1 ? "s" : string.Empty)} {string.Join(", ", names)} not running.");
            return 10;
        }

        foreach (var pid in running.Select(r => r.ProcessId).Distinct())
        {
            var hosted = running.Where(r => r.ProcessId == pid).Select(r => r.QueueManager);
            var others = settings.QueueManagers.Select(q => q.Name).Where(n => !names.Contains(n) && RunFile.Read(file, n)?.ProcessId == pid).ToList();
            if (others.Count > 0)
            {
                throw new CliException($"process {pid} also runs {string.Join(", ", others)}: stop them together (omit -m), since one actorqm start process stops as a whole", 20);
            }

            Console.WriteLine($"Stopping {string.Join(", ", hosted)} (process {pid}).");
            if (!running.First(r => r.ProcessId == pid).Terminate())
            {
                throw new CliException($"process {pid} could not be signalled (is it another user's?)", 20);
            }
        }

        var deadline = DateTimeOffset.UtcNow + wait;
        while (running.Any(r => r.ProcessAlive()))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new CliException($"AMQ8041E: {string.Join(", ", running.Where(r => r.ProcessAlive()).Select(r => r.QueueManager))} still running after {wait.TotalSeconds:0} s", 20);
            }

            // Polling a process we do not own: there is no event to wait on; bounded by the deadline above.
            await Task.Delay(100);
        }

        foreach (var r in running)
        {
            Console.WriteLine($"AMQ8004I: ActorQm queue manager {r.QueueManager} ended normally.");
        }

        return 0;
    }
}
