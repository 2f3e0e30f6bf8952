using ActorQm.Authority;
using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Protocol;
using ActorQm.QueueClusters;

namespace ActorQm.QueueManagers;

/// <summary>What this queue manager's MQSC reads of its running state (<see cref="IMqscRuntime"/>), always on the actor's own thread.</summary>
internal sealed partial class QueueManagerActor
{
    private sealed class MqscRuntimeView(QueueManagerActor qm, ChannelStatusView view) : IMqscRuntime
    {
        public QueueStatus? QueueStatus(string queue) => qm.QueueStatusOf(queue);

        // This queue manager's channels and, in a cluster, every other node's.
        public IReadOnlyList<ChannelStatus> ChannelStatus() => [.. qm._board.All, .. view.Remote];

        public IReadOnlyList<MqscAttribute> QueueManagerStatus() => qm.QMgrStatus();

        public IReadOnlyList<(string QMgr, string Node)> OtherQueueManagers() =>
            [.. view.LocalQueueManagers.Where(q => q != qm._settings.Name).Select(q => (q, string.Empty)), .. view.RemoteQueueManagers];

        public IReadOnlyList<ClusterQMgrStatus> ClusterQueueManagers() => qm.ClusterQMgrs();

        public Principal PrincipalFor(string name) => qm._settings.Security.PrincipalFor(name);

        public string? ReadTlsSettings()
        {
            try
            {
                qm._reloadedTls = qm._settings.ReloadTls?.Invoke();
                return null;
            }
            catch (Exception e) when (e is Akka.Configuration.ConfigurationException or IOException or UnauthorizedAccessException)
            {
                return e.Message.ReplaceLineEndings(" ");
            }
        }
    }
}
