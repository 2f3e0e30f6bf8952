namespace ActorQm.Authority;

/// <summary>
/// Who a connection or channel runs as (docs/security.md, "Identity"): a user name with the groups it
/// belongs to, or the queue manager itself, which holds every authority (MQ's mqm).
/// </summary>
/// <param name="Name">The principal, e.g. the MCAUSER chosen for a channel.</param>
/// <param name="Groups">The groups the principal belongs to (HOCON <c>actorqm.security.groups</c>).</param>
/// <param name="Privileged">The queue manager's own identity or a member of the administrators' group: every authority, no record consulted.</param>
public sealed record Principal(string Name, IReadOnlySet<string> Groups, bool Privileged = false)
{
    /// <summary>The group whose members administer the queue manager with every authority, as MQ's mqm group.</summary>
    public const string AdministratorsGroup = "mqm";

    /// <summary>The identity of the queue manager itself: its own message channel agents and local administration.</summary>
    public static Principal QueueManager(string qmgrName) => new(qmgrName, new HashSet<string>(StringComparer.Ordinal), Privileged: true);

    /// <summary>A user with the groups the settings give it; members of <see cref="AdministratorsGroup"/> are privileged.</summary>
    public static Principal User(string name, IReadOnlySet<string> groups) => new(name, groups, groups.Contains(AdministratorsGroup) || name == AdministratorsGroup);
}
