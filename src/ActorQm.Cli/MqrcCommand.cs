using System.CommandLine;
using ActorQm.Messages;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm mqrc CODE</c>: what a reason code means and what to do, as MQ's <c>mqrc</c> does.
/// Exit 0 when known; 10 when ActorQm never returns that code.
/// </summary>
internal static class MqrcCommand
{
    public static Command Create()
    {
        var codes = new Argument<string[]>("code") { Description = "Reason codes: 2035, 0x7F3, X'07F3' or MQRC_NOT_AUTHORIZED (several allowed)", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "List every reason code ActorQm returns" };
        var command = new Command("mqrc", "Explain MQ reason codes (MQRC) that ActorQm returns\n\nExample:\n  actorqm mqrc 2035 X'0803'") { codes, all };
        command.SetAction((parse, _) => CliRunner.Run(() => Task.FromResult(Run(parse.GetValue(codes) ?? [], parse.GetValue(all)))));
        return command;
    }

    private static int Run(string[] codes, bool all)
    {
        if (all)
        {
            foreach (var info in MqReasonInfo.All)
            {
                Console.WriteLine($"{(int)info.Reason,5}  {info.Name}");
            }

            return 0;
        }

        if (codes.Length == 0)
        {
            throw new CliException("give a reason code (e.g. actorqm mqrc 2035) or --all", 20);
        }

        var status = 0;
        foreach (var code in codes)
        {
            if (MqReasonInfo.Find(code) is not { } info)
            {
                Console.WriteLine($"{code}: not a reason code ActorQm returns (actorqm mqrc --all lists them)");
                status = 10;
                continue;
            }

            Console.WriteLine($"{info.Code}  {info.Name}");
            Console.WriteLine($"  Explanation: {info.Explanation}");
            Console.WriteLine($"  Action:      {info.Action}");
        }

        return status;
    }
}
