namespace ActorQm.Authority;

/// <summary>The OBJTYPE of an authority record: what kind of object its profile names.</summary>
public enum AuthorityObjectType
{
    QMgr,
    Queue,
    Channel,
    ClntConn,
    Namelist,
    AuthInfo,
    Listener,
    Process,
    Service,
    Topic,
    RQMName,
    CommInfo,
}

/// <summary>MQSC names of <see cref="AuthorityObjectType"/> and the authorities valid on each (MQ's table).</summary>
public static class AuthorityObjectTypes
{
    public static AuthorityObjectType? Parse(string keyword) => keyword.ToUpperInvariant() switch
    {
        "QMGR" => AuthorityObjectType.QMgr,
        "QUEUE" => AuthorityObjectType.Queue,
        "CHANNEL" => AuthorityObjectType.Channel,
        "CLNTCONN" => AuthorityObjectType.ClntConn,
        "NAMELIST" => AuthorityObjectType.Namelist,
        "AUTHINFO" => AuthorityObjectType.AuthInfo,
        "LISTENER" => AuthorityObjectType.Listener,
        "PROCESS" => AuthorityObjectType.Process,
        "SERVICE" => AuthorityObjectType.Service,
        "TOPIC" => AuthorityObjectType.Topic,
        "RQMNAME" => AuthorityObjectType.RQMName,
        "COMMINFO" => AuthorityObjectType.CommInfo,
        _ => null,
    };

    public static string Format(AuthorityObjectType type) => type.ToString().ToUpperInvariant();

    /// <summary>
    /// The authorities a record of this type may hold. ALL, ALLADM and ALLMQI grant what is valid on
    /// the type; a single keyword outside it is refused at SET AUTHREC (AMQ8079E-like).
    /// </summary>
    public static AuthorityKind ValidOn(AuthorityObjectType type) => type switch
    {
        AuthorityObjectType.QMgr => AuthorityKind.Connect | AuthorityKind.Inq | AuthorityKind.Set | AuthorityKind.SetId | AuthorityKind.SetAll
            | AuthorityKind.AltUsr | AuthorityKind.Crt | AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg | AuthorityKind.System,
        AuthorityObjectType.Queue => AuthorityKind.Browse | AuthorityKind.Get | AuthorityKind.Put | AuthorityKind.Inq | AuthorityKind.Set
            | AuthorityKind.PassId | AuthorityKind.PassAll | AuthorityKind.SetId | AuthorityKind.SetAll
            | AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg | AuthorityKind.Clr,
        AuthorityObjectType.RQMName => AuthorityKind.Put,
        AuthorityObjectType.Channel => AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg | AuthorityKind.Ctrl | AuthorityKind.CtrlX,
        AuthorityObjectType.Listener or AuthorityObjectType.Service => AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg | AuthorityKind.Ctrl,
        AuthorityObjectType.Topic => AuthorityKind.Pub | AuthorityKind.Sub | AuthorityKind.Resume | AuthorityKind.PassId | AuthorityKind.PassAll
            | AuthorityKind.SetId | AuthorityKind.SetAll | AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg | AuthorityKind.Clr | AuthorityKind.Ctrl,
        AuthorityObjectType.Namelist or AuthorityObjectType.AuthInfo or AuthorityObjectType.Process =>
            AuthorityKind.Inq | AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg,
        _ => AuthorityKind.Dlt | AuthorityKind.Dsp | AuthorityKind.Chg,
    };
}
