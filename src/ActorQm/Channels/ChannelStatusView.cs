using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>
/// The channel status an actor system can show: the boards of its own queue managers, and (in a
/// cluster) what the other nodes last reported, each entry marked with its node and queue manager.
/// DISPLAY CHSTATUS on any queue manager shows both.
/// </summary>
public sealed class ChannelStatusView : IExtension
{
    private readonly ConcurrentDictionary<string, ChannelStatusBoard> _local = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<ChannelStatus> _remote = [];
    private volatile IReadOnlyList<(string QMgr, string Node)> _remoteQueueManagers = [];

    public static ChannelStatusView For(ActorSystem system) => system.WithExtension<ChannelStatusView, ChannelStatusViewId>();

    internal void Register(string qmgr, ChannelStatusBoard board) => _local[qmgr] = board;

    internal void Unregister(string qmgr) => _local.TryRemove(qmgr, out _);

    /// <summary>Every local queue manager's channels, each marked with its queue manager.</summary>
    public IReadOnlyList<ChannelStatus> Local =>
        _local.SelectMany(b => b.Value.All.Select(s => s with { QMgr = b.Key })).ToList();

    /// <summary>This system's running queue managers.</summary>
    public IReadOnlyList<string> LocalQueueManagers => _local.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>What the other nodes of the cluster reported, each marked with its node.</summary>
    public IReadOnlyList<ChannelStatus> Remote => _remote;

    /// <summary>The queue managers the other nodes run.</summary>
    public IReadOnlyList<(string QMgr, string Node)> RemoteQueueManagers => _remoteQueueManagers;

    /// <summary>Set by the cluster status replication.</summary>
    public void SetRemote(IReadOnlyList<ChannelStatus> remote, IReadOnlyList<(string QMgr, string Node)> queueManagers)
    {
        _remote = remote;
        _remoteQueueManagers = queueManagers;
    }
}

internal sealed class ChannelStatusViewId : ExtensionIdProvider<ChannelStatusView>
{
    public override ChannelStatusView CreateExtension(ExtendedActorSystem system) => new();
}
