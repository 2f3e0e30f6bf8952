using System.Globalization;
using ActorQm.Objects;
using ActorQm.Protocol;

namespace ActorQm.Channels;

/// <summary>What a running channel needs from its CHANNEL definition, read once at start (MQ semantics: ALTER applies at the next start).</summary>
public sealed record ChannelDefinition(
    string Name,
    ChannelKind Kind,
    string Host,
    int Port,
    string XmitQ,
    int BatchSize,
    TimeSpan BatchInterval,
    long BatchLimitBytes,
    TimeSpan DisconnectInterval,
    TimeSpan HeartbeatInterval,
    int ShortRetries,
    TimeSpan ShortTimer,
    int LongRetries,
    TimeSpan LongTimer,
    int SequenceWrap,
    bool FastNonPersistent,
    bool UseDeadLetterQueue,
    int MessageRetries,
    TimeSpan MessageRetryTimer,
    int MaxMessageLength,
    string SslCiph,
    long KeyResetBytes)
{
    public ChannelType WireType => Kind switch
    {
        ChannelKind.Sender or ChannelKind.ClusterSender => ChannelType.Sender,
        ChannelKind.Server => ChannelType.Server,
        ChannelKind.Requester => ChannelType.Requester,
        _ => ChannelType.Receiver,
    };

    /// <param name="keyResetBytes">QMGR SSLRKEYC: bytes after which the session key is renewed (0: never; below 32 KiB counts as 32 KiB).</param>
    public static ChannelDefinition From(MqObject o, long keyResetBytes = 0)
    {
        var (host, port) = ParseConName(o.Text("CONNAME"));
        return new ChannelDefinition(
            o.Name,
            o.AsChannel().Kind,
            host,
            port,
            o.Text("XMITQ"),
            Number(o, "BATCHSZ", 50),
            TimeSpan.FromMilliseconds(Number(o, "BATCHINT", 0)),
            Number(o, "BATCHLIM", 5000) * 1024L,
            TimeSpan.FromSeconds(Number(o, "DISCINT", 6000)),
            TimeSpan.FromSeconds(Number(o, "HBINT", 300)),
            Number(o, "SHORTRTY", 10),
            TimeSpan.FromSeconds(Number(o, "SHORTTMR", 60)),
            Number(o, "LONGRTY", 999_999_999),
            TimeSpan.FromSeconds(Number(o, "LONGTMR", 1200)),
            Number(o, "SEQWRAP", 999_999_999),
            o.Text("NPMSPEED") != "NORMAL",
            o.Text("USEDLQ") != "NO",
            Number(o, "MRRTY", 10),
            TimeSpan.FromMilliseconds(Number(o, "MRTMR", 1000)),
            Number(o, "MAXMSGL", 4_194_304),
            o.Text("SSLCIPH"),
            keyResetBytes is > 0 and < 32 * 1024 ? 32 * 1024 : keyResetBytes)
        {
            Addresses = ParseConNameList(o.Text("CONNAME")),
            MaxInstances = Number(o, "MAXINST", 999_999_999),
            MaxInstancesPerClient = Number(o, "MAXINSTC", 999_999_999),
            PutAuthority = o.Text("PUTAUT") switch
            {
                "CTX" => PutAuthority.Context,
                "ONLYMCA" => PutAuthority.OnlyMca,
                "ALTMCA" => PutAuthority.AlternateMca,
                _ => PutAuthority.Default,
            },
        };
    }

    /// <summary>PUTAUT of a receiving channel: whose authority its puts are checked for (docs/security.md, "Message channels: PUTAUT").</summary>
    public PutAuthority PutAuthority { get; init; }

    /// <summary>MAXINST of a server-connection channel: how many instances may run at once (0: no client may connect).</summary>
    public int MaxInstances { get; init; } = 999_999_999;

    /// <summary>MAXINSTC: how many of those may come from one client address at once.</summary>
    public int MaxInstancesPerClient { get; init; } = 999_999_999;

    /// <summary>
    /// Every address of a CONNAME list ('host(port),host(port)'), tried in order at each connect
    /// attempt: how a channel finds a queue manager that may run on any of several nodes.
    /// </summary>
    public IReadOnlyList<(string Host, int Port)> Addresses { get; init; } = [];

    /// <summary>The addresses to try: the CONNAME list, or the single Host/Port of a definition built without one.</summary>
    public IReadOnlyList<(string Host, int Port)> ConnectAddresses => Addresses.Count > 0 ? Addresses : Host.Length > 0 ? [(Host, Port)] : [];

    /// <summary>Every host(port) of a comma-separated CONNAME list; the port defaults to 1414 as in MQ.</summary>
    public static IReadOnlyList<(string Host, int Port)> ParseConNameList(string conname) =>
        conname.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => ParseConName(part))
            .ToList();

    /// <summary>The first address of CONNAME('host(port)[,host(port)...]'); the port defaults to 1414 as in MQ.</summary>
    public static (string Host, int Port) ParseConName(string conname)
    {
        var first = conname.Split(',')[0].Trim();
        if (first.Length == 0)
        {
            return (string.Empty, 0);
        }

        var open = first.IndexOf('(');
        if (open < 0)
        {
            return (first, 1414);
        }

        return int.TryParse(first.AsSpan(open + 1, first.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && first.EndsWith(')')
            ? (first[..open], port)
            : throw new FormatException($"CONNAME('{conname}') is not host(port)");
    }

    private static int Number(MqObject o, string name, int fallback) =>
        o.Attributes.ContainsKey(name) ? (int)o.Number(name) : fallback;
}

/// <summary>MQ's PUTAUT values. ActorQm channels carry no user ID of their own, so ONLYMCA acts as DEF and ALTMCA as CTX (z/OS's definitions with no network user).</summary>
public enum PutAuthority
{
    /// <summary>DEF: the channel's principal (its MCAUSER) needs PUT and SETALL on each target.</summary>
    Default,

    /// <summary>CTX: the message's UserIdentifier needs PUT; the channel's principal SETALL and ALTUSR.</summary>
    Context,

    /// <summary>ONLYMCA: only the channel's principal is used, as DEF.</summary>
    OnlyMca,

    /// <summary>ALTMCA: the message's UserIdentifier is used, as CTX.</summary>
    AlternateMca,
}

/// <summary>What each PUTAUT checks.</summary>
public static class PutAuthorities
{
    /// <summary>Whether puts are checked for the message's own UserIdentifier (CTX, ALTMCA).</summary>
    public static bool ChecksMessageUser(this PutAuthority putAuthority) => putAuthority is PutAuthority.Context or PutAuthority.AlternateMca;
}
