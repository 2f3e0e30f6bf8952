using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.QueueClusters;
using Akka.Actor;
using Akka.Event;

namespace ActorQm.QueueManagers;

/// <summary>
/// MQ clusters on the actor system's directory instead of full repositories. A queue manager is a
/// member of cluster C through a CLUSRCVR channel with CLUSTER(C); it advertises that channel and
/// its local queues with CLUSTER(C). For every other member of a cluster it belongs to, it keeps an
/// automatically defined cluster-sender channel, built from that member's CLUSRCVR definition (the
/// cluster's CONNAME, SSLCIPH and SSLPEER, as MQ's auto-defined CLUSSDR), with its own transmission
/// queue SYSTEM.CLUSTER.TRANSMIT.channel (MQ's DEFCLXQ(CHANNEL)), triggered to start the channel.
/// A put to a queue not defined here that members host goes to one of them, round-robin, skipping
/// members whose channel is retrying or stopped (MQ's workload balancing).
/// </summary>
internal sealed partial class QueueManagerActor : IClusterRoutes
{
    private const string ClusterXmitQPrefix = "SYSTEM.CLUSTER.TRANSMIT.";
    private readonly Dictionary<string, ClusterMember> _clusterSenders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _roundRobin = new(StringComparer.Ordinal);
    private HashSet<string> _clusters = [];

    private void ReceiveClusters() => Receive<ClusterDirectoryChanged>(_ => DefineClusterSenders());

    private ClusterDirectory Directory => ClusterDirectory.For(Context.System);

    /// <summary>Advertises this queue manager's memberships and cluster queues after any change of definitions.</summary>
    private void AdvertiseClusters()
    {
        var members = _catalog.All("CHANNEL")
            .Select(c => c.AsChannel())
            .Where(c => c.Kind == ChannelKind.ClusterReceiver && c.Cluster.Length > 0)
            .Select(c => new ClusterMember(c.Cluster, _settings.Name, c.Name, c.Object.ToMqsc(),
                _catalog.All("QUEUE").Where(q => q.Type == "QLOCAL" && q.Text("CLUSTER") == c.Cluster).Select(q => q.Name).Order(StringComparer.Ordinal).ToList()))
            .OrderBy(m => m.Channel, StringComparer.Ordinal)
            .ToList();
        _clusters = members.Select(m => m.Cluster).ToHashSet(StringComparer.Ordinal);
        Directory.Advertise(_settings.Name, members);
        DefineClusterSenders();
    }

    /// <summary>
    /// REFRESH CLUSTER: what this queue manager knew of the cluster's other members is dropped and read again from the directory
    /// as it is now; its own membership is advertised again. A cluster-sender with messages waiting starts again.
    /// </summary>
    private void RefreshCluster(string cluster)
    {
        foreach (var channel in _clusterSenders.Where(m => cluster == "*" || m.Value.Cluster == cluster).Select(m => m.Key).ToList())
        {
            _clusterSenders.Remove(channel);
        }

        _roundRobin.Clear();
        _log.Info("REFRESH CLUSTER({0}) on {1}: the other members are learned again from the directory.", cluster, _settings.Name);
        AdvertiseClusters();
        DefineClusterSenders();
    }

    /// <summary>One cluster-sender (and its transmission queue) per other member of our clusters.</summary>
    private void DefineClusterSenders()
    {
        var wanted = Directory.All.Where(m => m.QMgrName != _settings.Name && _clusters.Contains(m.Cluster)).ToList();
        var writes = new List<Store.JournalOp>();
        foreach (var member in wanted)
        {
            var xmitq = ClusterXmitQPrefix + member.Channel;
            if (_catalog.FindQueue(xmitq) is null)
            {
                var outcome = _executor.Execute(MqscParser.ParseCommand(
                    $"DEFINE QLOCAL({MqObject.Quote(xmitq)}) USAGE(XMITQ) MAXDEPTH(999999999) TRIGGER TRIGTYPE(FIRST) TRIGDATA({MqObject.Quote(member.Channel)}) DESCR('cluster transmission queue')"));
                writes.AddRange(outcome.Changes.Select(Apply).OfType<Store.JournalOp>());
            }

            var changed = !_clusterSenders.TryGetValue(member.Channel, out var known) || known.ChannelDefinition != member.ChannelDefinition;
            _clusterSenders[member.Channel] = member;
            if (changed && _queues.TryGetValue(xmitq, out var queue) && queue.Counters.Depth > 0)
            {
                StartClusterSender(member);
            }
        }

        foreach (var gone in _clusterSenders.Keys.Except(wanted.Select(m => m.Channel)).ToList())
        {
            // Its messages stay on the transmission queue until the member is back.
            _clusterSenders.Remove(gone);
        }

        foreach (var write in writes)
        {
            _journal.Enqueue(write);
        }
    }

    /// <summary>The auto-defined CLUSSDR: the member's CLUSRCVR definition, as a sender on our cluster transmission queue with our own certificate.</summary>
    private void StartClusterSender(ClusterMember member)
    {
        if (_board.Find(member.Channel) is { State: not ChannelState.Inactive })
        {
            return;
        }

        var (start, error) = ClusterSenderStart(member);
        if (start is null)
        {
            _log.Warning("{0} (cluster-sender channel {1} to {2} in cluster {3})", error, member.Channel, member.QMgrName, member.Cluster);
            _board.Set(new ChannelStatus(member.Channel, "CLUSSDR", ChannelState.Stopped) { LastError = error!, Started = DateTimeOffset.UtcNow });
            return;
        }

        _initiator.Tell(new Channel.StartChannel(start));
    }

    /// <summary>What the auto-defined CLUSSDR to <paramref name="member"/> runs with, from its CLUSRCVR definition and our TLS material now.</summary>
    private (Channel.SenderStart? Start, string? Error) ClusterSenderStart(ClusterMember member)
    {
        var receiver = MqscExecutor.Restore(member.ChannelDefinition, member.QMgrName);
        var attributes = receiver.Attributes.SetItem("CHLTYPE", "CLUSSDR").SetItem("XMITQ", ClusterXmitQPrefix + member.Channel).Remove("CERTLABL");
        return SenderStart(receiver with { Attributes = attributes });
    }

    /// <inheritdoc/>
    public (string XmitQ, string QMgr)? ForQueue(string queue)
    {
        var hosts = _clusterSenders.Values.Where(m => m.Queues.Contains(queue, StringComparer.Ordinal)).OrderBy(m => m.QMgrName, StringComparer.Ordinal).ToList();
        if (hosts.Count == 0)
        {
            return null;
        }

        // Workload balancing: members whose channel is retrying, stopped or stopping are skipped while any other is available.
        var available = hosts.Where(m => _board.Find(m.Channel)?.State is null or ChannelState.Inactive or ChannelState.Binding or ChannelState.Starting or ChannelState.Running).ToList();
        var candidates = available.Count > 0 ? available : hosts;
        var next = _roundRobin.GetValueOrDefault(queue);
        _roundRobin[queue] = next + 1;
        var chosen = candidates[(int)((uint)next % (uint)candidates.Count)];
        return (ClusterXmitQPrefix + chosen.Channel, chosen.QMgrName);
    }

    /// <inheritdoc/>
    public (string XmitQ, string QMgr)? ForQMgr(string qmgr) =>
        _clusterSenders.Values.Where(m => m.QMgrName == qmgr).OrderBy(m => m.Channel, StringComparer.Ordinal).Select(m => ((string, string)?)(ClusterXmitQPrefix + m.Channel, m.QMgrName)).FirstOrDefault();

    /// <summary>DISPLAY CLUSQMGR and QCLUSTER: every member of this queue manager's clusters, with the state of its channel here.</summary>
    private IReadOnlyList<ClusterQMgrStatus> ClusterQMgrs() =>
        Directory.All.Where(m => _clusters.Contains(m.Cluster))
            .OrderBy(m => m.QMgrName, StringComparer.Ordinal).ThenBy(m => m.Cluster, StringComparer.Ordinal)
            .Select(m => new ClusterQMgrStatus(m.QMgrName, m.Cluster, m.Channel, MqscExecutor.Restore(m.ChannelDefinition, m.QMgrName).AsChannel().ConName,
                m.QMgrName == _settings.Name ? "LOCAL" : (_board.Find(m.Channel)?.State ?? ChannelState.Inactive).ToString().ToUpperInvariant(), m.Queues))
            .ToList();
}

/// <summary>Where a queue or queue manager known only through an MQ cluster is reached from this queue manager.</summary>
internal interface IClusterRoutes
{
    /// <summary>The transmission queue and member for a put to cluster queue <paramref name="queue"/>; each call may choose another member.</summary>
    (string XmitQ, string QMgr)? ForQueue(string queue);

    (string XmitQ, string QMgr)? ForQMgr(string qmgr);
}
