using ActorQm.Messages;
using ActorQm.Tls;
using Microsoft.Extensions.Logging;

namespace ActorQm.Hosting.Diagnostics;

/// <summary>
/// The runtime's security and channel events as source-generated log messages whose event id is the AMQ number and
/// whose name is the AMQ code (docs/operations.md, "Structured logs"): a log pipeline can filter AMQ9633 without
/// parsing text, and the fields (channel, connection name, peer DN, serial, issuer, step, reason) arrive as fields.
/// A code this table does not list is logged under AMQ9999 with its own code in the AmqCode field.
/// </summary>
internal static partial class AmqEventLog
{
    private const string Refused = "{AmqCode}: {Role} handshake of connection {ConnectionId} from {ConnectionName} (channel {Channel}) refused at {Step}, MQRC {Reason}; peer {PeerDn}, serial {PeerSerial}, issuer {PeerIssuer}: {Detail}";
    private const string Warned = "{AmqCode}: {Role} handshake of connection {ConnectionId} from {ConnectionName} (channel {Channel}): {Detail}";
    private const string Ended = "{AmqCode}: channel {Channel} of queue manager {QMgr} ended: {Detail}";

    private delegate void RefusalMessage(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
        HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

    private delegate void EndedMessage(ILogger logger, string amqCode, string channel, string qmgr, string detail);

    private static readonly Dictionary<string, RefusalMessage> Refusals = new()
    {
        ["AMQ9206E"] = HandshakeMessages.Refused9206,
        ["AMQ9208E"] = HandshakeMessages.Refused9208,
        ["AMQ9504E"] = HandshakeMessages.Refused9504,
        ["AMQ9616E"] = HandshakeMessages.Refused9616,
        ["AMQ9631E"] = HandshakeMessages.Refused9631,
        ["AMQ9633E"] = HandshakeMessages.Refused9633,
        ["AMQ9635E"] = HandshakeMessages.Refused9635,
        ["AMQ9636E"] = HandshakeMessages.Refused9636,
        ["AMQ9637E"] = HandshakeMessages.Refused9637,
        ["AMQ9638E"] = HandshakeMessages.Refused9638,
        ["AMQ9639E"] = HandshakeMessages.Refused9639,
        ["AMQ9641E"] = HandshakeMessages.Refused9641,
        ["AMQ9642E"] = HandshakeMessages.Refused9642,
        ["AMQ9643E"] = HandshakeMessages.Refused9643,
        ["AMQ9657E"] = HandshakeMessages.Refused9657,
        ["AMQ9660E"] = HandshakeMessages.Refused9660,
        ["AMQ9665E"] = HandshakeMessages.Refused9665,
        ["AMQ9666E"] = HandshakeMessages.Refused9666,
        ["AMQ9716E"] = HandshakeMessages.Refused9716,
        ["AMQ9777E"] = HandshakeMessages.Refused9777,
    };

    private static readonly Dictionary<string, EndedMessage> Endings = new()
    {
        ["AMQ9202E"] = ChannelMessages.Ended9202,
        ["AMQ9206E"] = ChannelMessages.Ended9206,
        ["AMQ9208E"] = ChannelMessages.Ended9208,
        ["AMQ9209E"] = ChannelMessages.Ended9209,
        ["AMQ9228E"] = ChannelMessages.Ended9228,
        ["AMQ9259E"] = ChannelMessages.Ended9259,
        ["AMQ9503E"] = ChannelMessages.Ended9503,
        ["AMQ9504E"] = ChannelMessages.Ended9504,
        ["AMQ9513E"] = ChannelMessages.Ended9513,
        ["AMQ9514E"] = ChannelMessages.Ended9514,
        ["AMQ9519E"] = ChannelMessages.Ended9519,
        ["AMQ9520E"] = ChannelMessages.Ended9520,
        ["AMQ9526E"] = ChannelMessages.Ended9526,
        ["AMQ9544E"] = ChannelMessages.Ended9544,
        ["AMQ9547E"] = ChannelMessages.Ended9547,
        ["AMQ9631E"] = ChannelMessages.Ended9631,
        ["AMQ9633E"] = ChannelMessages.Ended9633,
        ["AMQ9636E"] = ChannelMessages.Ended9636,
        ["AMQ9639E"] = ChannelMessages.Ended9639,
        ["AMQ9641E"] = ChannelMessages.Ended9641,
        ["AMQ9643E"] = ChannelMessages.Ended9643,
        ["AMQ9665E"] = ChannelMessages.Ended9665,
        ["AMQ9777E"] = ChannelMessages.Ended9777,
        ["AMQ9999E"] = ChannelMessages.Ended9999,
    };

    /// <summary>The AMQ numbers with a message of their own: what a spec compares with the codes the runtime can raise.</summary>
    public static IEnumerable<string> RefusalCodes => Refusals.Keys;

    /// <inheritdoc cref="RefusalCodes"/>
    public static IEnumerable<string> ChannelCodes => Endings.Keys;

    // Every text field may come from a peer (names in its certificate, a channel name it sent): printable, one line each.
    public static void Log(ILogger logger, Handshake.ChannelSslError e) =>
        Refusals.GetValueOrDefault(e.AmqCode, HandshakeMessages.RefusedOther)(logger, e.AmqCode, e.Role, e.ConnectionId, LogText.PrintableOrNull(e.ConnectionName),
            LogText.PrintableOrNull(e.ChannelName), e.Step, (int)e.Reason, LogText.PrintableOrNull(e.PeerSubject), LogText.PrintableOrNull(e.PeerSerial),
            LogText.PrintableOrNull(e.PeerIssuer), LogText.Printable(e.Detail));

    public static void Log(ILogger logger, Handshake.ChannelSslWarning e) =>
        HandshakeMessages.Warned9717(logger, e.AmqCode, e.Role, e.ConnectionId, LogText.PrintableOrNull(e.ConnectionName), LogText.PrintableOrNull(e.ChannelName), LogText.Printable(e.Detail));

    public static void Log(ILogger logger, ActorQm.Channels.Channel.ChannelFailed e) =>
        Endings.GetValueOrDefault(e.AmqCode, ChannelMessages.Ended9999)(logger, e.AmqCode, LogText.Printable(e.ChannelName), e.QMgrName, LogText.Printable(e.Detail));

    /// <summary>Event names are unique per class: a code that is both a refusal and a channel's end has one of each.</summary>
    private static partial class HandshakeMessages
    {
        [LoggerMessage(EventId = 9999, EventName = "AMQ9999E", Level = LogLevel.Error, Message = Refused)]
        public static partial void RefusedOther(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9717, EventName = "AMQ9717W", Level = LogLevel.Warning, Message = Warned)]
        public static partial void Warned9717(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel, string detail);

        [LoggerMessage(EventId = 9206, EventName = "AMQ9206E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9206(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9208, EventName = "AMQ9208E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9208(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9504, EventName = "AMQ9504E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9504(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9616, EventName = "AMQ9616E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9616(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9631, EventName = "AMQ9631E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9631(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9633, EventName = "AMQ9633E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9633(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9635, EventName = "AMQ9635E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9635(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9636, EventName = "AMQ9636E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9636(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9637, EventName = "AMQ9637E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9637(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9638, EventName = "AMQ9638E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9638(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9639, EventName = "AMQ9639E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9639(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9641, EventName = "AMQ9641E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9641(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9642, EventName = "AMQ9642E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9642(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9643, EventName = "AMQ9643E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9643(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9657, EventName = "AMQ9657E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9657(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9660, EventName = "AMQ9660E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9660(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9665, EventName = "AMQ9665E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9665(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9666, EventName = "AMQ9666E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9666(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9716, EventName = "AMQ9716E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9716(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);

        [LoggerMessage(EventId = 9777, EventName = "AMQ9777E", Level = LogLevel.Error, Message = Refused)]
        public static partial void Refused9777(ILogger logger, string amqCode, HandshakeRole role, string connectionId, string? connectionName, string? channel,
            HandshakeStep step, int reason, string? peerDn, string? peerSerial, string? peerIssuer, string detail);
    }

    private static partial class ChannelMessages
    {
        [LoggerMessage(EventId = 9202, EventName = "AMQ9202E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9202(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9206, EventName = "AMQ9206E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9206(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9208, EventName = "AMQ9208E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9208(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9209, EventName = "AMQ9209E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9209(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9228, EventName = "AMQ9228E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9228(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9259, EventName = "AMQ9259E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9259(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9503, EventName = "AMQ9503E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9503(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9504, EventName = "AMQ9504E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9504(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9513, EventName = "AMQ9513E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9513(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9514, EventName = "AMQ9514E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9514(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9519, EventName = "AMQ9519E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9519(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9520, EventName = "AMQ9520E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9520(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9526, EventName = "AMQ9526E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9526(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9544, EventName = "AMQ9544E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9544(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9547, EventName = "AMQ9547E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9547(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9631, EventName = "AMQ9631E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9631(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9633, EventName = "AMQ9633E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9633(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9636, EventName = "AMQ9636E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9636(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9639, EventName = "AMQ9639E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9639(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9641, EventName = "AMQ9641E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9641(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9643, EventName = "AMQ9643E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9643(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9665, EventName = "AMQ9665E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9665(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9777, EventName = "AMQ9777E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9777(ILogger logger, string amqCode, string channel, string qmgr, string detail);

        [LoggerMessage(EventId = 9999, EventName = "AMQ9999E", Level = LogLevel.Error, Message = Ended)]
        public static partial void Ended9999(ILogger logger, string amqCode, string channel, string qmgr, string detail);
    }
}
