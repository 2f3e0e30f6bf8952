using System.CommandLine;

namespace ActorQm.Cli;

/// <summary><c>actorqm demo</c>: two queue managers and a mutually authenticated TLS channel (default), or one queue manager (<c>--local</c>).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var messages = new Option<int>("--messages", "-n") { Description = "Messages per phase", DefaultValueFactory = _ => 10_000 };
        var size = new Option<int>("--size") { Description = "Payload bytes per message", DefaultValueFactory = _ => 1024 };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary folder (journals, PKI, scripts) for inspection" };
        var local = new Option<bool>("--local") { Description = "Run the single-queue-manager demo (queues, restart, routing, dead letters) instead" };
        var command = new Command("demo", "Run queue managers on embedded defaults with a throwaway dev PKI and prove every message arrives intact exactly once\n\nExample:\n  actorqm demo --messages 2000 --keep") { messages, size, keep, local };
        command.SetAction((parse, _) => CliRunner.Run(() =>
        {
            var (n, bytes) = (parse.GetValue(messages), parse.GetValue(size));
            if (n < 1 || bytes < 16)
            {
                throw new CliException("--messages must be at least 1 and --size at least 16");
            }

            return parse.GetValue(local) ? LocalDemo.Run(n, bytes, parse.GetValue(keep)) : ChannelDemo.Run(n, bytes, parse.GetValue(keep));
        }));
        return command;
    }
}
