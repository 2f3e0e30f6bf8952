using System.CommandLine;
using ActorQm.QueueManagers;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm mqsc --config FILE [-m QM] [-f SCRIPT]</c>: applies MQSC to a queue manager that is
/// not running, as runmqsc does, and prints MQ-style responses; with <c>--conn</c> (and the
/// client options) it sends them to a running queue manager's command server over
/// SYSTEM.ADMIN.SVRCONN, like <c>runmqsc -c</c>. <c>--json</c> prints DISPLAY results as objects.
/// Exit 0: all commands worked; 10: some failed; 20: could not run.
/// </summary>
internal static class MqscCommandLine
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "HOCON file declaring the queue manager (offline)" };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "MQSC script to apply (default: standard input)" };
        var json = new Option<bool>("--json") { Description = "Print the responses as JSON (DISPLAY results as objects)" };
        var remote = new ClientConnection();
        var command = new Command("mqsc", "Apply MQSC commands offline (--config) or to a running queue manager over its admin channel (--conn)\n\nExample:\n  echo \"DISPLAY QLOCAL(*) CURDEPTH\" | actorqm mqsc --config qm1.conf -m QM1\n  actorqm mqsc --conn '127.0.0.1(1414)' -m QM1 -f changes.mqsc --key-repository pki/clients/admin/key --cert-label ibmwebspheremqadmin") { config, file, json };
        remote.AddTo(command);
        command.SetAction((parse, _) => CliRunner.Run(async () =>
        {
            var script = parse.GetValue(file) is { } f ? await File.ReadAllTextAsync(f.FullName) : await Console.In.ReadToEndAsync();
            if (remote.Given(parse))
            {
                await using var client = await remote.ConnectAsync(parse, "actorqm mqsc", Channels.ServerConnectionActor.AdminChannel);
                return Print(await client.RunMqscAsync(script), parse.GetValue(json), client.QueueManagerName);
            }

            var configFile = parse.GetValue(config) ?? throw new CliException("give --config FILE (offline) or --conn host(port) (a running queue manager)", 20);
            return await Run(configFile, parse.GetValue(remote.QMgr), script, parse.GetValue(json));
        }));
        return command;
    }

    private static int Print(Protocol.MqscResponse response, bool json, string qmgr)
    {
        if (json)
        {
            Console.WriteLine(MqscJson.Render(response));
        }
        else
        {
            Console.WriteLine($"Starting MQSC for queue manager {qmgr}.");
            Console.WriteLine();
            foreach (var line in response.Lines)
            {
                Console.WriteLine(line);
            }
        }

        return response.Failed == 0 ? 0 : 10;
    }

    private static async Task<int> Run(FileInfo configFile, string? qmName, string script, bool json)
    {
        var (config, settings) = CliConfig.Load(configFile);
        var target = qmName is null
            ? settings.QueueManagers.Count == 1 ? settings.QueueManagers[0] : throw new CliException("the config declares several queue managers: name one with -m", 20)
            : settings.QueueManagers.FirstOrDefault(q => q.Name == qmName) ?? throw new CliException($"queue manager {qmName} is not declared in {configFile.Name}", 20);
        // The start-up script belongs to `start`; here only the given commands run. Command errors are
        // printed in the responses, so the log shows only what went wrong beyond them.
        var system = CliConfig.CreateSystem(config, "ERROR");
        try
        {
            var started = await QueueManagerBootstrap.StartAsync(system, target with { MqscFile = null });
            var result = await new QueueManagerConnection(started.Actor).RunMqscAsync(script);
            await QueueManagerBootstrap.StopAsync(started.Actor);
            return Print(result.Response, json, target.Name);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
