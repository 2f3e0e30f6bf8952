using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ActorQm.Objects;

/// <summary>
/// A defined object (queue, channel, AUTHINFO, NAMELIST, LISTENER, CHLAUTH record or the queue
/// manager itself) with every attribute it has: values are string, long or string[]. DEFINE fills
/// in defaults, so an object never depends on defaults that might change later.
/// </summary>
public sealed record MqObject(string Type, string Name, ImmutableSortedDictionary<string, object> Attributes)
{
    internal ObjectSchema Schema => MqscSchema.For(Type)!;

    /// <summary>Catalog key: object names are unique per namespace (all queue types share one).</summary>
    public string Key => Type switch
    {
        "CHLAUTH" => ChlAuthKey(Name, Attributes),
        "AUTHREC" => AuthRecKey(Name, Text("OBJTYPE"), Text("ENTTYPE"), Text("ENTITY")),
        _ => Name,
    };

    /// <summary>One authority record per profile, object type and entity.</summary>
    internal static string AuthRecKey(string profile, string objType, string entityType, string entity) =>
        $"{profile}\u0001{objType}\u0001{entityType}\u0001{entity}";

    public string Text(string attribute) => Attributes.TryGetValue(attribute, out var v) ? (string)v : string.Empty;

    public long Number(string attribute) => Attributes.TryGetValue(attribute, out var v) ? (long)v : 0;

    public IReadOnlyList<string> List(string attribute) => Attributes.TryGetValue(attribute, out var v) ? (string[])v : [];

    internal static string ChlAuthKey(string profile, IReadOnlyDictionary<string, object> a)
    {
        string Get(string n) => a.TryGetValue(n, out var v) ? (string)v : string.Empty;
        var type = Get("TYPE");
        var discriminator = type switch
        {
            "SSLPEERMAP" => Get("SSLPEER") + "\u0001" + Get("SSLCERTI"),
            "ADDRESSMAP" => Get("ADDRESS"),
            "USERMAP" => Get("CLNTUSER"),
            "QMGRMAP" => Get("QMNAME"),
            _ => string.Empty,
        };
        return $"{profile}\u0001{type}\u0001{discriminator}";
    }

    /// <summary>The MQSC command that recreates this object exactly; how the journal stores definitions.</summary>
    public string ToMqsc()
    {
        var sb = new StringBuilder();
        sb.Append(Type switch
        {
            "QMGR" => "ALTER QMGR",
            "CHLAUTH" => $"SET CHLAUTH({Quote(Name)})",
            "AUTHREC" => $"SET AUTHREC PROFILE({Quote(Name)})",
            _ => $"DEFINE {Type}({Quote(Name)})",
        });
        foreach (var (key, value) in Attributes)
        {
            sb.Append(' ').Append(key).Append('(').Append(Format(value)).Append(')');
        }

        sb.Append(Type switch
        {
            "QMGR" => string.Empty,
            "CHLAUTH" => " ACTION(REPLACE)",
            "AUTHREC" => string.Empty,
            _ => " REPLACE",
        });
        return sb.ToString();
    }

    internal static string Format(object value) => value switch
    {
        long n => n.ToString(CultureInfo.InvariantCulture),
        string[] list => string.Join(",", list.Select(Quote)),
        string s => Quote(s),
        _ => throw new InvalidOperationException($"Unexpected attribute value {value}."),
    };

    internal static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
}
