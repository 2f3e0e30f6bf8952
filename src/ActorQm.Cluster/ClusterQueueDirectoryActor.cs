using System.Text.Json;
using ActorQm.QueueClusters;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;

namespace ActorQm.Cluster;

/// <summary>Props of <see cref="ClusterQueueDirectoryActor"/>.</summary>
public static class ClusterQueueDirectory
{
    public static readonly LWWDictionaryKey<string, string> Key = new("actorqm-cluster-queues");

    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterQueueDirectoryActor());
}

/// <summary>
/// MQ cluster membership across the Akka cluster, in place of MQ's full repositories: each node
/// writes what its queue managers advertise (CLUSRCVR channels, cluster queues) into a replicated
/// dictionary keyed by node, and shows every other member node's entries in its
/// <see cref="ClusterDirectory"/>. A node that leaves or is removed drops out of every directory.
/// </summary>
internal sealed class ClusterQueueDirectoryActor : ReceiveActor
{
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ClusterDirectory _directory = ClusterDirectory.For(Context.System);
    private LWWDictionary<string, string> _entries = LWWDictionary<string, string>.Empty;
    private string? _reported;

    public ClusterQueueDirectoryActor()
    {
        Receive<ClusterDirectoryChanged>(_ => Report());
        Receive<Changed>(changed =>
        {
            _entries = changed.Get(ClusterQueueDirectory.Key);
            Show();
        });
        Receive<ClusterEvent.IMemberEvent>(_ => Show());
        Receive<ClusterEvent.CurrentClusterState>(_ => Show());
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ => { });
    }

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(ClusterQueueDirectory.Key, Self));
        Context.System.EventStream.Subscribe(Self, typeof(ClusterDirectoryChanged));
        _cluster.Subscribe(Self, ClusterEvent.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        Report();
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private void Report()
    {
        var report = JsonSerializer.Serialize(_directory.Local);
        if (report == _reported)
        {
            return;
        }

        _reported = report;
        var node = _cluster.SelfAddress.ToString();
        _replicator.Tell(Dsl.Update(ClusterQueueDirectory.Key, LWWDictionary<string, string>.Empty, WriteLocal.Instance, d => d.SetItem(_cluster, node, report)));
    }

    private void Show()
    {
        var self = _cluster.SelfAddress.ToString();
        var members = _cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving)
            .Select(m => m.Address.ToString()).ToHashSet(StringComparer.Ordinal);
        var remote = new List<ClusterMember>();
        foreach (var (node, report) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (node != self && members.Contains(node) && JsonSerializer.Deserialize<List<ClusterMember>>(report) is { } advertised)
            {
                remote.AddRange(advertised);
            }
        }

        _directory.SetRemote(remote);
    }
}
