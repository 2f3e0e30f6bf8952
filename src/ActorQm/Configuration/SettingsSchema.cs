using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorQm.Configuration;

/// <summary>
/// Strict settings: every key under <c>actorqm</c> must be one reference.conf knows (with "did you
/// mean" for a near miss), and every value must have the type of its default, so a typo is an
/// error naming the setting instead of a default silently used (docs/configuration.md, "Strict settings").
/// Named entries (queue managers, listeners, groups, routed listeners) are checked against what
/// each entry may hold.
/// </summary>
internal static partial class SettingsSchema
{
    private static readonly string[] ListenerKeys = ["port", "address", "backlog"];
    private static readonly string[] RoutedListenerKeys = ["queue-manager", "port", "address", "backlog"];
    private static readonly string[] ChannelRevocationKeys = ["crl-namelist", "ocsp-authentication"];

    /// <summary>Every problem of the actorqm section of <paramref name="config"/>, one line each, or an empty list.</summary>
    public static IReadOnlyList<string> Problems(Config config)
    {
        var problems = new List<string>();
        if (config.IsEmpty || !config.HasPath("actorqm"))
        {
            return problems;
        }

        var reference = ActorQmSettings.Reference.GetValue("actorqm").GetObject();
        var user = config.GetValue("actorqm");
        if (!user.IsObject())
        {
            problems.Add("actorqm must be an object");
            return problems;
        }

        CheckObject(user.GetObject(), reference, "actorqm", problems);
        return problems;
    }

    /// <summary>Throws one <see cref="ConfigurationException"/> listing every problem, if there is any.</summary>
    public static void Validate(Config config)
    {
        var problems = Problems(config);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join("; ", problems));
        }
    }

    private static void CheckObject(HoconObject user, HoconObject reference, string path, List<string> problems)
    {
        foreach (var (key, value) in user.Items)
        {
            var here = $"{path}.{key}";
            if (path == "actorqm" && key == "queue-managers")
            {
                NamedEntries(value, here, problems, (entry, at) => CheckAs(entry, reference.Items["queue-manager-defaults"], at, problems));
                continue;
            }

            if (!reference.Items.TryGetValue(key, out var expected))
            {
                problems.Add($"{here} is not a setting{DidYouMean(key, reference.Items.Keys, path)}");
                continue;
            }

            switch (key)
            {
                case "listeners" when path.EndsWith(".routing", StringComparison.Ordinal):
                    NamedEntries(value, here, problems, (entry, at) => Fields(entry, at, RoutedListenerKeys, problems));
                    break;
                case "listeners":
                    NamedEntries(value, here, problems, (entry, at) => Fields(entry, at, ListenerKeys, problems));
                    break;
                case "channel-revocation":
                    NamedEntries(value, here, problems, (entry, at) => Fields(entry, at, ChannelRevocationKeys, problems));
                    break;
                case "groups" when path.EndsWith(".security", StringComparison.Ordinal):
                    NamedEntries(value, here, problems, (entry, at) =>
                    {
                        if (!IsList(entry))
                        {
                            problems.Add($"{at} must be a list of principals, e.g. [\"app1\", \"app2\"]");
                        }
                    });
                    break;
                default:
                    CheckAs(value, expected, here, problems);
                    break;
            }
        }
    }

    private static void CheckAs(HoconValue user, HoconValue expected, string path, List<string> problems)
    {
        if (expected.IsObject())
        {
            if (!user.IsObject())
            {
                problems.Add($"{path} must be an object {{ ... }}");
                return;
            }

            CheckObject(user.GetObject(), expected.GetObject(), path, problems);
            return;
        }

        if (IsList(expected))
        {
            if (!IsList(user))
            {
                problems.Add($"{path} must be a list [ ... ]");
            }

            return;
        }

        if (user.IsObject() || IsList(user))
        {
            problems.Add($"{path} must be a single value, not {(user.IsObject() ? "an object" : "a list")}");
            return;
        }

        var text = user.GetString() ?? string.Empty;
        var def = expected.GetString() ?? string.Empty;
        var why = Kind(def) switch
        {
            ValueKind.Integer when !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => "a whole number",
            ValueKind.Duration when !IsDuration(text) && !IsSwitch(text) => "a duration such as 30s, 5m or 1h",
            ValueKind.Size when !SizePattern().IsMatch(text) => "a size such as 65536, 64KiB or 32MiB",
            ValueKind.Switch when !IsSwitch(text) && !IsDuration(text) => "on or off",
            _ => null,
        };
        if (why is not null)
        {
            problems.Add($"{path} = {text}: expected {why}");
        }
    }

    private static void NamedEntries(HoconValue value, string path, List<string> problems, Action<HoconValue, string> check)
    {
        if (!value.IsObject())
        {
            problems.Add($"{path} must be an object of named entries");
            return;
        }

        foreach (var (name, entry) in value.GetObject().Items)
        {
            check(entry, $"{path}.{name}");
        }
    }

    private static void Fields(HoconValue entry, string path, string[] allowed, List<string> problems)
    {
        if (!entry.IsObject())
        {
            problems.Add($"{path} must be an object {{ {string.Join(", ", allowed.Select(a => a + " = ..."))} }}");
            return;
        }

        foreach (var (key, value) in entry.GetObject().Items)
        {
            if (!allowed.Contains(key))
            {
                problems.Add($"{path}.{key} is not a setting{DidYouMean(key, allowed, path)}");
            }
            else if (key is "port" or "backlog" && !long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                problems.Add($"{path}.{key} = {value.GetString()}: expected a whole number");
            }
        }
    }

    // Akka reads an empty list ([]) as no array (IsArray() is false), so the element types decide.
    private static bool IsList(HoconValue value) => value.Values.Any(v => v is HoconArray);

    private enum ValueKind
    {
        Text,
        Integer,
        Duration,
        Size,
        Switch,
    }

    private static ValueKind Kind(string def) =>
        IsSwitch(def) ? ValueKind.Switch
        : long.TryParse(def, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? ValueKind.Integer
        : IsDuration(def) ? ValueKind.Duration
        : SizePattern().IsMatch(def) ? ValueKind.Size
        : ValueKind.Text;

    private static bool IsSwitch(string text) => text.ToLowerInvariant() is "on" or "off" or "true" or "false" or "yes" or "no";

    private static bool IsDuration(string text) => DurationPattern().IsMatch(text) || text.Equals("infinite", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^\d+(\.\d+)?\s*(ns|nanos?|nanoseconds?|us|micros?|microseconds?|ms|millis?|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^\d+\s*(B|b|bytes?|K|k|KB|kB|KiB|M|m|MB|MiB|G|g|GB|GiB|T|TB|TiB)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    /// <summary>" (did you mean PATH.X?)" for the closest known key within two edits, else "".</summary>
    private static string DidYouMean(string key, IEnumerable<string> known, string path)
    {
        var best = known.Select(k => (Key: k, Distance: Distance(key.Replace('_', '-'), k))).Where(c => c.Distance <= 2).OrderBy(c => c.Distance).FirstOrDefault();
        return best.Key is null ? string.Empty : $" (did you mean {path}.{best.Key}?)";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }

        return row[b.Length];
    }
}
