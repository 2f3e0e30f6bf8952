using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorQm.QueueClusters;

/// <summary>
/// One queue manager's membership of an MQ cluster as it is advertised: its cluster-receiver channel
/// (the MQSC definition, from which the other members define their cluster-sender to it) and the
/// cluster queues it hosts.
/// </summary>
public sealed record ClusterMember(string Cluster, string QMgrName, string Channel, string ChannelDefinition, IReadOnlyList<string> Queues)
{
    public bool Same(ClusterMember other) =>
        Cluster == other.Cluster && QMgrName == other.QMgrName && Channel == other.Channel && ChannelDefinition == other.ChannelDefinition && Queues.SequenceEqual(other.Queues);
}

/// <summary>One line of DISPLAY CLUSQMGR: a member of one of the queue manager's clusters and the state of its channel to it (LOCAL for itself).</summary>
public sealed record ClusterQMgrStatus(string QMgr, string Cluster, string Channel, string ConName, string Status, IReadOnlyList<string> Queues);

/// <summary>Published on the EventStream whenever the directory's content changes.</summary>
public sealed record ClusterDirectoryChanged
{
    public static readonly ClusterDirectoryChanged Instance = new();
}

/// <summary>
/// MQ clusters without full repositories: what every queue manager of this actor system advertises
/// (its CLUSRCVR channels and CLUSTER queues) and, in an Akka cluster, what the other nodes advertise
/// (replicated through Akka.DistributedData by ActorQm.Cluster). Queue managers resolve cluster queues
/// and define their cluster-sender channels from it.
/// </summary>
public sealed class ClusterDirectory : IExtension
{
    private readonly ActorSystem _system;
    private readonly ConcurrentDictionary<string, IReadOnlyList<ClusterMember>> _local = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<ClusterMember> _remote = [];

    internal ClusterDirectory(ActorSystem system) => _system = system;

    public static ClusterDirectory For(ActorSystem system) => system.WithExtension<ClusterDirectory, ClusterDirectoryId>();

    /// <summary>What this system's queue managers advertise.</summary>
    public IReadOnlyList<ClusterMember> Local => _local.Values.SelectMany(m => m).ToList();

    /// <summary>Every known member: this system's, then the other nodes' (a queue manager advertised here wins).</summary>
    public IReadOnlyList<ClusterMember> All
    {
        get
        {
            var local = Local;
            var here = local.Select(m => m.QMgrName).ToHashSet(StringComparer.Ordinal);
            return [.. local, .. _remote.Where(m => !here.Contains(m.QMgrName))];
        }
    }

    internal void Advertise(string qmgr, IReadOnlyList<ClusterMember> members)
    {
        if (_local.TryGetValue(qmgr, out var known) && Same(known, members))
        {
            return;
        }

        _local[qmgr] = members;
        _system.EventStream.Publish(ClusterDirectoryChanged.Instance);
    }

    internal void Withdraw(string qmgr)
    {
        if (_local.TryRemove(qmgr, out _))
        {
            _system.EventStream.Publish(ClusterDirectoryChanged.Instance);
        }
    }

    /// <summary>Set by the replication across nodes: what the other nodes advertise.</summary>
    public void SetRemote(IReadOnlyList<ClusterMember> remote)
    {
        if (Same(_remote, remote))
        {
            return;
        }

        _remote = remote;
        _system.EventStream.Publish(ClusterDirectoryChanged.Instance);
    }

    private static bool Same(IReadOnlyList<ClusterMember> a, IReadOnlyList<ClusterMember> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Same(p.Second));
}

internal sealed class ClusterDirectoryId : ExtensionIdProvider<ClusterDirectory>
{
    public override ClusterDirectory CreateExtension(ExtendedActorSystem system) => new(system);
}
