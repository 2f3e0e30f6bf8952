using Akka.Actor;

namespace ActorQm.Cluster;

/// <summary>
/// Whether this node may host queue managers yet: from the moment it has seen <c>min-nodes</c> members up
/// (<see cref="QueueManagerKeeperActor"/>). Until then no entity starts here, whoever asks for it (the keeper,
/// a routed connection, a cluster channel), so a node that forms a cluster of its own (a restarted first seed
/// node that could not reach the others, docs/reliability.md "Cluster chaos") cannot take a queue manager's
/// journal from the cluster that runs it.
/// </summary>
internal sealed class QueueManagerPlacement : IExtension
{
    private volatile bool _open;

    public bool Open => _open;

    public static QueueManagerPlacement For(ActorSystem system) => system.WithExtension<QueueManagerPlacement, Provider>();

    public void Opened() => _open = true;

    private sealed class Provider : ExtensionIdProvider<QueueManagerPlacement>
    {
        public override QueueManagerPlacement CreateExtension(ExtendedActorSystem system) => new();
    }
}
