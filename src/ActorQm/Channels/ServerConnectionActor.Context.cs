using ActorQm.Messages;

namespace ActorQm.Channels;

/// <summary>Message context of a client's puts (docs/security.md, "Message context").</summary>
internal sealed partial class ServerConnectionActor
{
    /// <summary>MQ's MQMD UserIdentifier is 12 characters; a longer principal name is cut there, as the field holds no more.</summary>
    private const int UserIdentifierLength = 12;

    private string? _userIdentifier;

    /// <summary>The context of the last message got on each handle opened with MQOO_SAVE_ALL_CONTEXT, for puts that pass it.</summary>
    private readonly Dictionary<int, MessageDescriptor> _savedContext = [];

    /// <summary>
    /// The context the queue manager puts on a client's message, by the put's context option (already
    /// checked against its handle's open options, which were checked against authority at MQOPEN):
    /// by default UserIdentifier is the connection's principal and the origin (PutApplName,
    /// PutDateTime) the queue manager's, whatever the client sent, so a client cannot make a message
    /// look put by someone else; SET_IDENTITY keeps the client's UserIdentifier, SET_ALL every field;
    /// PASS_IDENTITY and PASS_ALL copy them from the message last got on the context handle.
    /// </summary>
    private (MqMessage? Message, (MqReason Reason, string Detail)? Refused) WithContext(MqMessage message, MqPutContext context, int? contextHandle)
    {
        var d = message.Descriptor;
        MessageDescriptor? passed = null;
        if (context is MqPutContext.PassIdentity or MqPutContext.PassAll)
        {
            if (contextHandle is not { } ch || !_handles.TryGetValue(ch, out var from) || !from.Options.HasFlag(MqOpenOptions.SaveAllContext))
            {
                return (null, (MqReason.ContextHandleError, "MQRC_CONTEXT_HANDLE_ERROR: the context handle is not a handle of this connection opened with MQOO_SAVE_ALL_CONTEXT"));
            }

            if (!_savedContext.TryGetValue(ch, out passed))
            {
                return (null, (MqReason.ContextNotAvailable, "MQRC_CONTEXT_NOT_AVAILABLE: no message has been got on the context handle"));
            }
        }

        var user = _userIdentifier ??= _principal.Name.Length > UserIdentifierLength ? _principal.Name[..UserIdentifierLength] : _principal.Name;
        var stamped = context switch
        {
            MqPutContext.SetAll => d,
            MqPutContext.SetIdentity => d with { PutApplName = string.Empty, PutDateTime = default },
            MqPutContext.PassAll => d with { UserIdentifier = passed!.UserIdentifier, PutApplName = passed.PutApplName, PutDateTime = passed.PutDateTime },
            MqPutContext.PassIdentity => d with { UserIdentifier = passed!.UserIdentifier, PutApplName = string.Empty, PutDateTime = default },
            _ => d with { UserIdentifier = user, PutApplName = string.Empty, PutDateTime = default },
        };
        return (message with { Descriptor = stamped }, null);
    }
}
