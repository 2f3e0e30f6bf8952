using ActorQm.Authority;
using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Tls;

namespace ActorQm.QueueManagers;

/// <summary>
/// Who an admitted inbound channel runs as (docs/security.md, "Identity"): the MCAUSER of the CHLAUTH
/// mapping record that admitted it with USERSRC(MAP), else the channel's MCAUSER, else, for message
/// channels only, the queue manager itself, as MQ runs a blank-MCAUSER responder as mqm. A client
/// channel with neither is refused: a client never runs with the queue manager's authority by
/// omission. The user must then pass the channel's BLOCKUSER rules and hold CONNECT.
/// </summary>
internal static class ChannelIdentity
{
    public static object Decide(ObjectCatalog catalog, SecuritySettings security, InitialData hello, InboundChannels.Accepted accepted)
    {
        var channel = accepted.Definition.Name;
        var client = hello.Type == ChannelType.Client;
        var configured = catalog.Find("CHANNEL", channel)?.AsChannel().McaUser ?? string.Empty;
        var user = accepted.McaUser is { Length: > 0 } mapped ? mapped : configured;
        if (user.Length == 0)
        {
            return client
                ? new InboundChannels.Refused("AMQ9777E", MqReason.NotAuthorized,
                    $"channel {channel} was blocked: no CHLAUTH record maps this client to a user (USERSRC(MAP) MCAUSER) and the channel has no MCAUSER; a client never runs as the queue manager")
                : accepted with { Principal = Principal.QueueManager(catalog.QMgrName) };
        }

        var principal = security.PrincipalFor(user);
        if (client && BlockedUser(catalog, channel, principal) is { } rule)
        {
            return new InboundChannels.Refused("AMQ9776E", MqReason.NotAuthorized, $"channel {channel} was blocked for user '{user}' by {rule}");
        }

        if (catalog.Authority.Missing(principal, AuthorityObjectType.QMgr, catalog.QMgrName, AuthorityKind.Connect) != AuthorityKind.None)
        {
            return new InboundChannels.Refused("AMQ9557E", MqReason.NotAuthorized,
                $"user '{user}' of channel {channel} has no CONNECT authority on queue manager {catalog.QMgrName}");
        }

        return accepted with { Principal = principal };
    }

    /// <summary>
    /// The BLOCKUSER record of the most specific channel profile that has one (a more specific profile's
    /// list replaces '*''s, as in MQ) when it lists the user, or *MQADMIN and the user is an administrator.
    /// </summary>
    private static string? BlockedUser(ObjectCatalog catalog, string channel, Principal principal)
    {
        if (!catalog.QMgr.AsQMgr().ChannelAuthEnabled)
        {
            return null;
        }

        var rule = catalog.All("CHLAUTH")
            .Where(r => r.AsChannelAuth().Type == ChannelAuthType.BlockUser && ChannelSecurity.ProfileMatches(r.Name, channel))
            .MaxBy(r => ChannelSecurity.ProfileSpecificity(r.Name));
        if (rule is null)
        {
            return null;
        }

        var hit = rule.List("USERLIST").FirstOrDefault(u => u.Equals("*MQADMIN", StringComparison.OrdinalIgnoreCase) ? principal.Privileged : ChannelSecurity.ProfileMatches(u, principal.Name));
        return hit is null ? null : $"CHLAUTH('{rule.Name}') TYPE(BLOCKUSER) USERLIST('{hit}')";
    }
}
