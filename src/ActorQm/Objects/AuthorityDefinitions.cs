using ActorQm.Authority;

namespace ActorQm.Objects;

/// <summary>The catalog's AUTHREC objects as the authority model reads them.</summary>
internal static class AuthorityDefinitions
{
    public static AuthorityRecords From(IEnumerable<MqObject> authRecs) => new(authRecs.Select(o => new AuthorityRecord(
        ProfilePattern.Parse(o.Name),
        AuthorityObjectTypes.Parse(o.Text("OBJTYPE"))!.Value,
        o.Text("ENTTYPE") == "GROUP" ? EntityType.Group : EntityType.Principal,
        o.Text("ENTITY"),
        AuthorityKeywords.ParseList(o.List("AUTHLIST")))));
}
