namespace ActorQm.Messages;

/// <summary>What a reason code means and what to do about it, for <c>actorqm mqrc</c> and docs/messages.md.</summary>
/// <param name="Reason">The code.</param>
/// <param name="Name">MQ's constant, e.g. MQRC_NOT_AUTHORIZED.</param>
/// <param name="Explanation">What happened.</param>
/// <param name="Action">What the caller or the administrator does about it.</param>
public sealed record MqReasonInfo(MqReason Reason, string Name, string Explanation, string Action)
{
    /// <summary>The code as MQ prints it: decimal and 4-digit hexadecimal.</summary>
    public string Code => $"{(int)Reason} (X'{(int)Reason:X4}')";

    /// <summary>Every reason ActorQm returns, in code order.</summary>
    public static IReadOnlyList<MqReasonInfo> All { get; } = Table().OrderBy(i => (int)i.Reason).ToList();

    /// <summary>
    /// The reason a text names: a decimal code (2035), a hexadecimal one (0x7F3, X'07F3', 07F3), MQ's
    /// constant (MQRC_NOT_AUTHORIZED, NOT_AUTHORIZED) or the enum name (NotAuthorized); null when none.
    /// </summary>
    public static MqReasonInfo? Find(string text)
    {
        var t = text.Trim();
        if (int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var dec) && All.FirstOrDefault(i => (int)i.Reason == dec) is { } byNumber)
        {
            return byNumber;
        }

        var hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t[2..]
            : t.StartsWith("X'", StringComparison.OrdinalIgnoreCase) && t.EndsWith('\'') ? t[2..^1]
            : t;
        if (int.TryParse(hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var h) && All.FirstOrDefault(i => (int)i.Reason == h) is { } byHex)
        {
            return byHex;
        }

        var name = t.ToUpperInvariant();
        return All.FirstOrDefault(i => i.Name == name || i.Name == "MQRC_" + name || string.Equals(i.Reason.ToString(), t, StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<MqReasonInfo> Table()
    {
        MqReasonInfo I(MqReason r, string name, string explanation, string action) => new(r, name, explanation, action);
        yield return I(MqReason.None, "MQRC_NONE", "The call completed normally.", "None.");
        yield return I(MqReason.AliasBaseQTypeError, "MQRC_ALIAS_BASE_Q_TYPE_ERROR", "An alias queue resolves to an object that is not a queue this operation can use.", "Point the QALIAS TARGET at a local or remote queue.");
        yield return I(MqReason.ConnectionBroken, "MQRC_CONNECTION_BROKEN", "The connection to the queue manager ended: the network, the queue manager stopping, or a refusal whose reason the queue manager logged.", "Reconnect; if it repeats, read the queue manager's log for the AMQ message of the same time.");
        yield return I(MqReason.DataLengthError, "MQRC_DATA_LENGTH_ERROR", "A message or an answer is larger than the channel or connection can carry; a message got this way stays on its queue.", "Raise the channel's MAXMSGL (both ends) or the transport frame limit, or send smaller messages.");
        yield return I(MqReason.ExpiryError, "MQRC_EXPIRY_ERROR", "The descriptor's Expiry is neither positive nor unlimited (-1).", "Set Expiry to tenths of a second, or -1.");
        yield return I(MqReason.GetInhibited, "MQRC_GET_INHIBITED", "The queue has GET(DISABLED).", "ALTER the queue GET(ENABLED) when gets may resume.");
        yield return I(MqReason.HandleNotAvailable, "MQRC_HANDLE_NOT_AVAILABLE", "The connection already holds the queue manager's MAXHANDS open handles.", "Close handles the application no longer needs, or raise ALTER QMGR MAXHANDS.");
        yield return I(MqReason.ObjectHandleError, "MQRC_HOBJ_ERROR", "The object handle is not one this connection has open.", "Use a handle this connection opened and has not closed.");
        yield return I(MqReason.SyncpointLimitReached, "MQRC_SYNCPOINT_LIMIT_REACHED", "The unit of work already holds the queue manager's MAXUMSGS uncommitted messages.", "Commit more often, or raise ALTER QMGR MAXUMSGS.");
        yield return I(MqReason.MsgTooBigForQ, "MQRC_MSG_TOO_BIG_FOR_Q", "The message is longer than the queue's MAXMSGL.", "Send a smaller message or ALTER the queue's MAXMSGL.");
        yield return I(MqReason.MsgTooBigForQMgr, "MQRC_MSG_TOO_BIG_FOR_Q_MGR", "The message is longer than the queue manager's MAXMSGL.", "Send a smaller message or ALTER QMGR MAXMSGL.");
        yield return I(MqReason.NoMsgAvailable, "MQRC_NO_MSG_AVAILABLE", "No message matched within the wait interval (or the browse reached the end).", "Normal at the end of a queue; wait longer or check the MsgId/CorrelId the get matches on.");
        yield return I(MqReason.NotAuthorized, "MQRC_NOT_AUTHORIZED", "The principal the connection runs as lacks an authority the call needs, or a CHLAUTH rule or a missing MCAUSER kept it out. The queue manager's log names the principal, the object and what is missing (AMQ8077W, AMQ9777E, AMQ9557E).", "Grant what is missing with SET AUTHREC, or map the client to the right user (MCAUSER, CHLAUTH USERSRC(MAP)); see docs/security.md.");
        yield return I(MqReason.NotOpenForBrowse, "MQRC_NOT_OPEN_FOR_BROWSE", "A browse on a handle opened without MQOO_BROWSE.", "Open the queue with MqOpenOptions.Browse (ClientOpenPurpose.Browse) to browse it.");
        yield return I(MqReason.NotOpenForInput, "MQRC_NOT_OPEN_FOR_INPUT", "A get on a handle opened without an MQOO_INPUT_* option.", "Open the queue for input to get from it.");
        yield return I(MqReason.NotOpenForOutput, "MQRC_NOT_OPEN_FOR_OUTPUT", "A put on a handle opened without MQOO_OUTPUT.", "Open the queue for output to put to it.");
        yield return I(MqReason.OptionsError, "MQRC_OPTIONS_ERROR", "Open or put options that are not valid together: a context option without output, SAVE_ALL_CONTEXT without input, two input options, or an unknown option.", "Correct the options; docs/security.md lists what each needs.");
        yield return I(MqReason.NotOpenForPassAll, "MQRC_NOT_OPEN_FOR_PASS_ALL", "A put with PASS_ALL context on a handle opened without MQOO_PASS_ALL_CONTEXT or SET_ALL_CONTEXT.", "Open the queue with MqOpenOptions.PassAllContext (needs PASSALL).");
        yield return I(MqReason.NotOpenForPassIdentity, "MQRC_NOT_OPEN_FOR_PASS_IDENT", "A put with PASS_IDENTITY context on a handle opened without any context option.", "Open the queue with MqOpenOptions.PassIdentityContext (needs PASSID).");
        yield return I(MqReason.NotOpenForSetAll, "MQRC_NOT_OPEN_FOR_SET_ALL", "A put with SET_ALL context on a handle opened without MQOO_SET_ALL_CONTEXT.", "Open the queue with MqOpenOptions.SetAllContext (needs SETALL on the queue and the queue manager).");
        yield return I(MqReason.NotOpenForSetIdentity, "MQRC_NOT_OPEN_FOR_SET_IDENT", "A put with SET_IDENTITY context on a handle opened without MQOO_SET_IDENTITY_CONTEXT or SET_ALL_CONTEXT.", "Open the queue with MqOpenOptions.SetIdentityContext (needs SETID on the queue and the queue manager).");
        yield return I(MqReason.ContextHandleError, "MQRC_CONTEXT_HANDLE_ERROR", "A pass-context put names a context handle that is not open on this connection with MQOO_SAVE_ALL_CONTEXT.", "Open the input queue with MqOpenOptions.SaveAllContext and pass it as ContextFrom.");
        yield return I(MqReason.ContextNotAvailable, "MQRC_CONTEXT_NOT_AVAILABLE", "A pass-context put names a context handle on which no message has been got (a browse saves nothing).", "Get the message whose context is to be passed first.");
        yield return I(MqReason.OptionNotValidForType, "MQRC_OPTION_NOT_VALID_FOR_TYPE", "The open options do not suit the object (for example input from a remote queue).", "Open local queues for input and remote queues for output only.");
        yield return I(MqReason.PersistenceError, "MQRC_PERSISTENCE_ERROR", "The descriptor's Persistence is not 0, 1 or 2.", "Use not persistent (0), persistent (1) or as the queue's DEFPSIST (2).");
        yield return I(MqReason.PersistentNotAllowed, "MQRC_PERSISTENT_NOT_ALLOWED", "The destination cannot take persistent messages.", "Send non-persistent messages there, or choose another destination.");
        yield return I(MqReason.PriorityError, "MQRC_PRIORITY_ERROR", "The descriptor's Priority is below -1.", "Use 0-9, or -1 for the queue's DEFPRTY.");
        yield return I(MqReason.PutInhibited, "MQRC_PUT_INHIBITED", "A definition on the resolution path has PUT(DISABLED).", "ALTER it PUT(ENABLED) when puts may resume.");
        yield return I(MqReason.QDeleted, "MQRC_Q_DELETED", "The queue was deleted while the handle or a waiting get used it.", "Open the queue again once it is defined again.");
        yield return I(MqReason.QFull, "MQRC_Q_FULL", "The queue holds MAXDEPTH messages.", "Let consumers catch up, or ALTER the queue's MAXDEPTH.");
        yield return I(MqReason.QNotEmpty, "MQRC_Q_NOT_EMPTY", "The queue still holds messages (DELETE without PURGE) or has uncommitted work.", "CLEAR or drain the queue, or DELETE ... PURGE.");
        yield return I(MqReason.QMgrNameError, "MQRC_Q_MGR_NAME_ERROR", "The client asked for a queue manager other than the one at that address.", "Connect with the queue manager's name, or leave it blank.");
        yield return I(MqReason.QMgrNotAvailable, "MQRC_Q_MGR_NOT_AVAILABLE", "The queue manager could not be reached or refused the connection.", "Check that it runs and listens at the address; read its log for a refusal.");
        yield return I(MqReason.UnknownAliasBaseQ, "MQRC_UNKNOWN_ALIAS_BASE_Q", "An alias queue names a TARGET that is not defined.", "Define the target or correct the alias.");
        yield return I(MqReason.UnknownObjectName, "MQRC_UNKNOWN_OBJECT_NAME", "No queue (or channel) of that name is defined.", "Check the name (names are case-sensitive when quoted) or DEFINE the object.");
        yield return I(MqReason.UnknownRemoteQMgr, "MQRC_UNKNOWN_REMOTE_Q_MGR", "No route to the named queue manager: no transmission queue of that name, no QREMOTE alias, no DEFXMITQ.", "Define a transmission queue named after it, or set DEFXMITQ.");
        yield return I(MqReason.XmitQTypeError, "MQRC_XMIT_Q_TYPE_ERROR", "The transmission queue named is not a local queue.", "Make the XMITQ a QLOCAL with USAGE(XMITQ).");
        yield return I(MqReason.XmitQUsageError, "MQRC_XMIT_Q_USAGE_ERROR", "The queue used as transmission queue does not have USAGE(XMITQ).", "ALTER it USAGE(XMITQ).");
        yield return I(MqReason.ResourceProblem, "MQRC_RESOURCE_PROBLEM", "The queue manager ran out of a resource it needs for the call.", "Read the queue manager's log; retry later.");
        yield return I(MqReason.QMgrStopping, "MQRC_Q_MGR_STOPPING", "The queue manager is stopping.", "Reconnect when it has started again.");
        yield return I(MqReason.StorageMediumFull, "MQRC_STORAGE_MEDIUM_FULL", "The journal could not be written (disk full or failing); nothing of the call was kept.", "Free disk space or repair the store, then retry.");
        yield return I(MqReason.UnexpectedError, "MQRC_UNEXPECTED_ERROR", "The call failed in a way no other code describes; the detail text says how.", "Read the detail and the queue manager's log.");
        yield return I(MqReason.UnknownXmitQ, "MQRC_UNKNOWN_XMIT_Q", "The transmission queue a definition names does not exist.", "Define it, or correct the XMITQ of the QREMOTE or channel.");
        yield return I(MqReason.KeyRepositoryError, "MQRC_KEY_REPOSITORY_ERROR", "The key repository cannot be opened or holds no certificate under the label in use.", "Check SSLKEYR / --key-repository, its stash file and the certificate label.");
        yield return I(MqReason.SslInitializationError, "MQRC_SSL_INITIALIZATION_ERROR", "TLS could not be set up or the handshake was refused: CipherSpec mismatch, no certificate sent, untrusted chain. The AMQ message in either end's log names the check.", "Compare SSLCIPH at both ends; check both key repositories hold the other end's CA chain.");
        yield return I(MqReason.ChannelNotAvailable, "MQRC_CHANNEL_NOT_AVAILABLE", "The channel is stopped or at its MAXINST/MAXINSTC limit.", "START the channel or wait for instances to end; raise MAXINST if intended.");
        yield return I(MqReason.HostNotAvailable, "MQRC_HOST_NOT_AVAILABLE", "Nothing listens at the connection name.", "Check the host and port, and that the listener is started.");
        yield return I(MqReason.UnknownChannelName, "MQRC_UNKNOWN_CHANNEL_NAME", "The queue manager has no channel of that name (remote MQSC needs SYSTEM.ADMIN.SVRCONN to be defined).", "DEFINE the SVRCONN channel, or correct the channel name.");
        yield return I(MqReason.SslPeerNameMismatch, "MQRC_SSL_PEER_NAME_MISMATCH", "The other end's certificate does not match the SSLPEER filter.", "Correct SSLPEER, or give the other end the certificate it should have.");
        yield return I(MqReason.SslPeerNameError, "MQRC_SSL_PEER_NAME_ERROR", "The SSLPEER value is not a valid distinguished-name filter.", "Correct the SSLPEER syntax (docs/tls.md).");
        yield return I(MqReason.SslCertificateRevoked, "MQRC_SSL_CERTIFICATE_REVOKED", "A certificate of the other end's chain is revoked (OCSP or CRL).", "The other end needs a new certificate; if the revocation is wrong, ask the CA.");
    }
}
