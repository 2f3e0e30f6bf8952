using System.CommandLine;
using ActorQm.Cli;

var root = new RootCommand("actorqm: queue managers with MQ-grade secure channels on Akka.NET")
{
    StartCommand.Create(),
    MqscCommandLine.Create(),
    DemoCommand.Create(),
    CertCommand.Create(),
    ClientCommands.Put(),
    ClientCommands.Get(browse: false),
    ClientCommands.Get(browse: true),
    PkiCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
