using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.QueueManagers;

namespace ActorQm.Channels;

/// <summary>Message context of a client's puts (docs/security.md, "Message context").</summary>
internal sealed partial class ServerConnectionActor
{
    /// <summary>MQ's MQMD UserIdentifier is 12 characters; a longer principal name is cut there, as the field holds no more.</summary>
    private const int UserIdentifierLength = 12;

    private string? _userIdentifier;

    /// <summary>
    /// The context the queue manager puts on a client's message: what the client sent for a field is
    /// kept only with the authority to set it (SETID for UserIdentifier, SETALL for every field, on
    /// the queue and the queue manager, decided at MQOPEN); otherwise UserIdentifier is the
    /// connection's principal and the origin (PutApplName, PutDateTime) is the queue manager's, so a
    /// client cannot make a message look put by someone else.
    /// </summary>
    private MqMessage WithContext(MqMessage message, ContextAuthority authority)
    {
        var d = message.Descriptor;
        var user = _userIdentifier ??= _principal.Name.Length > UserIdentifierLength ? _principal.Name[..UserIdentifierLength] : _principal.Name;
        var stamped = authority switch
        {
            ContextAuthority.All => d with { UserIdentifier = d.UserIdentifier.Length > 0 ? d.UserIdentifier : user },
            ContextAuthority.Identity => d with { UserIdentifier = d.UserIdentifier.Length > 0 ? d.UserIdentifier : user, PutApplName = string.Empty, PutDateTime = default },
            _ => d with { UserIdentifier = user, PutApplName = string.Empty, PutDateTime = default },
        };
        return message with { Descriptor = stamped };
    }
}
