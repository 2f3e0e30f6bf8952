using System.Collections.Immutable;
using ActorQm.Authority;
using ActorQm.Objects;

namespace ActorQm.Mqsc;

/// <summary>Authority records: SET AUTHREC (docs/security.md, "Authority records").</summary>
public sealed partial class MqscExecutor
{
    private MqscOutcome SetAuthRec(MqscCommand cmd)
    {
        var (profile, objType, entityType, entity) = AuthRecTarget(cmd);
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
        var entityTypeText = entityType == EntityType.Principal ? "PRINCIPAL" : "GROUP";
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

    /// <summary>PROFILE, OBJTYPE and exactly one of PRINCIPAL or GROUP, each checked.</summary>
    private (string Profile, AuthorityObjectType Type, EntityType EntityType, string Entity) AuthRecTarget(MqscCommand cmd)
    {
        if (cmd.ObjectName is { } stray)
        {
            throw Syntax("name the profile with PROFILE(...), not AUTHREC(...).", stray.Position);
        }

        var typeKw = cmd.Find("OBJTYPE") ?? throw Syntax("OBJTYPE is required.", cmd.Position);
        var objType = AuthorityObjectTypes.Parse(SingleValue(typeKw).Text)
            ?? throw Syntax($"OBJTYPE({SingleValue(typeKw).Text}) is not one of {string.Join(", ", MqscSchema.AuthRec.Find("OBJTYPE")!.Choices!)}.", typeKw.Position);
        var profileKw = cmd.Find("PROFILE");
        string profile;
        if (profileKw is null)
        {
            profile = objType == AuthorityObjectType.QMgr ? catalog.QMgrName : throw Syntax("PROFILE is required unless OBJTYPE(QMGR).", cmd.Position);
        }
        else
        {
            profile = SingleValue(profileKw).Text;
            if (ProfilePattern.Validate(profile) is { } why)
            {
                throw new MqscException("AMQ8405E", $"Value for PROFILE not valid: {why}.", SingleValue(profileKw).Position);
            }
        }

        var principal = cmd.Find("PRINCIPAL");
        var group = cmd.Find("GROUP");
        if ((principal is null) == (group is null))
        {
            throw Syntax("give exactly one of PRINCIPAL or GROUP.", cmd.Position);
        }

        var entityKw = (principal ?? group)!;
        var entity = SingleValue(entityKw).Text;
        if (entity.Length is 0 or > 64)
        {
            throw new MqscException("AMQ8405E", $"Value for {entityKw.Name} not valid: a principal or group is 1 to 64 characters.", entityKw.Position);
        }

        foreach (var kw in cmd.Keywords.Where(k => k.Name is not ("PROFILE" or "OBJTYPE" or "PRINCIPAL" or "GROUP" or "AUTHADD" or "AUTHRMV" or "SERVCOMP")))
        {
            throw Syntax($"Keyword {kw.Name} is not valid for {cmd.Verb} AUTHREC.", kw.Position);
        }

        return (profile, objType, principal is not null ? EntityType.Principal : EntityType.Group, entity);
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
