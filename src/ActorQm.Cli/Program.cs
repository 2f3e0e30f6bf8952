using System.CommandLine;
using System.CommandLine.Help;
using ActorQm.Cli;

// Named for the command users type (the tool's command, scripts/actorqm), not the assembly.
var root = new Command("actorqm", "actorqm: queue managers with MQ-grade secure channels on Akka.NET")
{
    new HelpOption(),
    new VersionOption(),
    StartCommand.Create(),
    MqscCommandLine.Create(),
    DemoCommand.Create(),
    CertCommand.Create(),
    ClientCommands.Put(),
    ClientCommands.Get(browse: false),
    ClientCommands.Get(browse: true),
    PkiCommand.Create(),
    MqrcCommand.Create(),
    KeysCommand.Create(),
    StatusCommand.Status(),
    StatusCommand.Stop(),
    CheckCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
