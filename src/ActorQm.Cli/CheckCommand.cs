using System.CommandLine;
using ActorQm.Mqsc;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm check --config FILE</c>: validates the settings strictly (every key known, every value
/// of its type) and checks the syntax of every queue manager's MQSC start-up script, as
/// <c>runmqsc -v</c> does, without starting anything or opening a journal.
/// Exit 0: all valid; 10: a script has errors; 20: the settings are not valid.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "HOCON file declaring actorqm.queue-managers", Required = true };
        var command = new Command("check", "Validate a config file and the syntax of its MQSC start-up scripts without starting anything (runmqsc -v)\n\nExample:\n  actorqm check --config qm1.conf") { config };
        command.SetAction((parse, _) => CliRunner.Run(() => Task.FromResult(Run(parse.GetValue(config)!))));
        return command;
    }

    private static int Run(FileInfo file)
    {
        var (_, settings) = CliConfig.Load(file);
        Console.WriteLine($"{file.FullName}: settings valid ({settings.QueueManagers.Count} queue manager{(settings.QueueManagers.Count == 1 ? string.Empty : "s")}).");
        var errors = 0;
        foreach (var qm in settings.QueueManagers)
        {
            if (qm.MqscFile is not { } script)
            {
                Console.WriteLine($"{qm.Name}: no MQSC start-up script.");
                continue;
            }

            if (!File.Exists(script))
            {
                Console.WriteLine($"{qm.Name}: AMQ8118E: MQSC start-up script {script} not found.");
                errors++;
                continue;
            }

            var sources = MqscParser.SplitCommands(File.ReadAllText(script));
            var bad = 0;
            foreach (var source in sources)
            {
                try
                {
                    MqscParser.Parse(source);
                }
                catch (MqscException e)
                {
                    Console.WriteLine($"{qm.Name}: {Path.GetFileName(script)}: {e.Message}");
                    bad++;
                }
            }

            Console.WriteLine($"{qm.Name}: {sources.Count} MQSC commands read, {bad} with syntax errors.");
            errors += bad;
        }

        return errors == 0 ? 0 : 10;
    }
}
