using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Tls;

namespace ActorQm.Channels;

/// <summary>
/// What the responding queue manager decides once the caller's initial data names the channel:
/// the definition must exist and pair with the caller's type, and the TLS session (already
/// validated: chain, revocation) must satisfy this channel's SSLCIPH, SSLCAUTH, SSLPEER and
/// CHLAUTH records, which the responder could not know during the handshake (docs/tls.md). One mapping
/// record decides, chosen among SSLPEERMAP, USERMAP, QMGRMAP and ADDRESSMAP together: the most specific
/// channel profile with a matching record first, then the type (docs/tls.md, CHLAUTH).
/// </summary>
public static class InboundChannels
{
    /// <summary>The channel may run: its definition, where undeliverable messages go, and the user a USERSRC(MAP) record chose.</summary>
    public sealed record Accepted(ChannelDefinition Definition, string DeadLetterQueue, string? McaUser)
    {
        /// <summary>Who the channel runs as (docs/security.md, "Identity"); set by the queue manager once it has decided.</summary>
        public Authority.Principal? Principal { get; init; }

        /// <summary>A CHLAUTH NOACCESS record in WARN(YES) mode matched: the channel runs, and the queue manager logs this.</summary>
        public string? Warning { get; init; }

        /// <summary>For a client channel: what one connection may hold (QMGR MAXHANDS, MAXUMSGS; the frame limit).</summary>
        public ConnectionLimits Limits { get; init; } = ConnectionLimits.Default;
    }

    public sealed record Refused(string AmqCode, MqReason Reason, string Detail);

    /// <summary>A requester called a server channel: the server sends, on the requester's connection.</summary>
    public sealed record AcceptedAsServer(Accepted Accepted, Channel.SenderStart Start);

    /// <param name="from">The caller's address, for ADDRESSMAP and QMGRMAP records (null: unknown, none of them matches).</param>
    /// <param name="ownRevocation">Channels with their own revocation policy (tls.channel-revocation): the handshake must have used it.</param>
    /// <param name="inTheClear">Whether tls.development-channels-in-the-clear is on now: a session accepted in the clear before REFRESH SECURITY turned it off is refused.</param>
    public static object Check(ObjectCatalog catalog, InitialData hello, Handshake.PeerSession session, bool allowTls13, System.Net.IPAddress? from = null,
        IEnumerable<string>? ownRevocation = null, bool inTheClear = false)
    {
        var channel = catalog.Find("CHANNEL", hello.ChannelName);
        if (channel is null)
        {
            return new Refused("AMQ9520E", hello.Type == ChannelType.Client ? MqReason.UnknownChannelName : MqReason.UnknownObjectName, $"channel {hello.ChannelName} is not defined on {catalog.QMgrName}");
        }

        var kind = channel.AsChannel().Kind;
        var pairs = hello.Type switch
        {
            ChannelType.Sender => kind is ChannelKind.Receiver or ChannelKind.ClusterReceiver,
            ChannelType.Server => kind is ChannelKind.Receiver,
            ChannelType.Client => kind is ChannelKind.ServerConnection,
            ChannelType.Requester => kind is ChannelKind.Server,
            _ => false,
        };
        if (!pairs)
        {
            return new Refused("AMQ9547E", MqReason.UnexpectedError, $"channel {channel.Name} is {kind.Keyword()} here; a remote {hello.Type} channel cannot pair with it");
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

        if (session.InTheClear)
        {
            // Development only (tls.development-channels-in-the-clear): no TLS, so no CipherSpec, certificate or revocation to
            // check. Only a message channel without SSLCIPH at both ends runs so; every channel with one still needs TLS, and
            // an SSLPEER no certificate can meet refuses (docs/tls.md, "Plaintext channels").
            if (inTheClear && kind == ChannelKind.Receiver && hello.Type is (ChannelType.Sender or ChannelType.Server) && definition.SslCiph.Length == 0 && hello.CipherSpec.Length == 0)
            {
                return channel.AsChannel().SslPeer.Length > 0
                    ? new Refused("AMQ9637E", MqReason.SslInitializationError, $"channel {channel.Name} came in the clear, without a certificate, and has SSLPEER here")
                    : Mapping(catalog, channel.Name, hello, null, from, new Accepted(definition, catalog.QMgr.AsQMgr().DeadLetterQueue, null));
            }

            return new Refused("AMQ9639E", MqReason.SslInitializationError, $"channel {channel.Name} came in the clear; only a sender or server channel to a receiver (RCVR) without SSLCIPH at both ends may, and only while tls.development-channels-in-the-clear is on");
        }

        if (definition.SslCiph.Length == 0 || hello.CipherSpec.Length == 0)
        {
            return new Refused("AMQ9639E", MqReason.SslInitializationError, definition.SslCiph.Length == 0
                ? $"channel {channel.Name} has no SSLCIPH here but the remote end uses {hello.CipherSpec}: both ends must specify a CipherSpec"
                : $"the remote end did not specify a CipherSpec for channel {channel.Name}, which has SSLCIPH({definition.SslCiph}) here");
        }

        if (RevocationPolicyError(channel.Name, session, ownRevocation) is { } policyError)
        {
            return new Refused("AMQ9716E", MqReason.SslInitializationError, policyError);
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

        if (session.Peer is null && (requirements.ClientAuthRequired || requirements.SslPeer is not null))
        {
            return new Refused("AMQ9637E", MqReason.SslInitializationError, $"the remote end sent no certificate, and channel {channel.Name} has SSLCAUTH(REQUIRED) or SSLPEER");
        }

        // The channel's SSLPEER here; its SSLPEERMAP records are weighed with the other mapping records below.
        var check = session.Peer is null ? new PeerCheck(null, MqReason.None, string.Empty, null) : (requirements with { PeerMaps = null }).CheckPeer(session.Peer, HandshakeRole.Responder);
        if (check.AmqCode is { } code)
        {
            return new Refused(code, check.Reason, $"{check.Detail} (channel {channel.Name})");
        }

        // Only the one mapping record chosen below decides a mapped user (docs/security.md, "Identity").
        var accepted = new Accepted(definition, catalog.QMgr.AsQMgr().DeadLetterQueue, null);
        return Mapping(catalog, channel.Name, hello, session.Peer, from, accepted);
    }

    /// <summary>
    /// The certificate must have been checked with this channel's revocation policy: its own when it has one, else the queue
    /// manager's. The responder chose by the caller's TLS server name, which the caller picks: a name for one channel and
    /// initial data for another would otherwise let a caller choose the weaker policy (docs/tls.md, "Revocation per channel").
    /// </summary>
    private static string? RevocationPolicyError(string channel, Handshake.PeerSession session, IEnumerable<string>? ownRevocation)
    {
        var required = ownRevocation?.Contains(channel, StringComparer.Ordinal) == true ? channel : null;
        if (session.Peer is null || session.RevocationChannel == required)
        {
            return null;
        }

        return required is not null
            ? $"channel {channel} checks revocation with its own policy, but the caller's TLS server name did not name it, so its certificate was checked with {(session.RevocationChannel is { } other ? $"channel {other}'s policy" : "the queue manager's")}; the caller must send the channel in its server name (MQ's OutboundSNI=CHANNEL)"
            : $"the caller's TLS server name named channel {session.RevocationChannel}, whose own revocation policy checked its certificate, but its initial data names channel {channel}, which uses the queue manager's";
    }

    /// <summary>How a mapping record reads in a refusal or warning: its profile, type, what it matched on and its USERSRC.</summary>
    public static string Describe(MqObject map)
    {
        var view = map.AsChannelAuth();
        var parts = new[] { "SSLPEER", "SSLCERTI", "QMNAME", "CLNTUSER", "ADDRESS" }
            .Where(k => map.Text(k).Length > 0)
            .Select(k => $"{k}('{map.Text(k)}')");
        return string.Join(' ', [$"CHLAUTH('{map.Name}')", $"TYPE({view.Type.Keyword()})", .. parts, $"USERSRC({view.UserSource.Keyword()})"]);
    }

    private static object Mapping(ObjectCatalog catalog, string channelName, InitialData hello, PeerIdentity? peer, System.Net.IPAddress? from, Accepted accepted)
    {
        var caller = new CallerFacts(peer?.Subject, peer?.Issuer, from, hello.Type == ChannelType.Client ? null : hello.QMgrName);
        if (ChannelSecurity.MappingFor(catalog, channelName, caller) is not { } map)
        {
            return accepted;
        }

        var record = Describe(map);
        var who = $"{(hello.Type == ChannelType.Client ? "client" : $"queue manager {hello.QMgrName}")} at {from}";
        var view = map.AsChannelAuth();
        return view.UserSource switch
        {
            UserSource.NoAccess when !view.Warn => new Refused("AMQ9777E", MqReason.NotAuthorized, $"channel {channelName} was blocked for the {who} by {record}"),
            UserSource.NoAccess => accepted with { Warning = $"channel {channelName} would have been blocked for the {who} by {record} WARN(YES)" },
            UserSource.Map => accepted with { McaUser = view.McaUser },
            _ => accepted,
        };
    }
}
