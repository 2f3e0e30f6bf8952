using ActorQm.Authority;
using ActorQm.Objects;

namespace ActorQm.Mqsc;

/// <summary>
/// The authority an MQSC command needs when a client runs it over the admin channel (docs/security.md,
/// "Remote administration"): DISPLAY → DSP on the object, ALTER → CHG, DEFINE → CRT on the queue
/// manager (and CHG on an object it replaces), DELETE → DLT, CLEAR → CLR, START/STOP → CTRL,
/// RESET/RESOLVE → CTRLX; SET CHLAUTH, SET/DELETE AUTHREC, REFRESH SECURITY and REVOKE CERT → SYSTEM
/// on the queue manager. A generic DISPLAY needs DSP on every object it would show. Local administration
/// (the start-up script, offline <c>actorqm mqsc</c>, in-process) runs with the queue manager's authority.
/// </summary>
internal static class MqscAuthority
{
    /// <summary>Why <paramref name="principal"/> may not run <paramref name="cmd"/>, or null when it may.</summary>
    public static string? Refusal(MqscCommand cmd, ObjectCatalog catalog, Principal principal)
    {
        foreach (var (type, name, needed) in Needs(cmd, catalog))
        {
            var missing = catalog.Authority.Missing(principal, type, name, needed);
            if (missing != AuthorityKind.None)
            {
                return $"entity '{principal.Name}' lacks {string.Join(",", AuthorityKeywords.Format(missing))} on {AuthorityObjectTypes.Format(type).ToLowerInvariant()} {name} for {cmd.Verb} {cmd.ObjectType}";
            }
        }

        return null;
    }

    private static IEnumerable<(AuthorityObjectType Type, string Name, AuthorityKind Needed)> Needs(MqscCommand cmd, ObjectCatalog catalog)
    {
        var qmgr = catalog.QMgrName;
        var name = cmd.ObjectName?.Text;
        var (type, ns) = cmd.ObjectType switch
        {
            "QLOCAL" or "QREMOTE" or "QALIAS" or "QUEUE" or "QSTATUS" or "QCLUSTER" => (AuthorityObjectType.Queue, "QUEUE"),
            "CHANNEL" or "CHSTATUS" => (AuthorityObjectType.Channel, "CHANNEL"),
            "AUTHINFO" => (AuthorityObjectType.AuthInfo, "AUTHINFO"),
            "NAMELIST" => (AuthorityObjectType.Namelist, "NAMELIST"),
            "LISTENER" => (AuthorityObjectType.Listener, "LISTENER"),
            _ => (AuthorityObjectType.QMgr, (string?)null),
        };
        var onObject = ns is null || name is null ? (AuthorityObjectType.QMgr, qmgr) : (type, name);
        switch (cmd.Verb, cmd.ObjectType)
        {
            case ("SET", _) or ("REFRESH", _) or ("REVOKE", _) or ("DELETE", "AUTHREC"):
                yield return (AuthorityObjectType.QMgr, qmgr, AuthorityKind.System);
                break;
            case ("DISPLAY", _) when ns is null || name is null:
                yield return (AuthorityObjectType.QMgr, qmgr, AuthorityKind.Dsp);
                break;
            case ("DISPLAY", _) when name.EndsWith('*'):
                // A generic DISPLAY shows nothing the principal may not display: it needs DSP on each object it matches.
                foreach (var o in catalog.All(ns).Where(o => MqscDisplay.Matches(name, o.Name)))
                {
                    yield return (type, o.Name, AuthorityKind.Dsp);
                }

                break;
            case ("DISPLAY", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.Dsp);
                break;
            case ("DEFINE", _):
                yield return (AuthorityObjectType.QMgr, qmgr, AuthorityKind.Crt);
                if (name is not null && ns is not null && catalog.Find(ns, name) is not null)
                {
                    yield return (type, name, AuthorityKind.Chg);
                }

                break;
            case ("ALTER", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.Chg);
                break;
            case ("DELETE", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.Dlt);
                break;
            case ("CLEAR", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.Clr);
                break;
            case ("START", _) or ("STOP", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.Ctrl);
                break;
            case ("RESET", _) or ("RESOLVE", _):
                yield return (onObject.Item1, onObject.Item2, AuthorityKind.CtrlX);
                break;
            default:
                // A command not listed here is refused to remote callers rather than run unchecked.
                yield return (AuthorityObjectType.QMgr, qmgr, AuthorityKind.System);
                break;
        }
    }
}
