using System.CommandLine;
using System.Text;
using System.Text.Json;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm put|get|browse</c>: a client of a running queue manager over a server-connection
/// channel (like amqsput/amqsget/amqsbcg with MQSERVER). Exit 0: done; 2: no message (get,
/// browse, MQRC 2033); 20: refused or unreachable (MQRC on stderr).
/// </summary>
internal static class ClientCommands
{
    public static Command Put()
    {
        var connection = new ClientConnection();
        var queue = new Option<string>("--queue", "-q") { Description = "Queue to put to", Required = true };
        var message = new Option<string[]>("--message") { Description = "Message text (repeatable); none: one message per line of standard input", AllowMultipleArgumentsPerToken = true };
        var persistent = new Option<bool>("--persistent") { Description = "Persistent messages (default: as the queue's DEFPSIST)" };
        var priority = new Option<int?>("--priority") { Description = "Priority 0-9 (default: as the queue's DEFPRTY)" };
        var json = new Option<bool>("--json") { Description = "Print what was put as JSON" };
        var command = new Command("put", "Put messages on a queue of a running queue manager over a client channel\n\nExample:\n  actorqm put --conn '127.0.0.1(1414)' --channel APP.SVRCONN -m QM1 --queue APP.IN --message hello --key-repository pki/clients/app/key --cert-label ibmwebspheremqapp --sslpeer CN=QM1") { queue, message, persistent, priority, json };
        connection.AddTo(command);
        command.SetAction((parse, _) => CliRunner.Run(async () =>
        {
            IReadOnlyList<string> texts = parse.GetValue(message) is { Length: > 0 } given ? given : ReadLines();
            await using var client = await connection.ConnectAsync(parse, "actorqm put");
            var output = await client.OpenAsync(parse.GetValue(queue)!, ClientOpenPurpose.Output);
            var results = new List<object>();
            foreach (var text in texts)
            {
                var descriptor = new MessageDescriptor
                {
                    Persistence = parse.GetValue(persistent) ? Persistence.Persistent : Persistence.AsQueueDefault,
                    Priority = parse.GetValue(priority) ?? MessageDescriptor.AsQueueDefaultPriority,
                    Format = MessageFormats.String,
                };
                try
                {
                    var stored = await output.PutAsync(new MqMessage(descriptor, Encoding.UTF8.GetBytes(text)));
                    results.Add(new { msgId = stored.MsgId.ToString(), persistent = stored.Persistence == Persistence.Persistent, priority = stored.Priority });
                }
                catch (MqException e) when (results.Count > 0)
                {
                    // Each put is its own call: say how many went before the refusal, so none is sent twice.
                    throw new CliException($"{results.Count} of {texts.Count} message(s) put on {parse.GetValue(queue)}; the next was refused: {e.Message}", 10);
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { queue = output.ResolvedName, put = results }));
            }
            else
            {
                Console.WriteLine($"{results.Count} message(s) put on {parse.GetValue(queue)} (resolved to {output.ResolvedName}) at {client.QueueManagerName}.");
            }

            return 0;
        }));
        return command;
    }

    public static Command Get(bool browse)
    {
        var connection = new ClientConnection();
        var queue = new Option<string>("--queue", "-q") { Description = browse ? "Queue to browse" : "Queue to get from", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Messages to read; 0: until the queue is empty", DefaultValueFactory = _ => browse ? 0 : 1 };
        var wait = new Option<int>("--wait") { Description = "Milliseconds to wait for each message", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print each message as a JSON line (descriptor and data)" };
        var command = new Command(browse ? "browse" : "get", (browse ? "Browse messages (leave them on the queue) over a client channel" : "Get (remove) messages over a client channel")
            + $"\n\nExample:\n  actorqm {(browse ? "browse" : "get")} --conn '127.0.0.1(1414)' --channel APP.SVRCONN -m QM1 --queue APP.IN {(browse ? "--json" : "--wait 5000")} --key-repository pki/clients/app/key --cert-label ibmwebspheremqapp --sslpeer CN=QM1") { queue, count, wait, json };
        connection.AddTo(command);
        command.SetAction((parse, _) => CliRunner.Run(async () =>
        {
            await using var client = await connection.ConnectAsync(parse, browse ? "actorqm browse" : "actorqm get");
            var input = await client.OpenAsync(parse.GetValue(queue)!, browse ? ClientOpenPurpose.Browse : ClientOpenPurpose.Input);
            var limit = parse.GetValue(count);
            var options = new ClientGetOptions { Wait = TimeSpan.FromMilliseconds(Math.Max(0, parse.GetValue(wait))) };
            var read = 0;
            try
            {
                while (limit == 0 || read < limit)
                {
                    var message = browse
                        ? await (read == 0 ? input.BrowseFirstAsync(options) : input.BrowseNextAsync(options))
                        : await input.GetAsync(options);
                    read++;
                    Print(message, parse.GetValue(json));
                }
            }
            catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
            {
                if (read == 0)
                {
                    await Console.Error.WriteLineAsync($"actorqm: no message available on {parse.GetValue(queue)} (MQRC 2033)");
                    return 2;
                }
            }

            return 0;
        }));
        return command;
    }

    private static void Print(MqMessage message, bool json)
    {
        var d = message.Descriptor;
        var text = TryText(message.Payload.Span);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                msgId = d.MsgId.ToString(),
                correlId = d.CorrelId.IsNone ? null : d.CorrelId.ToString(),
                persistent = d.Persistence == Persistence.Persistent,
                priority = d.Priority,
                format = d.Format.Trim(),
                putApplName = d.PutApplName.Trim(),
                putDateTime = d.PutDateTime,
                backoutCount = d.BackoutCount,
                length = message.Payload.Length,
                text,
                base64 = text is null ? Convert.ToBase64String(message.Payload.Span) : null,
            }));
        }
        else
        {
            Console.WriteLine(text ?? $"<{message.Payload.Length} bytes of binary data, MsgId {d.MsgId}>");
        }
    }

    private static string? TryText(ReadOnlySpan<byte> data)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static List<string> ReadLines()
    {
        var lines = new List<string>();
        while (Console.In.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
