using ActorQm.Authority;
using ActorQm.Channels;
using ActorQm.Protocol;
using ActorQm.QueueClusters;

namespace ActorQm.Mqsc;

/// <summary>
/// What MQSC reads of a running queue manager beyond its catalog: queue and channel status for DISPLAY, DELETE and CLEAR,
/// the queue managers it can see, and who a principal is (its groups) for authority records. The queue manager implements
/// it over its own state; <see cref="MqscRuntime.Stopped"/> is a queue manager that is not running.
/// </summary>
public interface IMqscRuntime
{
    /// <summary>Depth and uncommitted messages of a local queue; null when it has no queue actor (not running).</summary>
    QueueStatus? QueueStatus(string queue);

    /// <summary>The channels DISPLAY CHSTATUS shows: this queue manager's and, in a cluster, other nodes'.</summary>
    IReadOnlyList<ChannelStatus> ChannelStatus();

    /// <summary>Attributes of DISPLAY QMSTATUS beyond its name and status.</summary>
    IReadOnlyList<MqscAttribute> QueueManagerStatus();

    /// <summary>Other running queue managers this one can see (same process or other cluster nodes), with their node.</summary>
    IReadOnlyList<(string QMgr, string Node)> OtherQueueManagers();

    /// <summary>The members of MQ clusters this queue manager knows (DISPLAY CLUSQMGR, QCLUSTER).</summary>
    IReadOnlyList<ClusterQMgrStatus> ClusterQueueManagers();

    /// <summary>A principal with the groups it belongs to (security.groups).</summary>
    Principal PrincipalFor(string name);

    /// <summary>
    /// REFRESH SECURITY TYPE(SSL): reads the HOCON tls settings again where they came from, to apply with the refresh;
    /// null when they could be read (or there is nothing to read), else why not (the settings in use then stay).
    /// </summary>
    string? ReadTlsSettings();
}

/// <summary>Runtimes for MQSC without a running queue manager.</summary>
public static class MqscRuntime
{
    /// <summary>A queue manager that is not running: no status, no other queue managers, principals in no group.</summary>
    public static IMqscRuntime Stopped { get; } = new StoppedRuntime();

    private sealed class StoppedRuntime : IMqscRuntime
    {
        public QueueStatus? QueueStatus(string queue) => null;

        public IReadOnlyList<ChannelStatus> ChannelStatus() => [];

        public IReadOnlyList<MqscAttribute> QueueManagerStatus() => [];

        public IReadOnlyList<(string QMgr, string Node)> OtherQueueManagers() => [];

        public IReadOnlyList<ClusterQMgrStatus> ClusterQueueManagers() => [];

        public Principal PrincipalFor(string name) => Principal.User(name, new HashSet<string>(StringComparer.Ordinal));

        public string? ReadTlsSettings() => null;
    }
}
