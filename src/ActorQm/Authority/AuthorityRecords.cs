namespace ActorQm.Authority;

/// <summary>
/// The authority records of a queue manager, as one immutable set the queue manager replaces at every
/// change: checks read a snapshot and never lock. For a principal on one object, the most specific
/// matching profile is chosen for the principal and, separately, for each of its groups, and what
/// they grant is added up; there are no deny records (docs/security.md, "How a check is decided").
/// </summary>
public sealed class AuthorityRecords
{
    public static readonly AuthorityRecords Empty = new([]);

    private readonly Dictionary<(AuthorityObjectType, EntityType, string), AuthorityRecord[]> _byEntity;

    public AuthorityRecords(IEnumerable<AuthorityRecord> records)
    {
        All = records.ToList();
        _byEntity = All.GroupBy(r => (r.ObjectType, r.EntityType, r.Entity))
            .ToDictionary(g => g.Key, g => g.ToArray());
    }

    public IReadOnlyList<AuthorityRecord> All { get; }

    /// <summary>What <paramref name="principal"/> may do on the object: the union over it and its groups of each one's best profile.</summary>
    public AuthorityKind Effective(Principal principal, AuthorityObjectType type, string objectName)
    {
        if (principal.Privileged)
        {
            return AuthorityKind.All | AuthorityKind.Crt;
        }

        var granted = Best(type, EntityType.Principal, principal.Name, objectName)?.Authorities ?? AuthorityKind.None;
        foreach (var group in principal.Groups)
        {
            granted |= Best(type, EntityType.Group, group, objectName)?.Authorities ?? AuthorityKind.None;
        }

        return granted;
    }

    /// <summary>The authorities of <paramref name="needed"/> that the principal lacks on the object (None: allowed).</summary>
    public AuthorityKind Missing(Principal principal, AuthorityObjectType type, string objectName, AuthorityKind needed) =>
        needed & ~Effective(principal, type, objectName);

    /// <summary>The one record that decides for this entity on this object: the most specific matching profile, never the first found.</summary>
    public AuthorityRecord? Best(AuthorityObjectType type, EntityType entityType, string entity, string objectName)
    {
        if (!_byEntity.TryGetValue((type, entityType, entity), out var records))
        {
            return null;
        }

        AuthorityRecord? best = null;
        foreach (var record in records)
        {
            if (record.Profile.Matches(objectName) && (best is null || ProfilePattern.CompareSpecificity(record.Profile, best.Profile) > 0))
            {
                best = record;
            }
        }

        return best;
    }
}
