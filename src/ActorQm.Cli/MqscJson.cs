using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorQm.Cli;

/// <summary>
/// runmqsc-style responses as JSON for scripts: each DISPLAY result (an AMQ84xx/AMQ87xx "Display
/// ... details." line and the KEYWORD(value) pairs after it) becomes an object; every other
/// response line is kept as a message.
/// </summary>
internal static partial class MqscJson
{
    [GeneratedRegex(@"([A-Z][A-Z0-9]*)\(((?:'(?:[^']|'')*')|[^()]*)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Pair();

    public static string Render(IReadOnlyList<string> lines, int failed)
    {
        var objects = new List<Dictionary<string, string>>();
        var messages = new List<string>();
        Dictionary<string, string>? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("   ", StringComparison.Ordinal) && current is not null && Pair().IsMatch(line))
            {
                foreach (Match m in Pair().Matches(line))
                {
                    var value = m.Groups[2].Value;
                    current[m.Groups[1].Value] = value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal) : value;
                }

                continue;
            }

            current = null;
            if (Regex.IsMatch(line, @"^AMQ8\d{3}I: Display", RegexOptions.CultureInvariant))
            {
                current = [];
                objects.Add(current);
            }
            else if (line.Trim().Length > 0)
            {
                messages.Add(line.Trim());
            }
        }

        return JsonSerializer.Serialize(new { failed, objects, messages }, new JsonSerializerOptions { WriteIndented = true });
    }
}
