using System.Text;
using ActorQm.Messages;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Mqi;

/// <summary>
/// The result of name resolution (MQOPEN): the local queue that receives puts, and for a remote
/// destination the transmission header to add. Defaults come from the first definition on the
/// resolution path, as in MQ. Puts through a handle go straight to the queue actor.
/// </summary>
public sealed record QueueHandle(
    IActorRef Queue,
    string ResolvedQueueName,
    string? RemoteQName,
    string? RemoteQMgrName,
    bool DefaultPersistent,
    int DefaultPriority,
    bool PutEnabled,
    int QMgrMaxMessageLength)
{
    public bool IsRemote => RemoteQName is not null;

    /// <summary>Names the open for <see cref="QueueManagerApi.CloseQueue"/> when the queue manager counts it (0: not counted).</summary>
    public long OpenId { get; init; }

    /// <summary>DEFREADA of the first definition on the resolution path: whether a client's gets are read ahead by default.</summary>
    public ReadAheadDefault ReadAhead { get; init; }

    /// <summary>Prepares an MQPUT: fills the descriptor, wraps in MQXQH for a remote destination.</summary>
    public (LocalQueue.Put? Put, LocalQueue.PutRejected? Rejected) PreparePut(MqMessage message, string putApplName)
    {
        if (!PutEnabled)
        {
            return (null, new LocalQueue.PutRejected(MqReason.PutInhibited, $"PUT(DISABLED) on the definition that resolved to {ResolvedQueueName}."));
        }

        if (message.Payload.Length > QMgrMaxMessageLength)
        {
            return (null, new LocalQueue.PutRejected(MqReason.MsgTooBigForQMgr, $"{message.Payload.Length} bytes exceeds the queue manager's MAXMSGL({QMgrMaxMessageLength})."));
        }

        var (prepared, reason, detail) = PutPreparation.Prepare(message, DefaultPersistent, DefaultPriority, putApplName, DateTimeOffset.UtcNow);
        if (prepared is null)
        {
            return (null, new LocalQueue.PutRejected(reason, detail));
        }

        if (IsRemote && (Encoding.UTF8.GetByteCount(RemoteQName!) > 48 || Encoding.UTF8.GetByteCount(RemoteQMgrName!) > 48))
        {
            return (null, new LocalQueue.PutRejected(MqReason.UnknownRemoteQMgr, $"remote name {RemoteQName} at {RemoteQMgrName} is longer than MQ's 48 characters"));
        }

        var final = IsRemote ? TransmissionHeader.Wrap(prepared, RemoteQName!, RemoteQMgrName!) : prepared;
        return (new LocalQueue.Put(final, putApplName), null);
    }
}

/// <summary>A queue's DEFREADA.</summary>
public enum ReadAheadDefault
{
    /// <summary>Read ahead only when the client asks (MQOO_READ_AHEAD).</summary>
    No,

    /// <summary>Read ahead unless the client opts out (MQOO_NO_READ_AHEAD).</summary>
    Yes,

    /// <summary>Never read ahead, whatever the client asks.</summary>
    Disabled,
}
