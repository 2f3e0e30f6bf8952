using ActorQm.Authority;
using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Mqsc;
using ActorQm.Protocol;
using ActorQm.QueueClusters;

namespace ActorQm.Tests.Support;

/// <summary>A stopped queue manager whose queue status and groups a spec sets.</summary>
internal sealed class TestMqscRuntime(IReadOnlyDictionary<string, QueueStatus>? status = null, SecuritySettings? security = null, IReadOnlyList<ChannelStatus>? channels = null) : IMqscRuntime
{
    public QueueStatus? QueueStatus(string queue) => status?.GetValueOrDefault(queue) ?? MqscRuntime.Stopped.QueueStatus(queue);

    public IReadOnlyList<ChannelStatus> ChannelStatus() => channels ?? [];

    public IReadOnlyList<MqscAttribute> QueueManagerStatus() => [];

    public IReadOnlyList<(string QMgr, string Node)> OtherQueueManagers() => [];

    public IReadOnlyList<ClusterQMgrStatus> ClusterQueueManagers() => [];

    public Principal PrincipalFor(string name) => security?.PrincipalFor(name) ?? MqscRuntime.Stopped.PrincipalFor(name);

    public string? ReadTlsSettings() => null;
}
