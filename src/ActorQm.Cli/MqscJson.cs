using System.Text.Json;
using ActorQm.Protocol;

namespace ActorQm.Cli;

/// <summary>
/// MQSC answers as JSON for scripts, built from the queue manager's results (never from its text): each command with its
/// text, outcome, messages and the objects it displayed (attributes by keyword, in order); <c>objects</c> and
/// <c>messages</c> gather those of every command.
/// </summary>
internal static class MqscJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static string Render(MqscResponse response)
    {
        static Dictionary<string, string> Attributes(MqscObject o)
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var a in o.Attributes)
            {
                attributes[a.Name] = a.Value;
            }

            return attributes;
        }

        var commands = response.Commands.Select(c => new
        {
            number = c.Number,
            command = c.Command,
            succeeded = c.Succeeded,
            messages = c.Messages,
            objects = c.Objects.Select(Attributes).ToList(),
        }).ToList();
        return JsonSerializer.Serialize(new
        {
            failed = response.Failed,
            commands,
            objects = commands.SelectMany(c => c.objects).ToList(),
            messages = commands.SelectMany(c => c.messages).ToList(),
        }, Options);
    }
}
