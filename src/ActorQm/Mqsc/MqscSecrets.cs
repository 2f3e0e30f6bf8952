using System.Text.RegularExpressions;
using ActorQm.Objects;

namespace ActorQm.Mqsc;

/// <summary>
/// Command text fit for a log or an answer: the values of secret attributes (LDAPPWD) replaced, whether or not the command
/// parses, so a mistyped command does not put its password in the error log.
/// </summary>
internal static class MqscSecrets
{
    private static readonly Regex Secret = new(
        $@"\b({string.Join("|", MqscSchema.SecretAttributes)})\s*\(\s*(?:'(?:[^']|'')*'?|[^)]*)\)?",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    public static string Mask(string command) => Secret.Replace(command, m => $"{m.Groups[1].Value}(********)");
}
