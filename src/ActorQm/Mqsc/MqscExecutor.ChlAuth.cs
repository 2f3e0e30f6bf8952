using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Mqsc;

/// <summary>Channel authentication records: SET CHLAUTH (docs/tls.md, "CHLAUTH").</summary>
public sealed partial class MqscExecutor
{
    private MqscOutcome SetChlAuth(MqscCommand cmd)
    {
        var schema = MqscSchema.ChlAuth;
        var profile = RequireName(cmd, schema, maxLength: 20, allowGeneric: true);
        var action = cmd.Find("ACTION")?.Values.SingleOrDefault()?.Text ?? "ADD";
        if (action is not ("ADD" or "REPLACE" or "REMOVE" or "REMOVEALL"))
        {
            throw Syntax($"ACTION({action}) is not one of ADD, REPLACE, REMOVE, REMOVEALL.", cmd.Find("ACTION")!.Position);
        }

        var given = ReadAttributes(cmd, schema, [], ["ACTION"]);
        var type = RequireDiscriminator(cmd, schema, given)!;
        if (action == "REMOVEALL")
        {
            var all = catalog.All("CHLAUTH").Where(o => o.Name == profile && o.Text("TYPE") == type).Select(o => (CatalogChange)new ObjectDeleted(o)).ToList();
            return new MqscOutcome(true, ["AMQ8877I: ActorQm channel authentication record set."], all);
        }

        string? required = type switch
        {
            "SSLPEERMAP" => "SSLPEER",
            "ADDRESSMAP" => "ADDRESS",
            "USERMAP" => "CLNTUSER",
            "QMGRMAP" => "QMNAME",
            "BLOCKUSER" when action != "REMOVE" => "USERLIST",
            "BLOCKADDR" when action != "REMOVE" => "ADDRLIST",
            _ => null,
        };
        if (required is not null && !given.ContainsKey(required))
        {
            throw Syntax($"TYPE({type}) needs {required}.", cmd.Position);
        }

        if (type == "BLOCKADDR" && profile != "*")
        {
            throw Syntax("TYPE(BLOCKADDR) applies to CHLAUTH('*') only.", cmd.ObjectName!.Position);
        }

        ValidateTlsAttributes(cmd, given);
        ValidateAddresses(cmd, given);
        var attributes = ObjectCatalog.Defaults(schema, null, null).SetItems(given);

        if (type.EndsWith("MAP", StringComparison.Ordinal) && (string)attributes["USERSRC"] == "MAP" && ((string)attributes["MCAUSER"]).Length == 0 && action != "REMOVE")
        {
            throw Syntax("USERSRC(MAP) needs MCAUSER.", cmd.Position);
        }

        var record = new MqObject("CHLAUTH", profile, attributes);
        var existing = catalog.Find("CHLAUTH", record.Key);
        return action switch
        {
            "ADD" when existing is not null => throw new MqscException("AMQ8150E", $"A {type} record for {profile} with these values already exists; use ACTION(REPLACE).", cmd.Position),
            "REMOVE" when existing is null => throw new MqscException("AMQ8147E", $"No {type} record for {profile} with these values.", cmd.Position),
            "REMOVE" => Done("AMQ8877I: ActorQm channel authentication record set.", new ObjectDeleted(existing!)),
            _ => Done("AMQ8877I: ActorQm channel authentication record set.", new ObjectDefined(record, existing)),
        };
    }

    /// <summary>
    /// Address patterns are checked when entered: one MQ would refuse (a CIDR, 300, 5-1) matches nothing, so a
    /// BLOCKADDR or NOACCESS record holding it would block nothing while its author believes otherwise. The code
    /// is ActorQm's choice (docs/tls.md, CHLAUTH); MQ's PCF reason for it is MQRCCF_IPADDR_ERROR (3345).
    /// </summary>
    private static void ValidateAddresses(MqscCommand cmd, IReadOnlyDictionary<string, object> given)
    {
        var patterns = (given.TryGetValue("ADDRLIST", out var list) ? (string[])list : [])
            .Select(p => ("ADDRLIST", p))
            .Concat(given.TryGetValue("ADDRESS", out var one) && ((string)one).Length > 0 ? [("ADDRESS", (string)one)] : []);
        foreach (var (keyword, pattern) in patterns)
        {
            if (AddressPattern.Validate(pattern) is { } bad)
            {
                var keywordAt = cmd.Find(keyword)!;
                var at = keywordAt.Values.FirstOrDefault(v => v.Text == pattern)?.Position ?? keywordAt.Position;
                throw new MqscException("AMQ8884E",
                    $"Channel authentication record address not valid: {keyword}('{pattern}') part {bad.Part} ('{bad.Text}') at character {bad.Offset}: {bad.Reason}.", at);
            }
        }
    }
}
