namespace ActorQm.Messages;

/// <summary>
/// MQOPEN options (MQOO_*), with cmqc.h's values. Each option needs its own authority on the object
/// (docs/security.md, "Enforcement"); the context options are valid only with <see cref="Output"/>,
/// <see cref="SaveAllContext"/> only with an input option.
/// </summary>
[Flags]
public enum MqOpenOptions
{
    None = 0,
    InputAsQueueDefault = 0x1,
    InputShared = 0x2,
    InputExclusive = 0x4,
    Browse = 0x8,
    Output = 0x10,
    Inquire = 0x20,
    Set = 0x40,

    /// <summary>Keeps the context of the last message got on this handle, for a later put that passes it.</summary>
    SaveAllContext = 0x80,
    PassIdentityContext = 0x100,
    PassAllContext = 0x200,
    SetIdentityContext = 0x400,
    SetAllContext = 0x800,

    /// <summary>The object is checked for the alternate user named with the open (ALTUSR on the queue manager for the opener).</summary>
    AlternateUserAuthority = 0x1000,

    /// <summary>MQOO_NO_READ_AHEAD: every get is a call to the queue manager, whatever the queue's DEFREADA.</summary>
    NoReadAhead = 0x80000,

    /// <summary>MQOO_READ_AHEAD: messages are sent ahead of the gets (unless the queue has DEFREADA(DISABLED)); without either option the queue's DEFREADA decides.</summary>
    ReadAhead = 0x100000,

    /// <summary>Any of the input options.</summary>
    Input = InputAsQueueDefault | InputShared | InputExclusive,

    /// <summary>Any of the four context options a put may use.</summary>
    Context = PassIdentityContext | PassAllContext | SetIdentityContext | SetAllContext,
}

/// <summary>The message context a put asks for (MQPMO_*_CONTEXT); checked against the options its handle was opened with.</summary>
public enum MqPutContext : byte
{
    /// <summary>MQPMO_DEFAULT_CONTEXT: the queue manager writes identity (the connection's user) and origin.</summary>
    Default = 0,

    /// <summary>MQPMO_PASS_IDENTITY_CONTEXT: identity from the message last got on the context handle; origin generated.</summary>
    PassIdentity = 1,

    /// <summary>MQPMO_PASS_ALL_CONTEXT: identity and origin from the message last got on the context handle.</summary>
    PassAll = 2,

    /// <summary>MQPMO_SET_IDENTITY_CONTEXT: the UserIdentifier the caller gives; origin generated.</summary>
    SetIdentity = 3,

    /// <summary>MQPMO_SET_ALL_CONTEXT: every context field as the caller gives it.</summary>
    SetAll = 4,
}

/// <summary>What each option needs of the handle it is used on (MQ's implications: SET_ALL ⊃ PASS_ALL ⊃ PASS_IDENTITY, SET_IDENTITY ⊃ PASS_IDENTITY).</summary>
public static class MqContextRules
{
    /// <summary>The open options of which at least one lets a put use <paramref name="context"/>.</summary>
    public static MqOpenOptions AllowedBy(MqPutContext context) => context switch
    {
        MqPutContext.PassIdentity => MqOpenOptions.Context,
        MqPutContext.PassAll => MqOpenOptions.PassAllContext | MqOpenOptions.SetAllContext,
        MqPutContext.SetIdentity => MqOpenOptions.SetIdentityContext | MqOpenOptions.SetAllContext,
        MqPutContext.SetAll => MqOpenOptions.SetAllContext,
        _ => MqOpenOptions.None,
    };

    /// <summary>The open option an MQPUT1 with <paramref name="context"/> implies (and is checked for).</summary>
    public static MqOpenOptions Implied(MqPutContext context) => context switch
    {
        MqPutContext.PassIdentity => MqOpenOptions.PassIdentityContext,
        MqPutContext.PassAll => MqOpenOptions.PassAllContext,
        MqPutContext.SetIdentity => MqOpenOptions.SetIdentityContext,
        MqPutContext.SetAll => MqOpenOptions.SetAllContext,
        _ => MqOpenOptions.None,
    };

    /// <summary>The reason for a put whose handle does not allow its context option (MQRC 2093-2096).</summary>
    public static MqReason NotOpenFor(MqPutContext context) => context switch
    {
        MqPutContext.PassIdentity => MqReason.NotOpenForPassIdentity,
        MqPutContext.PassAll => MqReason.NotOpenForPassAll,
        MqPutContext.SetIdentity => MqReason.NotOpenForSetIdentity,
        _ => MqReason.NotOpenForSetAll,
    };

    /// <summary>Why a combination of open options is not valid, or null (MQRC_OPTIONS_ERROR).</summary>
    public static string? Invalid(MqOpenOptions options)
    {
        var inputs = options & MqOpenOptions.Input;
        if ((options & (MqOpenOptions.Input | MqOpenOptions.Browse | MqOpenOptions.Output | MqOpenOptions.Inquire | MqOpenOptions.Set)) == 0)
        {
            return "no option opens the object for anything (input, browse, output, inquire or set)";
        }

        if (inputs != 0 && (inputs & (inputs - 1)) != 0)
        {
            return "more than one MQOO_INPUT_* option";
        }

        if ((options & MqOpenOptions.Context) != 0 && !options.HasFlag(MqOpenOptions.Output))
        {
            return "a context option without MQOO_OUTPUT";
        }

        if (options.HasFlag(MqOpenOptions.SaveAllContext) && inputs == 0)
        {
            return "MQOO_SAVE_ALL_CONTEXT without an MQOO_INPUT_* option";
        }

        if (options.HasFlag(MqOpenOptions.ReadAhead) && options.HasFlag(MqOpenOptions.NoReadAhead))
        {
            return "both MQOO_READ_AHEAD and MQOO_NO_READ_AHEAD";
        }

        const MqOpenOptions known = MqOpenOptions.Input | MqOpenOptions.Browse | MqOpenOptions.Output | MqOpenOptions.Inquire | MqOpenOptions.Set
            | MqOpenOptions.SaveAllContext | MqOpenOptions.Context | MqOpenOptions.AlternateUserAuthority | MqOpenOptions.NoReadAhead | MqOpenOptions.ReadAhead;
        return (options & ~known) != 0 ? $"unknown option bits 0x{(int)(options & ~known):X}" : null;
    }
}
