using ActorQm.Messages;
using ActorQm.Objects;

namespace ActorQm.QueueManagers;

/// <summary>Where a name resolves to: a local queue, and for remote destinations the XQH names.</summary>
internal sealed record Resolution(MqObject LocalQueue, string? RemoteQName, string? RemoteQMgrName, MqObject FirstDefinition);

/// <summary>
/// MQ name resolution over a catalog: local queues, aliases, remote queue definitions, queue
/// manager aliases (QREMOTE with blank RNAME), transmission queues named like the remote queue
/// manager, then the MQ clusters this queue manager belongs to, then DEFXMITQ.
/// </summary>
internal static class NameResolver
{
    /// <param name="cluster">Routes to cluster queues and queue managers; a queue defined here is always used first (CLWLUSEQ(LOCAL)).</param>
    public static (Resolution? Resolution, MqReason Reason, string Detail) ResolveForPut(ObjectCatalog catalog, string queueName, string? qmgrName, IClusterRoutes? cluster = null)
    {
        if (!string.IsNullOrWhiteSpace(qmgrName) && qmgrName != catalog.QMgrName)
        {
            return ResolveQMgr(catalog, queueName, qmgrName, first: null, cluster);
        }

        var obj = catalog.FindQueue(queueName);
        if (obj is null)
        {
            return cluster?.ForQueue(queueName) is { } route
                ? UseXmitQ(catalog, route.XmitQ, queueName, route.QMgr, null)
                : Fail(MqReason.UnknownObjectName, $"Queue {queueName} is not defined on {catalog.QMgrName}.");
        }

        switch (obj.Type)
        {
            case "QLOCAL":
                return (new Resolution(obj, null, null, obj), MqReason.None, string.Empty);
            case "QALIAS":
                var target = catalog.FindQueue(obj.AliasTarget());
                if (target is null)
                {
                    return Fail(MqReason.UnknownAliasBaseQ, $"Alias {queueName} targets {obj.AliasTarget()}, which is not defined.");
                }

                if (target.Type == "QALIAS")
                {
                    return Fail(MqReason.AliasBaseQTypeError, $"Alias {queueName} targets another alias ({target.Name}).");
                }

                return target.Type == "QLOCAL"
                    ? (new Resolution(target, null, null, obj), MqReason.None, string.Empty)
                    : ResolveRemoteDefinition(catalog, target, obj);
            default:
                return ResolveRemoteDefinition(catalog, obj, obj);
        }
    }

    /// <summary>For MQGET and browse: only a local queue, directly or through an alias.</summary>
    public static (MqObject? Queue, MqObject? Alias, MqReason Reason, string Detail) ResolveForGet(ObjectCatalog catalog, string queueName)
    {
        var obj = catalog.FindQueue(queueName);
        if (obj is null)
        {
            return (null, null, MqReason.UnknownObjectName, $"Queue {queueName} is not defined on {catalog.QMgrName}.");
        }

        if (obj.Type == "QALIAS")
        {
            var target = catalog.FindQueue(obj.AliasTarget());
            return target switch
            {
                null => (null, null, MqReason.UnknownAliasBaseQ, $"Alias {queueName} targets {obj.AliasTarget()}, which is not defined."),
                { Type: "QLOCAL" } => (target, obj, MqReason.None, string.Empty),
                _ => (null, null, MqReason.AliasBaseQTypeError, $"Alias {queueName} targets {target.Type} {target.Name}; only a local queue can be read."),
            };
        }

        return obj.Type == "QLOCAL"
            ? (obj, null, MqReason.None, string.Empty)
            : (null, null, MqReason.OptionNotValidForType, $"{queueName} is a {obj.Type}; only a local queue can be read.");
    }

    private static (Resolution?, MqReason, string) ResolveRemoteDefinition(ObjectCatalog catalog, MqObject remote, MqObject first)
    {
        var view = remote.AsRemoteQueue();
        var rname = view.RemoteName;
        if (rname.Length == 0)
        {
            return Fail(MqReason.UnknownObjectName, $"{remote.Name} is a queue manager alias, not a queue.");
        }

        var rqm = view.RemoteQMgr;
        if (rqm.Length == 0 || rqm == catalog.QMgrName)
        {
            var local = catalog.FindQueue(rname);
            return local is { Type: "QLOCAL" }
                ? (new Resolution(local, null, null, first), MqReason.None, string.Empty)
                : Fail(MqReason.UnknownObjectName, $"{remote.Name} points to {rname} on this queue manager, which is not a local queue.");
        }

        var xmitq = view.XmitQ;
        return xmitq.Length > 0
            ? UseXmitQ(catalog, xmitq, rname, rqm, first)
            : ResolveQMgr(catalog, rname, rqm, first);
    }

    private static (Resolution?, MqReason, string) ResolveQMgr(ObjectCatalog catalog, string queueName, string qmgrName, MqObject? first, IClusterRoutes? cluster = null)
    {
        var alias = catalog.FindQueue(qmgrName);
        if (alias is { Type: "QREMOTE" } && alias.AsRemoteQueue() is { RemoteName.Length: 0 } qmgrAlias)
        {
            var target = qmgrAlias.RemoteQMgr.Length > 0 ? qmgrAlias.RemoteQMgr : qmgrName;
            if (target == catalog.QMgrName)
            {
                var local = catalog.FindQueue(queueName);
                return local is { Type: "QLOCAL" }
                    ? (new Resolution(local, null, null, first ?? local), MqReason.None, string.Empty)
                    : Fail(MqReason.UnknownObjectName, $"Queue manager alias {qmgrName} resolves here, but {queueName} is not a local queue.");
            }

            if (qmgrAlias.XmitQ.Length > 0)
            {
                return UseXmitQ(catalog, qmgrAlias.XmitQ, queueName, target, first ?? alias);
            }

            qmgrName = target;
            first ??= alias;
        }

        var named = catalog.FindQueue(qmgrName);
        if (named.IsTransmissionQueue())
        {
            return UseXmitQ(catalog, qmgrName, queueName, qmgrName, first ?? named);
        }

        if (cluster?.ForQMgr(qmgrName) is { } route)
        {
            return UseXmitQ(catalog, route.XmitQ, queueName, route.QMgr, first);
        }

        var defXmitQ = catalog.QMgr.AsQMgr().DefaultTransmissionQueue;
        return defXmitQ.Length > 0
            ? UseXmitQ(catalog, defXmitQ, queueName, qmgrName, first)
            : Fail(MqReason.UnknownRemoteQMgr, $"No transmission queue, queue manager alias or DEFXMITQ leads to queue manager {qmgrName}.");
    }

    private static (Resolution?, MqReason, string) UseXmitQ(ObjectCatalog catalog, string xmitq, string remoteQ, string remoteQMgr, MqObject? first)
    {
        var xq = catalog.FindQueue(xmitq);
        if (xq is null)
        {
            return Fail(MqReason.UnknownXmitQ, $"Transmission queue {xmitq} is not defined.");
        }

        if (xq.Type != "QLOCAL")
        {
            return Fail(MqReason.XmitQTypeError, $"Transmission queue {xmitq} is a {xq.Type}, not a local queue.");
        }

        if (!xq.IsTransmissionQueue())
        {
            return Fail(MqReason.XmitQUsageError, $"Queue {xmitq} is not USAGE(XMITQ).");
        }

        return (new Resolution(xq, remoteQ, remoteQMgr, first ?? xq), MqReason.None, string.Empty);
    }

    private static (Resolution?, MqReason, string) Fail(MqReason reason, string detail) => (null, reason, detail);
}
