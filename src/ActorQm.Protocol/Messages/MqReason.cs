namespace ActorQm.Messages;

/// <summary>MQ reason codes (MQRC_*), numbered as in cmqc.h so operators can look them up.</summary>
public enum MqReason
{
    None = 0,
    ConnectionBroken = 2009,

    /// <summary>MQRC_DATA_LENGTH_ERROR: an answer (or message) is larger than the channel can carry.</summary>
    DataLengthError = 2010,
    AliasBaseQTypeError = 2001,
    ExpiryError = 2013,
    GetInhibited = 2016,

    /// <summary>MQRC_HANDLE_NOT_AVAILABLE: the connection already holds QMGR MAXHANDS open handles.</summary>
    HandleNotAvailable = 2017,

    /// <summary>MQRC_SYNCPOINT_LIMIT_REACHED: the unit of work already holds QMGR MAXUMSGS uncommitted messages.</summary>
    SyncpointLimitReached = 2024,
    MsgTooBigForQ = 2030,
    MsgTooBigForQMgr = 2031,
    NoMsgAvailable = 2033,
    NotAuthorized = 2035,

    /// <summary>MQRC_NOT_OPEN_FOR_BROWSE: a browse on a handle opened without MQOO_BROWSE.</summary>
    NotOpenForBrowse = 2036,

    /// <summary>MQRC_NOT_OPEN_FOR_INPUT: a get on a handle opened without MQOO_INPUT_*.</summary>
    NotOpenForInput = 2037,

    /// <summary>MQRC_NOT_OPEN_FOR_OUTPUT: a put on a handle opened without MQOO_OUTPUT.</summary>
    NotOpenForOutput = 2039,
    OptionNotValidForType = 2045,

    /// <summary>MQRC_OPTIONS_ERROR: options that are not valid together (or none that open anything).</summary>
    OptionsError = 2046,
    PersistenceError = 2047,
    PersistentNotAllowed = 2048,
    PriorityError = 2050,
    PutInhibited = 2051,
    QDeleted = 2052,
    QFull = 2053,
    QNotEmpty = 2055,
    QMgrNameError = 2058,
    QMgrNotAvailable = 2059,
    ChannelNotAvailable = 2537,
    HostNotAvailable = 2538,
    UnknownChannelName = 2540,
    ObjectHandleError = 2019,
    UnknownAliasBaseQ = 2082,
    UnknownObjectName = 2085,
    UnknownRemoteQMgr = 2087,
    XmitQTypeError = 2091,
    XmitQUsageError = 2092,

    /// <summary>MQRC_NOT_OPEN_FOR_PASS_ALL: MQPMO_PASS_ALL_CONTEXT on a handle opened without MQOO_PASS_ALL_CONTEXT (or SET_ALL).</summary>
    NotOpenForPassAll = 2093,

    /// <summary>MQRC_NOT_OPEN_FOR_PASS_IDENT: MQPMO_PASS_IDENTITY_CONTEXT on a handle opened without a context option that implies it.</summary>
    NotOpenForPassIdentity = 2094,

    /// <summary>MQRC_NOT_OPEN_FOR_SET_ALL: MQPMO_SET_ALL_CONTEXT on a handle opened without MQOO_SET_ALL_CONTEXT.</summary>
    NotOpenForSetAll = 2095,

    /// <summary>MQRC_NOT_OPEN_FOR_SET_IDENT: MQPMO_SET_IDENTITY_CONTEXT on a handle opened without MQOO_SET_IDENTITY_CONTEXT (or SET_ALL).</summary>
    NotOpenForSetIdentity = 2096,

    /// <summary>MQRC_CONTEXT_HANDLE_ERROR: the context handle of a pass-context put is not a handle opened with MQOO_SAVE_ALL_CONTEXT.</summary>
    ContextHandleError = 2097,

    /// <summary>MQRC_CONTEXT_NOT_AVAILABLE: the context handle has got no message whose context could be passed.</summary>
    ContextNotAvailable = 2098,
    ResourceProblem = 2102,
    QMgrStopping = 2162,
    StorageMediumFull = 2192,
    KeyRepositoryError = 2381,
    SslInitializationError = 2393,
    SslPeerNameMismatch = 2398,
    SslPeerNameError = 2399,
    SslCertificateRevoked = 2401,
    UnexpectedError = 2195,
    UnknownXmitQ = 2196,
}

/// <summary>Feedback codes (MQFB_*) that a dead-letter header may carry instead of an MQRC.</summary>
public static class MqFeedback
{
    public const int Expiration = 258;
    public const int NotDeliverable = 299;
}

/// <summary>Thrown by the in-process API when the queue manager refuses an operation.</summary>
public sealed class MqException(MqReason reason, string? detail = null)
    : Exception($"MQRC {(int)reason} ({reason}){(detail is null ? string.Empty : ": " + detail)}")
{
    public MqReason Reason { get; } = reason;

    /// <summary>What was wrong, beyond the reason code.</summary>
    public string? Detail { get; } = detail;
}
