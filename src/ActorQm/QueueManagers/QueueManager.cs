using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Queues;
using ActorQm.Store;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>Protocol and Props of <see cref="QueueManagerActor"/>.</summary>
public static class QueueManager
{
    internal static Props Props(QueueManagerSettings settings, MessageJournal journal, ObjectCatalog catalog, Dictionary<string, List<StoredMessage>> recovered) =>
        Akka.Actor.Props.Create(() => new QueueManagerActor(settings, journal, catalog, recovered));

    /// <summary>Actor name of a queue manager under /user.</summary>
    public static string ActorName(string qmgrName) => "qm-" + Uri.EscapeDataString(qmgrName).Replace("%", "~", StringComparison.Ordinal);

    /// <summary>MQPUT1: resolve and put in one step. Answered by <see cref="LocalQueue.MessagePut"/> or <see cref="LocalQueue.PutRejected"/>.</summary>
    public sealed record PutMessage(string QueueName, MqMessage Message, string? QMgrName = null, string PutApplName = "");

    /// <summary>MQGET through the queue manager. Answered by the queue with <see cref="LocalQueue.MessageGot"/> or <see cref="LocalQueue.GetRejected"/>.</summary>
    public sealed record GetMessage(string QueueName, GetOptions Options);

    /// <summary>Moves an undeliverable message to the DEADQ with an MQDLH carrying <see cref="Reason"/> (MQRC or MQFB).</summary>
    public sealed record PutDeadLetter(MqMessage Message, int Reason, string DestQName, string DestQMgrName, string PutApplName);

    /// <summary>Asks for the queue manager's TLS material (key repository, revocation sources), answered by <see cref="TlsMaterial"/>.</summary>
    public sealed record GetTls
    {
        public static readonly GetTls Instance = new();
    }

    /// <summary>The listeners' bound addresses, answered by <see cref="Channels.Channel.Listeners"/>.</summary>
    public sealed record GetListeners
    {
        public static readonly GetListeners Instance = new();
    }

    /// <summary>The TLS material its listeners accept connections with now (after any REFRESH SECURITY): answered with <see cref="ListenerTls"/>.</summary>
    public sealed record GetListenerTls
    {
        public static readonly GetListenerTls Instance = new();
    }

    /// <summary>Its certificate, trust anchors and revocation settings; null until its key repository has been read.</summary>
    public sealed record ListenerTls(string QMgrName, Channels.Channel.ResponderTls? Tls, Configuration.SecuritySettings Security);

    /// <summary>Live channel status (what DISPLAY CHSTATUS reads), answered by the board itself.</summary>
    public sealed record GetChannelStatus
    {
        public static readonly GetChannelStatus Instance = new();
    }

    // Commands
    public sealed record TlsMaterial(Channels.QueueManagerTls Tls);



}
