using System.Collections.Frozen;

namespace ActorQm.Objects;

internal enum AttributeKind
{
    Text,
    Integer,
    Choice,
    List,
}

/// <summary>
/// One attribute an object type accepts: its kind, limits, default and, for channels, the channel
/// types it is valid for (null: all).
/// </summary>
internal sealed record AttributeSpec(
    string Name,
    AttributeKind Kind,
    object Default,
    int MaxLength = 48,
    long Min = 0,
    long Max = 999_999_999,
    string[]? Choices = null,
    string[]? ChannelTypes = null,
    bool Secret = false)
{
    public bool ValidFor(string? channelType) => ChannelTypes is null || channelType is null || ChannelTypes.Contains(channelType);
}

/// <summary>A bare keyword that sets an attribute, e.g. TRIGGER / NOTRIGGER.</summary>
internal sealed record FlagSpec(string Keyword, string Attribute, string Value);

/// <summary>What each object type accepts, with MQ's limits and defaults.</summary>
internal sealed record ObjectSchema(string Type, string Namespace, IReadOnlyList<AttributeSpec> Attributes, IReadOnlyList<FlagSpec> Flags)
{
    private readonly FrozenDictionary<string, AttributeSpec> _byName = Attributes.ToFrozenDictionary(a => a.Name);

    public AttributeSpec? Find(string name) => _byName.GetValueOrDefault(name);
}

internal static class MqscSchema
{
    private static readonly string[] All = ["SDR", "SVR", "RCVR", "RQSTR", "SVRCONN", "CLNTCONN", "CLUSSDR", "CLUSRCVR"];
    private static readonly string[] MessageChannels = ["SDR", "SVR", "RCVR", "RQSTR", "CLUSSDR", "CLUSRCVR"];
    private static readonly string[] Senders = ["SDR", "SVR", "CLUSSDR", "CLUSRCVR"];
    private static readonly string[] Receivers = ["RCVR", "RQSTR", "CLUSRCVR"];
    private static readonly string[] Responders = ["SVR", "RCVR", "RQSTR", "SVRCONN", "CLUSRCVR"];

    public static readonly string[] ChannelTypes = All;

    private static AttributeSpec Text(string name, int max, string def = "", bool secret = false) => new(name, AttributeKind.Text, def, MaxLength: max, Secret: secret);
    private static AttributeSpec Int(string name, long min, long max, long def, string[]? chl = null) => new(name, AttributeKind.Integer, def, Min: min, Max: max, ChannelTypes: chl);
    private static AttributeSpec Choice(string name, string def, params string[] choices) => new(name, AttributeKind.Choice, def, Choices: choices);
    private static AttributeSpec ChlText(string name, int max, string[] chl, string def = "") => new(name, AttributeKind.Text, def, MaxLength: max, ChannelTypes: chl);
    private static AttributeSpec ChlChoice(string name, string def, string[] chl, params string[] choices) => new(name, AttributeKind.Choice, def, Choices: choices, ChannelTypes: chl);

    private static readonly AttributeSpec[] QueueCommon =
    [
        Text("DESCR", 64),
        Choice("PUT", "ENABLED", "ENABLED", "DISABLED"),
        Int("DEFPRTY", 0, 9, 0),
        Choice("DEFPSIST", "NO", "NO", "YES"),
        Choice("DEFREADA", "NO", "NO", "YES", "DISABLED"),
    ];

    public static readonly ObjectSchema QLocal = new("QLOCAL", "QUEUE",
    [
        .. QueueCommon,
        Choice("GET", "ENABLED", "ENABLED", "DISABLED"),
        Int("MAXDEPTH", 0, 999_999_999, 5000),
        Int("MAXMSGL", 0, 104_857_600, 4_194_304),
        Choice("USAGE", "NORMAL", "NORMAL", "XMITQ"),
        Choice("TRIGGER", "NO", "NO", "YES"),
        Choice("TRIGTYPE", "FIRST", "FIRST", "EVERY", "DEPTH", "NONE"),
        Text("INITQ", 48),
        Text("TRIGDATA", 64),
        Text("PROCESS", 48),
        Int("BOTHRESH", 0, 999_999_999, 0),
        Text("BOQNAME", 48),
        Text("CLUSTER", 48),
    ],
    [new FlagSpec("TRIGGER", "TRIGGER", "YES"), new FlagSpec("NOTRIGGER", "TRIGGER", "NO")]);

    public static readonly ObjectSchema QRemote = new("QREMOTE", "QUEUE",
    [
        .. QueueCommon,
        Text("RNAME", 48),
        Text("RQMNAME", 48),
        Text("XMITQ", 48),
    ], []);

    public static readonly ObjectSchema QAlias = new("QALIAS", "QUEUE",
    [
        .. QueueCommon,
        Choice("GET", "ENABLED", "ENABLED", "DISABLED"),
        Text("TARGET", 48),
        Choice("TARGTYPE", "QUEUE", "QUEUE"),
    ], []);

    public static readonly ObjectSchema QMgr = new("QMGR", "QMGR",
    [
        Text("DESCR", 64),
        Text("DEADQ", 48),
        Text("DEFXMITQ", 48),
        Int("MAXMSGL", 32_768, 104_857_600, 4_194_304),
        Int("MAXHANDS", 0, 999_999_999, 256),
        Int("MAXUMSGS", 1, 999_999_999, 10_000),
        Text("SSLKEYR", 256),
        Text("CERTLABL", 64),
        Text("SSLCRLNL", 48),
        Int("SSLRKEYC", 0, 999_999_999, 0),
        Choice("SSLFIPS", "NO", "NO", "YES"),
        Choice("SUITEB", "NONE", "NONE", "128_BIT", "192_BIT"),
        Choice("CERTVPOL", "ANY", "ANY", "RFC5280"),
        Choice("SSLEV", "DISABLED", "ENABLED", "DISABLED"),
        Choice("CHLAUTH", "ENABLED", "ENABLED", "DISABLED"),
    ], []);

    public static readonly ObjectSchema Channel = new("CHANNEL", "CHANNEL",
    [
        new AttributeSpec("CHLTYPE", AttributeKind.Choice, "", Choices: All),
        Text("DESCR", 64),
        Choice("TRPTYPE", "TCP", "TCP"),
        ChlText("CONNAME", 264, ["SDR", "SVR", "RQSTR", "CLNTCONN", "CLUSSDR", "CLUSRCVR"]),
        ChlText("XMITQ", 48, ["SDR", "SVR"]),
        Text("SSLCIPH", 32),
        Text("SSLPEER", 1024),
        Text("CERTLABL", 64),
        ChlChoice("SSLCAUTH", "REQUIRED", Responders, "REQUIRED", "OPTIONAL"),
        Int("BATCHSZ", 1, 9999, 50, MessageChannels),
        Int("BATCHINT", 0, 999_999_999, 0, Senders),
        Int("BATCHLIM", 0, 999_999, 5000, Senders),
        Int("BATCHHB", 0, 999_999_999, 0, Senders),
        Int("DISCINT", 0, 999_999, 6000, [.. Senders, "SVRCONN"]),
        Int("HBINT", 0, 999_999, 300),
        Int("SHORTRTY", 0, 999_999_999, 10, Senders),
        Int("SHORTTMR", 0, 999_999, 60, Senders),
        Int("LONGRTY", 0, 999_999_999, 999_999_999, Senders),
        Int("LONGTMR", 0, 999_999, 1200, Senders),
        Int("SEQWRAP", 100, 999_999_999, 999_999_999, MessageChannels),
        ChlChoice("NPMSPEED", "FAST", MessageChannels, "FAST", "NORMAL"),
        ChlText("MCAUSER", 64, [.. MessageChannels, "SVRCONN"]),
        ChlChoice("USEDLQ", "YES", MessageChannels, "YES", "NO"),
        Int("MRRTY", 0, 999_999_999, 10, [.. Receivers, "CLUSSDR"]),
        Int("MRTMR", 0, 999_999_999, 1000, [.. Receivers, "CLUSSDR"]),
        ChlChoice("PUTAUT", "DEF", [.. Receivers, "SVRCONN"], "DEF", "CTX", "ONLYMCA", "ALTMCA"),
        Int("MAXINST", 0, 999_999_999, 999_999_999, ["SVRCONN"]),
        Int("MAXINSTC", 0, 999_999_999, 999_999_999, ["SVRCONN"]),
        Int("SHARECNV", 0, 999_999_999, 10, ["SVRCONN", "CLNTCONN"]),
        ChlText("QMNAME", 48, ["CLNTCONN"]),
        Int("MAXMSGL", 0, 104_857_600, 4_194_304),
        ChlText("CLUSTER", 48, ["CLUSSDR", "CLUSRCVR"]),
        ChlText("CLUSNL", 48, ["CLUSSDR", "CLUSRCVR"]),
    ], []);

    public static readonly ObjectSchema AuthInfo = new("AUTHINFO", "AUTHINFO",
    [
        new AttributeSpec("AUTHTYPE", AttributeKind.Choice, "", Choices: ["OCSP", "CRLLDAP", "IDPWOS", "IDPWLDAP"]),
        Text("DESCR", 64),
        Text("OCSPURL", 256),
        Text("CONNAME", 264),
        Text("LDAPUSER", 1024),
        Text("LDAPPWD", 32, secret: true),
    ], []);

    public static readonly ObjectSchema Namelist = new("NAMELIST", "NAMELIST",
    [
        Text("DESCR", 64),
        new AttributeSpec("NAMES", AttributeKind.List, Array.Empty<string>(), MaxLength: 48),
    ], []);

    public static readonly ObjectSchema Listener = new("LISTENER", "LISTENER",
    [
        Text("DESCR", 64),
        Choice("TRPTYPE", "TCP", "TCP"),
        Int("PORT", 0, 65_535, 1414),
        Text("IPADDR", 48),
        Choice("CONTROL", "MANUAL", "MANUAL", "QMGR", "STARTONLY"),
        Int("BACKLOG", 0, 999_999_999, 0),
    ], []);

    public static readonly ObjectSchema ChlAuth = new("CHLAUTH", "CHLAUTH",
    [
        new AttributeSpec("TYPE", AttributeKind.Choice, "", Choices: ["BLOCKUSER", "BLOCKADDR", "SSLPEERMAP", "ADDRESSMAP", "USERMAP", "QMGRMAP"]),
        Text("DESCR", 64),
        Text("SSLPEER", 1024),
        Text("SSLCERTI", 1024),
        Text("ADDRESS", 48),
        new AttributeSpec("ADDRLIST", AttributeKind.List, Array.Empty<string>(), MaxLength: 48),
        new AttributeSpec("USERLIST", AttributeKind.List, Array.Empty<string>(), MaxLength: 64),
        Text("QMNAME", 48),
        Text("CLNTUSER", 1024),
        Choice("USERSRC", "MAP", "MAP", "NOACCESS", "CHANNEL"),
        Text("MCAUSER", 64),
        Choice("WARN", "NO", "NO", "YES"),
    ], []);

    /// <summary>
    /// An authority record as the catalog keeps it (the object's name is its PROFILE): SET AUTHREC
    /// takes PRINCIPAL or GROUP with AUTHADD and AUTHRMV and stores the entity and the resulting list.
    /// </summary>
    public static readonly ObjectSchema AuthRec = new("AUTHREC", "AUTHREC",
    [
        new AttributeSpec("OBJTYPE", AttributeKind.Choice, "", Choices: ["QMGR", "QUEUE", "CHANNEL", "CLNTCONN", "NAMELIST", "AUTHINFO", "LISTENER", "PROCESS", "SERVICE", "TOPIC", "RQMNAME", "COMMINFO"]),
        new AttributeSpec("ENTTYPE", AttributeKind.Choice, "", Choices: ["PRINCIPAL", "GROUP"]),
        Text("ENTITY", 64),
        new AttributeSpec("AUTHLIST", AttributeKind.List, Array.Empty<string>(), MaxLength: 8),
    ], []);

    private static readonly FrozenDictionary<string, ObjectSchema> ByType = new[]
    {
        QLocal, QRemote, QAlias, QMgr, Channel, AuthInfo, Namelist, Listener, ChlAuth, AuthRec,
    }.ToFrozenDictionary(s => s.Type);

    public static ObjectSchema? For(string type) => ByType.GetValueOrDefault(type);

    /// <summary>Attributes whose values are never shown or logged (LDAPPWD).</summary>
    public static IReadOnlyList<string> SecretAttributes { get; } =
        ByType.Values.SelectMany(s => s.Attributes).Where(a => a.Secret).Select(a => a.Name).Distinct().ToArray();
}
