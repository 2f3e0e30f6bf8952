namespace ActorQm.Authority;

/// <summary>Whether an authority record names a user or a group.</summary>
public enum EntityType
{
    Principal,
    Group,
}

/// <summary>One authority record: what <paramref name="Entity"/> may do on objects of one type whose names match <paramref name="Profile"/>.</summary>
public sealed record AuthorityRecord(ProfilePattern Profile, AuthorityObjectType ObjectType, EntityType EntityType, string Entity, AuthorityKind Authorities);
