using ActorQm.Authority;
using ActorQm.Mqi;
using ActorQm.Objects;
using static ActorQm.Mqi.QueueManagerApi;
using static ActorQm.QueueManagers.QueueManager;

namespace ActorQm.QueueManagers;

/// <summary>
/// MQOPEN's authority check (docs/security.md, "Enforcement"), made once per handle as MQ does: the
/// object checked is the first definition met in name resolution (an alias, a remote queue
/// definition or the local queue the name names); a name routed to another queue manager, to a
/// cluster queue or by DEFXMITQ is checked on the transmission queue it goes to. Output needs PUT,
/// input GET, browse BROWSE. Opening a transmission queue by its own name for output needs SETALL on
/// it and on the queue manager too, since what is put there carries an MQXQH with its origin.
/// </summary>
internal static class QueueAuthority
{
    /// <returns>The handle with its context authority, or the AMQ8077W text of the refusal.</returns>
    public static (QueueHandle Handle, string? Refusal) Check(ObjectCatalog catalog, Principal principal, OpenQueue open, QueueHandle handle)
    {
        var records = catalog.Authority;
        var local = string.IsNullOrWhiteSpace(open.QMgrName) || open.QMgrName == catalog.QMgrName;
        var named = local ? catalog.FindQueue(open.QueueName) : null;
        var checkedName = named?.Name ?? handle.ResolvedQueueName;
        var needed = open.Purpose == OpenPurpose.Output ? AuthorityKind.Put : open.Browse ? AuthorityKind.Browse : AuthorityKind.Get;
        var onQMgr = AuthorityKind.None;
        if (open.Purpose == OpenPurpose.Output && (open.SetAllContext || named.IsTransmissionQueue()))
        {
            needed |= AuthorityKind.SetAll;
            onQMgr = AuthorityKind.SetAll;
        }

        // Each entity's best record is found once per object; what is missing and what context may be set follow from the two sets.
        var onQueue = records.Effective(principal, AuthorityObjectType.Queue, checkedName);
        var onQMgrHeld = records.Effective(principal, AuthorityObjectType.QMgr, catalog.QMgrName);
        var missing = needed & ~onQueue;
        var missingOnQMgr = onQMgr & ~onQMgrHeld;
        if (missing != AuthorityKind.None || missingOnQMgr != AuthorityKind.None)
        {
            var what = string.Join(", ", [
                .. missing != AuthorityKind.None ? new[] { $"{string.Join(",", AuthorityKeywords.Format(missing))} on queue {checkedName}" } : [],
                .. missingOnQMgr != AuthorityKind.None ? new[] { $"{string.Join(",", AuthorityKeywords.Format(missingOnQMgr))} on queue manager {catalog.QMgrName}" } : []]);
            return (handle, $"AMQ8077W: entity '{principal.Name}' has insufficient authority to access object {checkedName}: missing {what} (MQRC 2035)");
        }

        if (open.Purpose != OpenPurpose.Output)
        {
            return (handle, null);
        }

        // Context the caller may set on its puts: SETALL or SETID held on the queue and on the queue manager.
        var both = onQueue & onQMgrHeld;
        var context = both.HasFlag(AuthorityKind.SetAll) ? ContextAuthority.All : both.HasFlag(AuthorityKind.SetId) ? ContextAuthority.Identity : ContextAuthority.None;
        return (handle with { Context = context }, null);
    }
}
