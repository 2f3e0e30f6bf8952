using ActorQm.Authority;
using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Objects;
using static ActorQm.Mqi.QueueManagerApi;

namespace ActorQm.QueueManagers;

/// <summary>
/// MQOPEN's authority check (docs/security.md, "Enforcement"), made once per handle as MQ does: the
/// object checked is the first definition met in name resolution (an alias, a remote queue
/// definition or the local queue the name names); a name routed to another queue manager, to a
/// cluster queue or by DEFXMITQ is checked on the transmission queue it goes to. Each MQOO option
/// needs its own authority: OUTPUT PUT, INPUT_* and SAVE_ALL_CONTEXT GET, BROWSE BROWSE, INQUIRE INQ,
/// SET SET, and the context options PASSID, PASSALL, SETID and SETALL (the two SET ones on the queue
/// manager too). With ALTERNATE_USER_AUTHORITY the opener needs ALTUSR on the queue manager and the
/// object is checked for the alternate user, while the context options stay the opener's, as in MQ.
/// Opening a transmission queue by its own name for output needs SETALL as well, since what is put
/// there carries an MQXQH with its origin.
/// </summary>
internal static class QueueAuthority
{
    /// <returns>Null when allowed, or the AMQ8077W text of the refusal.</returns>
    public static string? Check(ObjectCatalog catalog, Principal principal, OpenQueue open, QueueHandle handle, Func<string, Principal> principalFor)
    {
        var records = catalog.Authority;
        var options = open.Options;
        var local = string.IsNullOrWhiteSpace(open.QMgrName) || open.QMgrName == catalog.QMgrName;
        var named = local ? catalog.FindQueue(open.QueueName) : null;
        var checkedName = named?.Name ?? handle.ResolvedQueueName;

        var onObject = Needed(options, (MqOpenOptions.Output, AuthorityKind.Put), (MqOpenOptions.Input | MqOpenOptions.SaveAllContext, AuthorityKind.Get),
            (MqOpenOptions.Browse, AuthorityKind.Browse), (MqOpenOptions.Inquire, AuthorityKind.Inq), (MqOpenOptions.Set, AuthorityKind.Set));
        var context = Needed(options, (MqOpenOptions.PassIdentityContext, AuthorityKind.PassId), (MqOpenOptions.PassAllContext, AuthorityKind.PassAll),
            (MqOpenOptions.SetIdentityContext, AuthorityKind.SetId), (MqOpenOptions.SetAllContext, AuthorityKind.SetAll));
        // By its own name, or through an alias or a queue-manager alias that lands on it unwrapped: what is put carries its own MQXQH.
        if (options.HasFlag(MqOpenOptions.Output) && (named.IsTransmissionQueue() || (handle.RemoteQName is null && catalog.FindQueue(handle.ResolvedQueueName).IsTransmissionQueue())))
        {
            context |= AuthorityKind.SetAll;
        }

        var contextOnQMgr = context & (AuthorityKind.SetId | AuthorityKind.SetAll);
        if (options.HasFlag(MqOpenOptions.AlternateUserAuthority))
        {
            contextOnQMgr |= AuthorityKind.AltUsr;
        }

        // The opener: context authorities (and ALTUSR); the object's own authorities too unless an alternate user takes them.
        var alternate = options.HasFlag(MqOpenOptions.AlternateUserAuthority) ? principalFor(open.AlternateUserId.Length > 0 ? open.AlternateUserId : "nobody") : null;
        var openerOnQueue = alternate is null ? onObject | context : context;
        if (Refusal(records, catalog, principal, checkedName, openerOnQueue, contextOnQMgr) is { } refused)
        {
            return refused;
        }

        if (alternate is { Privileged: true } && open.AlternateUserFromPartner)
        {
            return $"AMQ8077W: entity '{alternate.Name}' has insufficient authority to access object {checkedName}: a message from a partner queue manager names an administrator as its user, which PUTAUT(CTX) does not honour (MQRC 2035)";
        }

        return alternate is null ? null : Refusal(records, catalog, alternate, checkedName, onObject, AuthorityKind.None);
    }

    private static AuthorityKind Needed(MqOpenOptions options, params (MqOpenOptions Option, AuthorityKind Authority)[] table) =>
        table.Where(t => (options & t.Option) != 0).Aggregate(AuthorityKind.None, (all, t) => all | t.Authority);

    private static string? Refusal(AuthorityRecords records, ObjectCatalog catalog, Principal entity, string queue, AuthorityKind onQueue, AuthorityKind onQMgr)
    {
        if (entity.Privileged || (onQueue | onQMgr) == AuthorityKind.None)
        {
            return null;
        }

        var missing = onQueue & ~records.Effective(entity, AuthorityObjectType.Queue, queue);
        var missingOnQMgr = onQMgr == AuthorityKind.None ? AuthorityKind.None : onQMgr & ~records.Effective(entity, AuthorityObjectType.QMgr, catalog.QMgrName);
        if (missing == AuthorityKind.None && missingOnQMgr == AuthorityKind.None)
        {
            return null;
        }

        var what = string.Join(", ", [
            .. missing != AuthorityKind.None ? new[] { $"{string.Join(",", AuthorityKeywords.Format(missing))} on queue {queue}" } : [],
            .. missingOnQMgr != AuthorityKind.None ? new[] { $"{string.Join(",", AuthorityKeywords.Format(missingOnQMgr))} on queue manager {catalog.QMgrName}" } : []]);
        return $"AMQ8077W: entity '{entity.Name}' has insufficient authority to access object {queue}: missing {what} (MQRC 2035)";
    }
}
