using ActorQm.Authority;
using ActorQm.Objects;
using ActorQm.Protocol;

namespace ActorQm.Mqsc;

/// <summary>
/// What the authority records say: DISPLAY AUTHREC, DISPLAY ENTAUTH and REFRESH SECURITY
/// (docs/security.md, "Authority records" and "Groups").
/// </summary>
public sealed partial class MqscExecutor
{
    /// <summary>
    /// DISPLAY AUTHREC [PROFILE] [OBJTYPE] [PRINCIPAL|GROUP] [MATCH(PROFILE|MEMBERSHIP|EXACT)] [ALL|AUTHLIST|ENTITY|ENTTYPE].
    /// MATCH(PROFILE), the default, shows the records whose profile matches the name given, generic ones
    /// included; EXACT only the record with that literal profile; MEMBERSHIP also the records of the
    /// principal's groups. No filter shows every record.
    /// </summary>
    private MqscOutcome DisplayAuthRec(MqscCommand cmd)
    {
        RefuseOtherKeywords(cmd, ["PROFILE", "OBJTYPE", "PRINCIPAL", "GROUP", "MATCH", "SERVCOMP", "ALL", "AUTHLIST", "ENTITY", "ENTTYPE"]);
        var matchKw = cmd.Find("MATCH");
        var match = matchKw is null ? "PROFILE" : SingleValue(matchKw).Text.ToUpperInvariant();
        if (match is not ("PROFILE" or "MEMBERSHIP" or "EXACT"))
        {
            throw Syntax($"MATCH({match}) is not one of PROFILE, MEMBERSHIP, EXACT.", matchKw!.Position);
        }

        var profile = ProfileOf(cmd);
        var objType = cmd.Find("OBJTYPE") is { } typeKw ? AuthorityObjectTypes.Format(ObjectTypeOf(typeKw)) : null;
        var entity = EntityOf(cmd);
        if (match == "MEMBERSHIP" && entity is null)
        {
            throw Syntax("MATCH(MEMBERSHIP) needs PRINCIPAL(...) or GROUP(...).", matchKw!.Position);
        }

        // The entities whose records count: the one named, and for MEMBERSHIP a principal's groups too.
        HashSet<(string, string)>? entities = null;
        if (entity is { } e)
        {
            entities = [(EntityTypeText(e.Type), e.Name)];
            if (match == "MEMBERSHIP" && e.Type == EntityType.Principal)
            {
                entities.UnionWith(PrincipalFor(e.Name).Groups.Select(g => ("GROUP", g)));
            }
        }

        var records = catalog.All("AUTHREC")
            .Where(r => objType is null || r.Text("OBJTYPE") == objType)
            .Where(r => entities is null || entities.Contains((r.Text("ENTTYPE"), r.Text("ENTITY"))))
            .Where(r => profile is null || r.Name == profile || (match != "EXACT" && ProfilePattern.Parse(r.Name).Matches(profile)))
            .ToList();
        if (records.Count == 0)
        {
            return MqscOutcome.Failed(new MqscException("AMQ8147E", $"ActorQm object {profile ?? "*"} not found: no authority record matches.", cmd.Find("PROFILE")?.Position ?? cmd.Position));
        }

        // As runmqsc: every field unless some are asked for; PROFILE and OBJTYPE always.
        var asked = cmd.Keywords.Where(k => !k.HasParentheses).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        bool Show(string field) => asked.Count == 0 || asked.Contains("ALL") || asked.Contains(field);
        return MqscOutcome.Display(records.Select(r => new MqscObject("AMQ8864I: Display authority record details.",
        [
            new("PROFILE", r.Name),
            .. Show("ENTITY") ? new MqscAttribute[] { new("ENTITY", r.Text("ENTITY")) } : [],
            .. Show("ENTTYPE") ? new MqscAttribute[] { new("ENTTYPE", r.Text("ENTTYPE")) } : [],
            new("OBJTYPE", r.Text("OBJTYPE")),
            .. Show("AUTHLIST") ? new MqscAttribute[] { new("AUTHLIST", string.Join(",", r.List("AUTHLIST"))) } : [],
        ])).ToList());
    }

    /// <summary>
    /// DISPLAY ENTAUTH PRINCIPAL|GROUP OBJNAME OBJTYPE: what the entity may do on one object, as a check
    /// decides it (for a principal, its own best record added to each of its groups' best records).
    /// </summary>
    private MqscOutcome DisplayEntAuth(MqscCommand cmd)
    {
        RefuseOtherKeywords(cmd, ["PRINCIPAL", "GROUP", "OBJNAME", "OBJTYPE", "SERVCOMP", "ALL", "AUTHLIST"]);
        var typeKw = cmd.Find("OBJTYPE") ?? throw Syntax("OBJTYPE is required.", cmd.Position);
        var objType = ObjectTypeOf(typeKw);
        var (entityType, entity) = EntityOf(cmd) ?? throw Syntax("give exactly one of PRINCIPAL or GROUP.", cmd.Position);
        string objName;
        if (cmd.Find("OBJNAME") is { } nameKw)
        {
            objName = SingleValue(nameKw).Text;
            if (objName.Length is 0 or > ProfilePattern.MaxLength || objName.AsSpan().IndexOfAny('*', '?') >= 0)
            {
                throw new MqscException("AMQ8405E", $"Value for OBJNAME not valid: '{objName}' is not an object name (1-{ProfilePattern.MaxLength} characters, not generic).", SingleValue(nameKw).Position);
            }
        }
        else
        {
            objName = objType == AuthorityObjectType.QMgr ? catalog.QMgrName : throw Syntax("OBJNAME is required unless OBJTYPE(QMGR).", cmd.Position);
        }

        var records = catalog.Authority;
        var granted = entityType == EntityType.Principal
            ? records.Effective(PrincipalFor(entity), objType, objName)
            : entity == Principal.AdministratorsGroup
                ? AuthorityKind.All | AuthorityKind.Crt
                : records.Best(objType, EntityType.Group, entity, objName)?.Authorities ?? AuthorityKind.None;
        return MqscOutcome.Display([new MqscObject("AMQ8866I: Display entity authority details.",
        [
            new("ENTITY", entity), new("ENTTYPE", EntityTypeText(entityType)), new("OBJNAME", objName), new("OBJTYPE", AuthorityObjectTypes.Format(objType)),
            new("AUTHLIST", string.Join(",", AuthorityKeywords.Format(granted & AuthorityObjectTypes.ValidOn(objType)))),
        ])]);
    }

    private Principal PrincipalFor(string name) => runtime.PrincipalFor(name);

    /// <summary>
    /// REFRESH SECURITY [TYPE(AUTHSERV|SSL)]. AUTHSERV (also when TYPE is left out, as in MQ) has nothing to
    /// drop: authority records apply as soon as they are set and group membership is read from HOCON at start,
    /// so it only answers as MQ does. SSL reloads the key repository, the HOCON tls settings (MQ's SSL stanza) and empties
    /// the revocation caches; settings that cannot be read fail the command (AMQ9710E) and nothing changes.
    /// </summary>
    private MqscOutcome RefreshSecurity(MqscCommand cmd)
    {
        var typeKw = cmd.Find("TYPE");
        var type = typeKw is null ? "AUTHSERV" : SingleValue(typeKw).Text.ToUpperInvariant();
        if (type is not ("AUTHSERV" or "SSL"))
        {
            throw Syntax($"REFRESH SECURITY takes TYPE(AUTHSERV) or TYPE(SSL), not TYPE({type}) (the other types have no meaning in ActorQm).", typeKw!.Position);
        }

        RefuseOtherKeywords(cmd, ["TYPE"]);
        if (type == "SSL" && runtime.ReadTlsSettings() is { } error)
        {
            return new MqscOutcome(false, [$"AMQ9710E: REFRESH SECURITY TYPE(SSL) failed: {error}; the TLS settings and material in use stay."], []);
        }

        return new MqscOutcome(true, ["AMQ8560I: ActorQm security cache refreshed."], type == "SSL" ? [new SslSecurityRefreshed()] : []);
    }
}
