using System.Text.Json;
using ActorQm.Channels;
using Akka.Actor;
using Akka.DistributedData;

namespace ActorQm.Cluster;

/// <summary>Props of <see cref="ClusterStatusActor"/>.</summary>
public static class ClusterStatus
{
    public static readonly LWWDictionaryKey<string, string> Key = new("actorqm-channel-status");

    /// <param name="interval">How often this node reports its channels (and how stale another node's may be, plus gossip).</param>
    public static Props Props(TimeSpan? interval = null) => Akka.Actor.Props.Create(() => new ClusterStatusActor(interval ?? TimeSpan.FromSeconds(2)));
}

/// <summary>
/// Status across the cluster: every node reports its queue managers' channel status into a
/// replicated dictionary (Akka.DistributedData) keyed by node, and shows the other nodes'
/// (those still members) in DISPLAY CHSTATUS, marked with NODE and QMNAME.
/// </summary>
internal sealed class ClusterStatusActor : ReceiveActor, IWithTimers
{
    private readonly TimeSpan _interval;
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ChannelStatusView _view = ChannelStatusView.For(Context.System);
    private string _lastReport = string.Empty;

    public ClusterStatusActor(TimeSpan interval)
    {
        _interval = interval;
        Receive<Report>(_ => ReportLocal());
        Receive<Changed>(changed => Show(changed.Get(ClusterStatus.Key)));
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(ClusterStatus.Key, Self));
        Timers.StartPeriodicTimer("report", Report.Instance, TimeSpan.Zero, _interval);
    }

    private void ReportLocal()
    {
        var report = JsonSerializer.Serialize(new NodeReport(_view.LocalQueueManagers, _view.Local));
        if (report == _lastReport)
        {
            return;
        }

        _lastReport = report;
        var node = _cluster.SelfAddress.ToString();
        _replicator.Tell(Dsl.Update(ClusterStatus.Key, LWWDictionary<string, string>.Empty, WriteLocal.Instance, d => d.SetItem(_cluster, node, report)));
    }

    private void Show(LWWDictionary<string, string> reports)
    {
        var self = _cluster.SelfAddress.ToString();
        var members = _cluster.State.Members.Select(m => m.Address.ToString()).ToHashSet(StringComparer.Ordinal);
        var remote = new List<ChannelStatus>();
        var queueManagers = new List<(string, string)>();
        foreach (var (node, report) in reports)
        {
            if (node == self || !members.Contains(node) || JsonSerializer.Deserialize<NodeReport>(report) is not { } parsed)
            {
                continue;
            }

            remote.AddRange(parsed.Channels.Select(s => s with { Node = node }));
            queueManagers.AddRange(parsed.QueueManagers.Select(q => (q, node)));
        }

        _view.SetRemote(remote, queueManagers);
    }

    /// <summary>What one node reports: its queue managers and their channel instances.</summary>
    private sealed record NodeReport(IReadOnlyList<string> QueueManagers, IReadOnlyList<ChannelStatus> Channels);

    private sealed record Report
    {
        public static readonly Report Instance = new();
    }
}
