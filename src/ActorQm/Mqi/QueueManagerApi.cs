using ActorQm.Messages;
using ActorQm.Queues;

namespace ActorQm.Mqi;

/// <summary>
/// What applications and channel agents ask of a queue manager (MQOPEN, MQSC), beneath the channels
/// that send it and the queue manager that answers it, so neither layer depends on the other's
/// insides (docs/architecture.md).
/// </summary>
public static class QueueManagerApi
{
    public enum OpenPurpose
    {
        Output,
        Input,
    }

    /// <summary>MQOPEN: resolve a name once; puts and gets then go straight to the queue actor.</summary>
    /// <param name="Options">MQOO options; each needs its authority (docs/security.md, "Enforcement").</param>
    /// <param name="As">Who opens it: checked against the authority records; null: the queue manager itself.</param>
    public sealed record OpenQueue(string QueueName, MqOpenOptions Options, string? QMgrName = null, Authority.Principal? As = null)
    {
        /// <summary>With <see cref="MqOpenOptions.AlternateUserAuthority"/>: the user the object is checked for (blank: MQ's unnamed user, <c>nobody</c>).</summary>
        public string AlternateUserId { get; init; } = string.Empty;

        /// <summary>
        /// A partner chose the alternate user (a receiver under PUTAUT(CTX)): an administrator (<c>mqm</c> or a member of
        /// its group) is refused rather than given every authority (docs/security.md, "Message channels: PUTAUT").
        /// </summary>
        public bool AlternateUserFromPartner { get; init; }

        /// <summary>
        /// <see cref="As"/> must also hold CONNECT on the queue manager: an open that no connection's admission checked (a REST
        /// call, where MQ's mqweb connects as the caller; docs/rest.md). A client channel's opens leave it off: its connect was checked.
        /// </summary>
        public bool Connecting { get; init; }

        /// <summary>Who holds the handle until it sends <see cref="CloseQueue"/> or ends: counted as the queue's IPPROCS/OPPROCS meanwhile (null: not counted).</summary>
        public Akka.Actor.IActorRef? Holder { get; init; }

        /// <summary>Resolved as for a get (a local queue, here); otherwise as for a put, which may route elsewhere.</summary>
        public bool ForInput => (Options & (MqOpenOptions.Input | MqOpenOptions.Browse)) != 0;

        /// <summary>The options of one of the in-process API's purposes.</summary>
        public static MqOpenOptions OptionsFor(OpenPurpose purpose) => purpose == OpenPurpose.Output ? MqOpenOptions.Output : MqOpenOptions.InputAsQueueDefault;
    }

    /// <summary>MQCLOSE of a handle opened with a <see cref="OpenQueue.Holder"/>; not answered.</summary>
    public sealed record CloseQueue(long OpenId);

    /// <summary>Runs MQSC commands; <see cref="Startup"/> marks the start-up script (DEFINE replaces).</summary>
    /// <param name="As">A remote administrator's principal: each command is checked against its authority (docs/security.md, "Remote administration"); null: local administration, with the queue manager's authority.</param>
    /// <param name="Origin">Who sent it, for the log of remote administration (e.g. the client connection and channel).</param>
    public sealed record RunMqsc(string Script, bool Startup = false, Authority.Principal? As = null, string? Origin = null);

    public sealed record QueueOpened(QueueHandle Handle);

    public sealed record OpenRejected(MqReason Reason, string Detail);

    /// <summary>runmqsc-style output and the same results command by command; the catalog changes it made are durable when this arrives.</summary>
    public sealed record MqscCompleted(IReadOnlyList<string> Lines, int Commands, int Failed)
    {
        /// <summary>Each command's text (secrets masked), success, messages and displayed objects: what <c>--json</c> prints.</summary>
        public IReadOnlyList<Protocol.MqscCommandResult> Results { get; init; } = [];

        /// <summary>The answer as the client protocol carries it.</summary>
        public Protocol.MqscResponse Response => new(Lines, Failed, Results);
    }
}
