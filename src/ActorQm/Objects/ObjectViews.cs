namespace ActorQm.Objects;

/// <summary>CHLTYPE: what a channel does.</summary>
public enum ChannelKind
{
    Sender,
    Server,
    Receiver,
    Requester,
    ServerConnection,
    ClusterSender,
    ClusterReceiver,
    ClientConnection,
}

/// <summary>CHLAUTH TYPE.</summary>
public enum ChannelAuthType
{
    BlockUser,
    BlockAddress,
    SslPeerMap,
    AddressMap,
    UserMap,
    QMgrMap,
}

/// <summary>CHLAUTH USERSRC: where a mapping record takes the MCA user from, or that it blocks.</summary>
public enum UserSource
{
    Map,
    NoAccess,
    Channel,
}

/// <summary>Typed readings of MQSC keywords; the catalog stores them as MQSC spells them (docs/mqsc.md).</summary>
public static class ObjectKeywords
{
    public static ChannelKind ChannelKind(string chltype) => chltype switch
    {
        "SDR" => Objects.ChannelKind.Sender,
        "SVR" => Objects.ChannelKind.Server,
        "RCVR" => Objects.ChannelKind.Receiver,
        "RQSTR" => Objects.ChannelKind.Requester,
        "SVRCONN" => Objects.ChannelKind.ServerConnection,
        "CLUSSDR" => Objects.ChannelKind.ClusterSender,
        "CLUSRCVR" => Objects.ChannelKind.ClusterReceiver,
        "CLNTCONN" => Objects.ChannelKind.ClientConnection,
        _ => throw new ArgumentOutOfRangeException(nameof(chltype), chltype, "not a CHLTYPE"),
    };

    /// <summary>The CHLTYPE keyword of a kind.</summary>
    public static string Keyword(this ChannelKind kind) => kind switch
    {
        Objects.ChannelKind.Sender => "SDR",
        Objects.ChannelKind.Server => "SVR",
        Objects.ChannelKind.Receiver => "RCVR",
        Objects.ChannelKind.Requester => "RQSTR",
        Objects.ChannelKind.ServerConnection => "SVRCONN",
        Objects.ChannelKind.ClusterSender => "CLUSSDR",
        Objects.ChannelKind.ClusterReceiver => "CLUSRCVR",
        _ => "CLNTCONN",
    };

    public static ChannelAuthType ChannelAuthType(string type) => type switch
    {
        "BLOCKUSER" => Objects.ChannelAuthType.BlockUser,
        "BLOCKADDR" => Objects.ChannelAuthType.BlockAddress,
        "SSLPEERMAP" => Objects.ChannelAuthType.SslPeerMap,
        "ADDRESSMAP" => Objects.ChannelAuthType.AddressMap,
        "USERMAP" => Objects.ChannelAuthType.UserMap,
        "QMGRMAP" => Objects.ChannelAuthType.QMgrMap,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a CHLAUTH TYPE"),
    };

    /// <summary>The TYPE keyword of a CHLAUTH record type.</summary>
    public static string Keyword(this ChannelAuthType type) => type switch
    {
        Objects.ChannelAuthType.BlockUser => "BLOCKUSER",
        Objects.ChannelAuthType.BlockAddress => "BLOCKADDR",
        Objects.ChannelAuthType.SslPeerMap => "SSLPEERMAP",
        Objects.ChannelAuthType.AddressMap => "ADDRESSMAP",
        Objects.ChannelAuthType.UserMap => "USERMAP",
        _ => "QMGRMAP",
    };

    public static UserSource UserSource(string usersrc) => usersrc switch
    {
        "NOACCESS" => Objects.UserSource.NoAccess,
        "CHANNEL" => Objects.UserSource.Channel,
        _ => Objects.UserSource.Map,
    };

    /// <summary>The USERSRC keyword of a user source.</summary>
    public static string Keyword(this UserSource source) => source switch
    {
        Objects.UserSource.NoAccess => "NOACCESS",
        Objects.UserSource.Channel => "CHANNEL",
        _ => "MAP",
    };

    /// <summary>A CHANNEL object as its typed view.</summary>
    public static ChannelView AsChannel(this MqObject o) => o.Type == "CHANNEL" ? new ChannelView(o) : throw NotA("CHANNEL", o);

    /// <summary>A CHLAUTH record as its typed view.</summary>
    public static ChannelAuthView AsChannelAuth(this MqObject o) => o.Type == "CHLAUTH" ? new ChannelAuthView(o) : throw NotA("CHLAUTH", o);

    /// <summary>The QMGR object as its typed view.</summary>
    public static QMgrView AsQMgr(this MqObject o) => o.Type == "QMGR" ? new QMgrView(o) : throw NotA("QMGR", o);

    /// <summary>A QREMOTE as its typed view.</summary>
    public static RemoteQueueView AsRemoteQueue(this MqObject o) => o.Type == "QREMOTE" ? new RemoteQueueView(o) : throw NotA("QREMOTE", o);

    /// <summary>An AUTHINFO object as its typed view.</summary>
    public static AuthInfoView AsAuthInfo(this MqObject o) => o.Type == "AUTHINFO" ? new AuthInfoView(o) : throw NotA("AUTHINFO", o);

    /// <summary>A local queue with USAGE(XMITQ).</summary>
    public static bool IsTransmissionQueue(this MqObject? o) => o is { Type: "QLOCAL" } && o.Text("USAGE") == "XMITQ";

    /// <summary>The queue a QALIAS resolves to (TARGET).</summary>
    public static string AliasTarget(this MqObject o) => o.Type == "QALIAS" ? o.Text("TARGET") : throw NotA("QALIAS", o);

    private static InvalidOperationException NotA(string type, MqObject o) => new($"{o.Type}({o.Name}) is not a {type}");
}

/// <summary>A CHANNEL definition, typed.</summary>
public readonly record struct ChannelView(MqObject Object)
{
    public string Name => Object.Name;

    public ChannelKind Kind => ObjectKeywords.ChannelKind(Object.Text("CHLTYPE"));

    public string ConName => Object.Text("CONNAME");

    public string XmitQ => Object.Text("XMITQ");

    public string SslCipher => Object.Text("SSLCIPH");

    public string SslPeer => Object.Text("SSLPEER");

    /// <summary>SSLCAUTH(REQUIRED), the default; OPTIONAL lets a caller come without a certificate.</summary>
    public bool ClientAuthRequired => Object.Text("SSLCAUTH") != "OPTIONAL";

    public string McaUser => Object.Text("MCAUSER");

    public string CertLabel => Object.Text("CERTLABL");

    public string Cluster => Object.Text("CLUSTER");

    /// <summary>A channel this queue manager starts and that then moves messages from its XMITQ: a sender, or a server that knows its partner (CONNAME).</summary>
    public bool StartsOutbound => Kind == ChannelKind.Sender || (Kind == ChannelKind.Server && ConName.Length > 0);

    /// <summary>A channel an initiator can call (RCVR, CLUSRCVR, SVRCONN, SVR, RQSTR): what a TLS server name may name.</summary>
    public bool Responds => Kind is ChannelKind.Receiver or ChannelKind.ClusterReceiver or ChannelKind.ServerConnection or ChannelKind.Server or ChannelKind.Requester;

    /// <summary>A channel that sends from a transmission queue (SDR, SVR).</summary>
    public bool ServesTransmissionQueue => Kind is ChannelKind.Sender or ChannelKind.Server;
}

/// <summary>A CHLAUTH record, typed.</summary>
public readonly record struct ChannelAuthView(MqObject Object)
{
    /// <summary>The channel profile the record is for (may be generic).</summary>
    public string Profile => Object.Name;

    public ChannelAuthType Type => ObjectKeywords.ChannelAuthType(Object.Text("TYPE"));

    public string Address => Object.Text("ADDRESS");

    public IReadOnlyList<string> AddressList => Object.List("ADDRLIST");

    public string SslPeer => Object.Text("SSLPEER");

    public string SslCertIssuer => Object.Text("SSLCERTI");

    public string QMgrName => Object.Text("QMNAME");

    public string ClientUser => Object.Text("CLNTUSER");

    public UserSource UserSource => ObjectKeywords.UserSource(Object.Text("USERSRC"));

    public string McaUser => Object.Text("MCAUSER");

    /// <summary>WARN(YES): a blocking record that only logs.</summary>
    public bool Warn => Object.Text("WARN") == "YES";

    /// <summary>NOACCESS outweighs the rest, and a refusing one a WARN(YES) one.</summary>
    public int Blocking => UserSource == UserSource.NoAccess ? (Warn ? 1 : 2) : 0;
}

/// <summary>The queue manager's own attributes, typed.</summary>
public readonly record struct QMgrView(MqObject Object)
{
    public string DeadLetterQueue => Object.Text("DEADQ");

    public string DefaultTransmissionQueue => Object.Text("DEFXMITQ");

    public string KeyRepository => Object.Text("SSLKEYR");

    public string CrlNamelist => Object.Text("SSLCRLNL");

    public string CertLabel => Object.Text("CERTLABL");

    /// <summary>CHLAUTH(ENABLED): channel authentication records apply.</summary>
    public bool ChannelAuthEnabled => Object.Text("CHLAUTH") == "ENABLED";
}

/// <summary>A QREMOTE, typed: the remote queue, the remote queue manager and the transmission queue to use.</summary>
public readonly record struct RemoteQueueView(MqObject Object)
{
    public string RemoteName => Object.Text("RNAME");

    public string RemoteQMgr => Object.Text("RQMNAME");

    public string XmitQ => Object.Text("XMITQ");
}

/// <summary>An AUTHINFO object, typed.</summary>
public readonly record struct AuthInfoView(MqObject Object)
{
    /// <summary>AUTHTYPE: OCSP, CRLLDAP, IDPWOS...</summary>
    public string AuthType => Object.Text("AUTHTYPE");

    public string OcspUrl => Object.Text("OCSPURL");

    public string ConName => Object.Text("CONNAME");

    public string LdapUser => Object.Text("LDAPUSER");

    /// <summary>Never logged or displayed.</summary>
    public string LdapPassword => Object.Text("LDAPPWD");
}
