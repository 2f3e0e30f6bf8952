using System.Collections.Immutable;
using ActorQm.Authority;
using ActorQm.Objects;

namespace ActorQm.Mqsc;

/// <summary>Authority records: SET AUTHREC and DELETE AUTHREC (docs/security.md, "Authority records").</summary>
public sealed partial class MqscExecutor
{
    private MqscOutcome SetAuthRec(MqscCommand cmd)
    {
        var (profile, objType, entityType, entity) = AuthRecTarget(cmd, "AUTHADD", "AUTHRMV");
        var validOn = AuthorityObjectTypes.ValidOn(objType);
        var add = AuthorityList(cmd, "AUTHADD", validOn);
        var remove = AuthorityList(cmd, "AUTHRMV", validOn);
        if (add is null && remove is null)
        {
            throw Syntax("SET AUTHREC needs AUTHADD or AUTHRMV.", cmd.Position);
        }

        if (((add ?? AuthorityKind.None) & (remove ?? AuthorityKind.None)) is var both and not AuthorityKind.None)
        {
            throw Syntax($"{string.Join(", ", AuthorityKeywords.Format(both))} is both added and removed.", cmd.Find("AUTHRMV")!.Position);
        }

        var objTypeText = AuthorityObjectTypes.Format(objType);
        var entityTypeText = EntityTypeText(entityType);
        var existing = catalog.Find("AUTHREC", MqObject.AuthRecKey(profile, objTypeText, entityTypeText, entity));
        var held = existing is null ? AuthorityKind.None : AuthorityKeywords.ParseList(existing.List("AUTHLIST"));
        var now = (held | (add ?? AuthorityKind.None)) & ~(remove ?? AuthorityKind.None);
        var record = new MqObject("AUTHREC", profile, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, object>
        {
            ["OBJTYPE"] = objTypeText,
            ["ENTTYPE"] = entityTypeText,
            ["ENTITY"] = entity,
            ["AUTHLIST"] = AuthorityKeywords.Format(now).ToArray(),
        }));
        return Done("AMQ8862I: ActorQm authority record set.", new ObjectDefined(record, existing));
    }

    /// <summary>Removes one entity's record for one profile; a record that is not there is MQ's not-found error and changes nothing.</summary>
    private MqscOutcome DeleteAuthRec(MqscCommand cmd)
    {
        var (profile, objType, entityType, entity) = AuthRecTarget(cmd);
        var key = MqObject.AuthRecKey(profile, AuthorityObjectTypes.Format(objType), EntityTypeText(entityType), entity);
        var existing = catalog.Find("AUTHREC", key)
            ?? throw new MqscException("AMQ8147E", $"ActorQm object {profile} not found: no {AuthorityObjectTypes.Format(objType)} authority record for {EntityTypeText(entityType)}({entity}).", cmd.Find("PROFILE")?.Position ?? cmd.Position);
        return new MqscOutcome(true, ["AMQ8863I: ActorQm authority record deleted."], [new ObjectDeleted(existing)]);
    }

    private static string EntityTypeText(EntityType type) => type == EntityType.Principal ? "PRINCIPAL" : "GROUP";

    /// <summary>PROFILE, OBJTYPE and exactly one of PRINCIPAL or GROUP, each checked; any other keyword but <paramref name="more"/> and SERVCOMP is refused.</summary>
    private (string Profile, AuthorityObjectType Type, EntityType EntityType, string Entity) AuthRecTarget(MqscCommand cmd, params string[] more)
    {
        if (cmd.ObjectName is { } stray)
        {
            throw Syntax("name the profile with PROFILE(...), not AUTHREC(...).", stray.Position);
        }

        var typeKw = cmd.Find("OBJTYPE") ?? throw Syntax("OBJTYPE is required.", cmd.Position);
        var objType = ObjectTypeOf(typeKw);
        var profile = ProfileOf(cmd) ?? (objType == AuthorityObjectType.QMgr ? catalog.QMgrName : throw Syntax("PROFILE is required unless OBJTYPE(QMGR).", cmd.Position));
        var (entityType, entity) = EntityOf(cmd) ?? throw Syntax("give exactly one of PRINCIPAL or GROUP.", cmd.Position);
        RefuseOtherKeywords(cmd, ["PROFILE", "OBJTYPE", "PRINCIPAL", "GROUP", "SERVCOMP", .. more]);
        return (profile, objType, entityType, entity);
    }

    private static AuthorityObjectType ObjectTypeOf(MqscKeyword typeKw) =>
        AuthorityObjectTypes.Parse(SingleValue(typeKw).Text)
            ?? throw Syntax($"OBJTYPE({SingleValue(typeKw).Text}) is not one of {string.Join(", ", MqscSchema.AuthRec.Find("OBJTYPE")!.Choices!)}.", typeKw.Position);

    /// <summary>The PROFILE given, checked as a profile (generic or not), or null when none is.</summary>
    private static string? ProfileOf(MqscCommand cmd)
    {
        if (cmd.Find("PROFILE") is not { } profileKw)
        {
            return null;
        }

        var profile = SingleValue(profileKw).Text;
        return ProfilePattern.Validate(profile) is { } why
            ? throw new MqscException("AMQ8405E", $"Value for PROFILE not valid: {why}.", SingleValue(profileKw).Position)
            : profile;
    }

    /// <summary>The PRINCIPAL or GROUP given (both at once is refused), or null when neither is.</summary>
    private static (EntityType Type, string Name)? EntityOf(MqscCommand cmd)
    {
        var principal = cmd.Find("PRINCIPAL");
        var group = cmd.Find("GROUP");
        if (principal is not null && group is not null)
        {
            throw Syntax("give exactly one of PRINCIPAL or GROUP.", group.Position);
        }

        if ((principal ?? group) is not { } entityKw)
        {
            return null;
        }

        var entity = SingleValue(entityKw).Text;
        return entity.Length is 0 or > 64
            ? throw new MqscException("AMQ8405E", $"Value for {entityKw.Name} not valid: a principal or group is 1 to 64 characters.", entityKw.Position)
            : (principal is not null ? EntityType.Principal : EntityType.Group, entity);
    }

    private static void RefuseOtherKeywords(MqscCommand cmd, string[] allowed)
    {
        if (cmd.ObjectName is { } stray)
        {
            throw Syntax($"{cmd.ObjectType}(...) takes no name here; use the keywords.", stray.Position);
        }

        if (cmd.Keywords.FirstOrDefault(k => !allowed.Contains(k.Name)) is { } kw)
        {
            throw Syntax($"Keyword {kw.Name} is not valid for {cmd.Verb} {cmd.ObjectType}.", kw.Position);
        }
    }

    /// <summary>The authorities an AUTHADD or AUTHRMV list names; ALL, ALLADM and ALLMQI mean what of them is valid on the object type.</summary>
    private static AuthorityKind? AuthorityList(MqscCommand cmd, string keyword, AuthorityKind validOn)
    {
        if (cmd.Find(keyword) is not { } kw)
        {
            return null;
        }

        if (kw.Values.Count == 0)
        {
            throw Syntax($"{keyword} needs at least one authority.", kw.Position);
        }

        var kinds = AuthorityKind.None;
        foreach (var value in kw.Values)
        {
            var kind = AuthorityKeywords.Parse(value.Text) ?? throw new MqscException("AMQ8405E", $"Value for {keyword} not valid: '{value.Text}' is not an authority.", value.Position);
            var group = value.Text.ToUpperInvariant() is "ALL" or "ALLADM" or "ALLMQI";
            if (!group && (kind & ~validOn) != AuthorityKind.None)
            {
                throw new MqscException("AMQ8079E", $"Authority {value.Text.ToUpperInvariant()} is not valid for this object type.", value.Position);
            }

            kinds |= kind & validOn;
        }

        return kinds;
    }

    private static MqscValue SingleValue(MqscKeyword kw) =>
        kw.Values.Count == 1 ? kw.Values[0] : throw Syntax($"Keyword {kw.Name} takes one value.", kw.Position);
}
