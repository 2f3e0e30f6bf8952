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

    public enum OpenPurpose
    {
        Output,
        Input,
    }

    // Commands
    /// <summary>MQOPEN: resolve a name once; puts and gets then go straight to the queue actor.</summary>
    /// <param name="As">Who opens it: checked against the authority records (docs/security.md, "Enforcement"); null: the queue manager itself.</param>
    /// <param name="Browse">An input open for browsing (MQOO_BROWSE: BROWSE authority instead of GET).</param>
    public sealed record OpenQueue(string QueueName, OpenPurpose Purpose, string? QMgrName = null, Authority.Principal? As = null, bool Browse = false)
    {
        /// <summary>MQOO_SET_ALL_CONTEXT: the opener keeps every context field (SETALL on the queue and the queue manager).</summary>
        public bool SetAllContext { get; init; }
    }

    /// <summary>MQPUT1: resolve and put in one step. Answered by <see cref="LocalQueue.MessagePut"/> or <see cref="LocalQueue.PutRejected"/>.</summary>
    public sealed record PutMessage(string QueueName, MqMessage Message, string? QMgrName = null, string PutApplName = "");

    /// <summary>MQGET through the queue manager. Answered by the queue with <see cref="LocalQueue.MessageGot"/> or <see cref="LocalQueue.GetRejected"/>.</summary>
    public sealed record GetMessage(string QueueName, GetOptions Options);

    /// <summary>Moves an undeliverable message to the DEADQ with an MQDLH carrying <see cref="Reason"/> (MQRC or MQFB).</summary>
    public sealed record PutDeadLetter(MqMessage Message, int Reason, string DestQName, string DestQMgrName, string PutApplName);

    /// <summary>Runs MQSC commands; <see cref="Startup"/> marks the start-up script (DEFINE replaces).</summary>
    /// <param name="As">A remote administrator's principal: each command is checked against its authority (docs/security.md, "Remote administration"); null: local administration, with the queue manager's authority.</param>
    public sealed record RunMqsc(string Script, bool Startup = false, Authority.Principal? As = null);

    /// <summary>Asks for the queue manager's TLS material (key repository, revocation sources), answered by <see cref="TlsMaterial"/>.</summary>
    public sealed record GetTls
    {
        public static readonly GetTls Instance = new();
    }

    /// <summary>A receiving channel's initial data named its channel: answered by <see cref="Channels.InboundChannels.Accepted"/> or <see cref="Channels.InboundChannels.Refused"/>.</summary>
    /// <param name="From">The caller's address (CHLAUTH ADDRESSMAP and QMGRMAP records match on it).</param>
    public sealed record AcceptChannel(Channels.InitialData Hello, Tls.Handshake.HandshakeSucceeded Session, System.Net.IPAddress? From = null);

    /// <summary>The listeners' bound addresses, answered by <see cref="Channels.Channel.Listeners"/>.</summary>
    public sealed record GetListeners
    {
        public static readonly GetListeners Instance = new();
    }

    /// <summary>Live channel status (what DISPLAY CHSTATUS reads), answered by the board itself.</summary>
    public sealed record GetChannelStatus
    {
        public static readonly GetChannelStatus Instance = new();
    }

    // Replies
    public sealed record TlsMaterial(Channels.QueueManagerTls Tls);

    public sealed record QueueOpened(QueueHandle Handle);

    public sealed record OpenRejected(MqReason Reason, string Detail);

    /// <summary>runmqsc-style output; the catalog changes it made are durable when this arrives.</summary>
    public sealed record MqscCompleted(IReadOnlyList<string> Lines, int Commands, int Failed);
}
