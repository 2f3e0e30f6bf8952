using System.CommandLine;
using ActorQm.QueueManagers;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm mqsc --config FILE [-m QM] [-f SCRIPT]</c>: applies MQSC to a queue manager that is
/// not running, as runmqsc does, and prints MQ-style responses. Exit 0: all commands worked;
/// 10: some failed; 20: could not run.
/// </summary>
internal static class MqscCommandLine
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "HOCON file declaring the queue manager", Required = true };
        var qm = new Option<string?>("--qmgr", "-m") { Description = "Queue manager name (needed when the file declares several)" };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "MQSC script to apply (default: standard input)" };
        var command = new Command("mqsc", "Apply MQSC commands to a queue manager's definitions offline") { config, qm, file };
        command.SetAction((parse, _) => CliRunner.Run(() => Run(parse.GetValue(config)!, parse.GetValue(qm), parse.GetValue(file))));
        return command;
    }

    private static async Task<int> Run(FileInfo configFile, string? qmName, FileInfo? scriptFile)
    {
        var (config, settings) = CliConfig.Load(configFile);
        var target = qmName is null
            ? settings.QueueManagers.Count == 1 ? settings.QueueManagers[0] : throw new CliException("the config declares several queue managers: name one with -m", 20)
            : settings.QueueManagers.FirstOrDefault(q => q.Name == qmName) ?? throw new CliException($"queue manager {qmName} is not declared in {configFile.Name}", 20);
        var script = scriptFile is null ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(scriptFile.FullName);

        // The start-up script belongs to `start`; here only the given commands run. Command errors are
        // printed in the responses, so the log shows only what went wrong beyond them.
        var system = CliConfig.CreateSystem(config, "ERROR");
        try
        {
            var started = await QueueManagerBootstrap.StartAsync(system, target with { MqscFile = null });
            Console.WriteLine($"Starting MQSC for queue manager {target.Name}.");
            Console.WriteLine();
            var result = await new QueueManagerConnection(started.Actor).RunMqscAsync(script);
            foreach (var line in result.Lines)
            {
                Console.WriteLine(line);
            }

            await QueueManagerBootstrap.StopAsync(started.Actor);
            return result.Failed == 0 ? 0 : 10;
        }
        finally
        {
            await system.Terminate();
        }
    }
}
