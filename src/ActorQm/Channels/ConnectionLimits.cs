using ActorQm.Objects;

namespace ActorQm.Channels;

/// <summary>
/// What one client connection on a server-connection channel may hold, fixed when it connects
/// (docs/protocol.md, "Limits of a client connection").
/// </summary>
/// <param name="MaxHandles">QMGR MAXHANDS: open handles; an MQOPEN beyond it is MQRC 2017.</param>
/// <param name="MaxUncommitted">QMGR MAXUMSGS: puts and gets in the unit of work; one beyond it is MQRC 2024.</param>
/// <param name="MaxReplyBytes">The largest frame the connection's transport sends; a larger answer is MQRC 2010.</param>
/// <param name="MaxMessageLength">QMGR MAXMSGL: the client is told it at connect (with the channel's MAXMSGL, the smaller) and
/// refuses a longer put itself with MQRC 2031, before it sends a frame the transport would have to cut.</param>
public sealed record ConnectionLimits(int MaxHandles, int MaxUncommitted, int MaxReplyBytes, int MaxMessageLength = 4 * 1024 * 1024)
{
    /// <summary>
    /// How long a call may wait for the queue manager beyond its own MQGET wait; past it the outcome is unknown and the
    /// connection ends with AMQ9999E, as a broken one would (docs/protocol.md, "Serving calls").
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>MQ's defaults (MAXHANDS 256, MAXUMSGS 10000, MAXMSGL 4 MiB) and the transport's default frame limit.</summary>
    public static readonly ConnectionLimits Default = new(256, 10_000, new Tls.Transport.Settings().MaxFrameBytes);

    /// <summary>The queue manager's values now; a definition from before these attributes existed has MQ's defaults.</summary>
    public static ConnectionLimits Of(MqObject qmgr, int maxReplyBytes) => new(
        qmgr.Attributes.TryGetValue("MAXHANDS", out var handles) ? (int)(long)handles : Default.MaxHandles,
        qmgr.Attributes.TryGetValue("MAXUMSGS", out var uncommitted) ? (int)(long)uncommitted : Default.MaxUncommitted,
        maxReplyBytes,
        qmgr.Attributes.TryGetValue("MAXMSGL", out var length) ? (int)(long)length : Default.MaxMessageLength);
}
