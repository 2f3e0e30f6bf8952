using System.CommandLine;
using ActorQm.Cli;

var root = new RootCommand("actorqm: queue managers with MQ-grade secure channels on Akka.NET")
{
    StartCommand.Create(),
    MqscCommandLine.Create(),
    DemoCommand.Create(),
    CertCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
