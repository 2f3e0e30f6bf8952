using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorQm.Mqi;
using Microsoft.AspNetCore.Http;

namespace ActorQm.Rest;

/// <summary>
/// The body of <c>POST admin/action/qmgr/{qmgr}/mqsc</c>: <c>runCommand</c> (MQSC text) or <c>runCommandJSON</c> (verb,
/// object type, name, keyword parameters, attributes to return), and MQ's answer to it (docs/rest.md).
/// </summary>
internal static partial class AdminCommand
{
    /// <summary>The MQSC to run, whether the answer is runCommandJSON's, or why the body is not a request.</summary>
    public static async Task<(string? Script, bool Json, string? Error)> ReadAsync(HttpRequest request)
    {
        JsonElement root;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 8 }).ConfigureAwait(false);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return (null, false, $"not JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type))
        {
            return (null, false, "no \"type\"");
        }

        switch (type.ValueKind == JsonValueKind.String ? type.GetString() : null)
        {
            case "runCommand":
                return root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.String
                    ? (command.GetString(), false, null)
                    : (null, false, "runCommand needs parameters.command, the MQSC text");
            case "runCommandJSON":
                var (script, error) = Mqsc(root);
                return (script, true, error);
            default:
                return (null, false, $"type '{type}' is neither runCommand nor runCommandJSON");
        }
    }

    /// <summary>
    /// runCommandJSON as one MQSC command. Verb, object type and keywords must be words and every value is quoted, so
    /// nothing in the JSON can add a command or a keyword of its own.
    /// </summary>
    private static (string? Script, string? Error) Mqsc(JsonElement root)
    {
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var verb = Text("command");
        var qualifier = Text("qualifier");
        if (verb is null || !Word().IsMatch(verb) || qualifier is null || !Word().IsMatch(qualifier))
        {
            return (null, "runCommandJSON needs \"command\" and \"qualifier\", each a single word (e.g. display, qlocal)");
        }

        var mqsc = new StringBuilder($"{verb.ToUpperInvariant()} {qualifier.ToUpperInvariant()}");
        if (Text("name") is { } name)
        {
            if (!Printable(name))
            {
                return (null, "\"name\" holds a control character");
            }

            mqsc.Append(CultureInfo.InvariantCulture, $"({Quoted(name)})");
        }

        if (root.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in parameters.EnumerateObject())
            {
                if (!Word().IsMatch(p.Name))
                {
                    return (null, $"parameter '{p.Name}' is not an MQSC keyword");
                }

                var value = p.Value.ValueKind switch
                {
                    JsonValueKind.String when Printable(p.Value.GetString()!) => Quoted(p.Value.GetString()!),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.Array when p.Value.EnumerateArray().All(e => Printable(e.ToString())) => string.Join(",", p.Value.EnumerateArray().Select(e => Quoted(e.ToString()))),
                    _ => null,
                };
                if (value is null)
                {
                    return (null, $"parameter '{p.Name}' has no string, number or list value without control characters");
                }

                mqsc.Append(CultureInfo.InvariantCulture, $" {p.Name.ToUpperInvariant()}({value})");
            }
        }

        if (root.TryGetProperty("responseParameters", out var wanted) && wanted.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in wanted.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Empty))
            {
                if (!Word().IsMatch(attribute))
                {
                    return (null, $"response parameter '{attribute}' is not an attribute name");
                }

                mqsc.Append(' ').Append(attribute.Equals("all", StringComparison.OrdinalIgnoreCase) ? "ALL" : attribute.ToUpperInvariant());
            }
        }

        return (mqsc.ToString(), null);
    }

    /// <summary>MQ's answer: one item per command (runCommand: its text lines) or per object displayed (runCommandJSON: lower-case keys).</summary>
    public static object Response(QueueManagerApi.MqscCompleted done, bool json)
    {
        var items = new List<Dictionary<string, object>>();
        foreach (var command in done.Results)
        {
            var (cc, rc) = command.Succeeded ? (0, 0) : (2, 3008);
            if (json && command.Succeeded && command.Objects.Count > 0)
            {
                items.AddRange(command.Objects.Select(o => new Dictionary<string, object>
                {
                    ["completionCode"] = 0,
                    ["reasonCode"] = 0,
                    ["parameters"] = o.Attributes.ToDictionary(a => a.Name.ToLowerInvariant(), a => Value(a.Value, a.Quoted)),
                }));
                continue;
            }

            items.Add(new Dictionary<string, object>
            {
                ["completionCode"] = cc,
                ["reasonCode"] = rc,
                [command.Succeeded ? "text" : "message"] = command.Messages,
            });
        }

        var failed = done.Failed > 0;
        return new Dictionary<string, object>
        {
            ["commandResponse"] = items,
            ["overallCompletionCode"] = failed ? 2 : 0,
            ["overallReasonCode"] = failed ? 3008 : 0,
        };
    }

    private static object Value(string value, bool quoted) =>
        !quoted && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : value;

    private static string Quoted(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";

    /// <summary>A line break (or any control character) would end the command inside a quoted value: MQSC splits lines before quotes.</summary>
    private static bool Printable(string value) => !value.Any(char.IsControl);

    [GeneratedRegex(@"\A[A-Za-z][A-Za-z0-9]{0,31}\z")]
    private static partial Regex Word();
}
