using System.Collections.Immutable;

namespace ActorQm.Objects;

/// <summary>A change MQSC made to the catalog, for the queue manager to act on and journal.</summary>
public abstract record CatalogChange;

public sealed record ObjectDefined(MqObject Object, MqObject? Previous) : CatalogChange;

public sealed record ObjectDeleted(MqObject Object) : CatalogChange;

/// <summary>CLEAR QLOCAL, or DELETE QLOCAL ... PURGE: the queue's messages go.</summary>
public sealed record QueueCleared(string Name) : CatalogChange;

/// <summary>REFRESH SECURITY TYPE(SSL): reload the key repository and revocation sources, empty the caches.</summary>
public sealed record SslSecurityRefreshed : CatalogChange;

/// <summary>START, STOP, RESET or RESOLVE CHANNEL: a runtime action for the channel initiator; the catalog does not change.</summary>
public sealed record ChannelActionRequested(string Verb, MqObject Channel, long SeqNum = 1, bool Commit = false) : CatalogChange;

/// <summary>REVOKE CERT(serial) ISSUER(dn): beyond MQ, the certificate joins the system's (and the cluster's) revocation list.</summary>
public sealed record CertificateRevocationRequested(string Issuer, string Serial) : CatalogChange;

/// <summary>START or STOP LISTENER.</summary>
public sealed record ListenerActionRequested(string Verb, MqObject Listener) : CatalogChange;

/// <summary>REFRESH CLUSTER: forget and learn again what is known of the cluster's other members (<c>*</c>: every cluster).</summary>
public sealed record ClusterRefreshRequested(string Cluster) : CatalogChange;

/// <summary>
/// Every object a queue manager owns, by namespace and name. Only the queue manager actor touches
/// it, and only through <see cref="Apply"/>, so a command that fails validation changes nothing.
/// </summary>
public sealed class ObjectCatalog
{
    private readonly Dictionary<string, SortedDictionary<string, MqObject>> _byNamespace = new(StringComparer.Ordinal);

    /// <param name="qmgrDefaults">Attributes the queue manager object starts with where HOCON overrides MQ's defaults.</param>
    public ObjectCatalog(string qmgrName, IReadOnlyDictionary<string, object>? qmgrDefaults = null)
    {
        QMgr = new MqObject("QMGR", qmgrName, Defaults(MqscSchema.QMgr, null, qmgrDefaults));
    }

    public MqObject QMgr { get; private set; }

    public string QMgrName => QMgr.Name;

    public MqObject? Find(string ns, string key) =>
        _byNamespace.TryGetValue(ns, out var objects) && objects.TryGetValue(key, out var o) ? o : null;

    public MqObject? FindQueue(string name) => Find("QUEUE", name);

    private Authority.AuthorityRecords? _authority;

    /// <summary>The authority records now, as one snapshot rebuilt only after an AUTHREC change.</summary>
    public Authority.AuthorityRecords Authority => _authority ??= AuthorityDefinitions.From(All("AUTHREC"));

    public IEnumerable<MqObject> All(string ns) =>
        _byNamespace.TryGetValue(ns, out var objects) ? objects.Values : [];

    public void Apply(CatalogChange change)
    {
        switch (change)
        {
            case ObjectDefined { Object.Type: "QMGR" } d:
                QMgr = d.Object;
                break;
            case ObjectDefined d:
                Namespace(d.Object.Schema.Namespace)[d.Object.Key] = d.Object;
                ForgetAuthority(d.Object);
                break;
            case ObjectDeleted d:
                Namespace(d.Object.Schema.Namespace).Remove(d.Object.Key);
                ForgetAuthority(d.Object);
                break;
        }
    }

    private void ForgetAuthority(MqObject changed)
    {
        if (changed.Type == "AUTHREC")
        {
            _authority = null;
        }
    }

    private SortedDictionary<string, MqObject> Namespace(string ns)
    {
        if (!_byNamespace.TryGetValue(ns, out var objects))
        {
            _byNamespace[ns] = objects = new SortedDictionary<string, MqObject>(StringComparer.Ordinal);
        }

        return objects;
    }

    /// <summary>Default attributes of a new object; channel attributes only where valid for its type.</summary>
    internal static ImmutableSortedDictionary<string, object> Defaults(ObjectSchema schema, string? channelType, IReadOnlyDictionary<string, object>? overrides)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, object>(StringComparer.Ordinal);
        foreach (var spec in schema.Attributes)
        {
            if (spec.ValidFor(channelType))
            {
                builder[spec.Name] = overrides is not null && overrides.TryGetValue(spec.Name, out var o) ? o : spec.Default;
            }
        }

        return builder.ToImmutable();
    }
}
