using System.Collections.Frozen;
using Akka.Configuration;

namespace ActorQm.Configuration;

/// <summary>
/// Group membership for authority records (HOCON <c>security.groups</c>): MQ reads groups from the
/// operating system, a queue manager here from its settings (docs/security.md, "Groups").
/// </summary>
public sealed record SecuritySettings(IReadOnlyDictionary<string, IReadOnlySet<string>> Groups)
{
    public static readonly SecuritySettings Empty = new(FrozenDictionary<string, IReadOnlySet<string>>.Empty);

    /// <summary>The groups <paramref name="principal"/> belongs to.</summary>
    public IReadOnlySet<string> GroupsOf(string principal) =>
        Groups.Where(g => g.Value.Contains(principal)).Select(g => g.Key).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>A principal with the groups it belongs to.</summary>
    public Authority.Principal PrincipalFor(string name) => Authority.Principal.User(name, GroupsOf(name));

    public static SecuritySettings Create(string qm, Config? config)
    {
        if (config is null || !config.HasPath("groups"))
        {
            return Empty;
        }

        var groups = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        // Read value by value, not by path: a quoted group name may hold a dot.
        foreach (var (name, value) in config.GetConfig("groups").Root.GetObject().Items)
        {
            if (name.Length is 0 or > 64)
            {
                throw new ConfigurationException($"actorqm.queue-managers.{qm}.security.groups: group name '{name}' must be 1 to 64 characters.");
            }

            if (!value.IsArray() || value.GetArray().Any(m => !m.IsString()))
            {
                throw new ConfigurationException($"actorqm.queue-managers.{qm}.security.groups.{name}: members must be a list of principals, e.g. [\"app1\"].");
            }

            var members = value.GetStringList();
            if (members.FirstOrDefault(m => m.Length is 0 or > 64) is { } bad)
            {
                throw new ConfigurationException($"actorqm.queue-managers.{qm}.security.groups.{name}: member '{bad}' must be 1 to 64 characters.");
            }

            groups[name] = members.ToFrozenSet(StringComparer.Ordinal);
        }

        return new SecuritySettings(groups.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
