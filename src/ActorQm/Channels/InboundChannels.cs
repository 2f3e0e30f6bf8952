using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Channels;

/// <summary>
/// What the responding queue manager decides once the caller's initial data names the channel:
/// the definition must exist and pair with the caller's type, and the TLS session (already
/// validated: chain, revocation) must satisfy this channel's SSLCIPH, SSLCAUTH, SSLPEER and
/// CHLAUTH SSLPEERMAP records, which the responder could not know during the handshake (spec 1.3).
/// </summary>
public static class InboundChannels
{
    /// <summary>The channel may run: its definition and where undeliverable messages go.</summary>
    public sealed record Accepted(ChannelDefinition Definition, string DeadLetterQueue, string? McaUser);

    public sealed record Refused(string AmqCode, MqReason Reason, string Detail);

    /// <summary>A requester called a server channel: the server sends, on the requester's connection.</summary>
    public sealed record AcceptedAsServer(Accepted Accepted, Channel.SenderStart Start);

    public static object Check(ObjectCatalog catalog, InitialData hello, Handshake.HandshakeSucceeded session, bool allowTls13)
    {
        var channel = catalog.Find("CHANNEL", hello.ChannelName);
        if (channel is null)
        {
            return new Refused("AMQ9520E", hello.Type == ChannelType.Client ? MqReason.UnknownChannelName : MqReason.UnknownObjectName, $"channel {hello.ChannelName} is not defined on {catalog.QMgrName}");
        }

        var type = channel.Text("CHLTYPE");
        var pairs = hello.Type switch
        {
            ChannelType.Sender => type is "RCVR" or "CLUSRCVR",
            ChannelType.Server => type is "RCVR",
            ChannelType.Client => type is "SVRCONN",
            ChannelType.Requester => type is "SVR",
            _ => false,
        };
        if (!pairs)
        {
            return new Refused("AMQ9547E", MqReason.UnexpectedError, $"channel {channel.Name} is {type} here; a remote {hello.Type} channel cannot pair with it");
        }

        if (hello.Type == ChannelType.Client && hello.QMgrName.Length > 0 && hello.QMgrName != catalog.QMgrName)
        {
            return new Refused("AMQ9999E", MqReason.QMgrNameError, $"the client asked for queue manager {hello.QMgrName}; this is {catalog.QMgrName}");
        }

        var definition = ChannelDefinition.From(channel);
        if (hello.SequenceWrap != definition.SequenceWrap)
        {
            return new Refused("AMQ9503E", MqReason.UnexpectedError, $"channel negotiation failed: SEQWRAP is {hello.SequenceWrap} at the remote end and {definition.SequenceWrap} here; both ends must agree");
        }

        if (definition.SslCiph.Length == 0 || hello.CipherSpec.Length == 0)
        {
            return new Refused("AMQ9639E", MqReason.SslInitializationError, definition.SslCiph.Length == 0
                ? $"channel {channel.Name} has no SSLCIPH here but the remote end uses {hello.CipherSpec}: both ends must specify a CipherSpec"
                : $"the remote end did not specify a CipherSpec for channel {channel.Name}, which has SSLCIPH({definition.SslCiph}) here");
        }

        PeerRequirements requirements;
        try
        {
            requirements = ChannelSecurity.RequirementsFor(catalog, channel, allowTls13)!;
        }
        catch (InvalidOperationException e)
        {
            return new Refused("AMQ9635E", MqReason.SslInitializationError, e.Message);
        }

        if (!requirements.Cipher.Accepts(session.Protocol, session.Suite))
        {
            return new Refused("AMQ9631E", MqReason.SslInitializationError, $"the CipherSpec negotiated ({session.CipherSpec}) is not the one channel {channel.Name} requires ({definition.SslCiph})");
        }

        if (session.Peer is null)
        {
            return requirements.ClientAuthRequired || requirements.SslPeer is not null
                ? new Refused("AMQ9637E", MqReason.SslInitializationError, $"the remote end sent no certificate, and channel {channel.Name} has SSLCAUTH(REQUIRED) or SSLPEER")
                : new Accepted(definition, catalog.QMgr.Text("DEADQ"), null);
        }

        var check = requirements.CheckPeer(session.Peer, HandshakeRole.Responder);
        return check.AmqCode is { } code
            ? new Refused(code, check.Reason, $"{check.Detail} (channel {channel.Name})")
            : new Accepted(definition, catalog.QMgr.Text("DEADQ"), check.McaUser ?? session.McaUser);
    }
}
