namespace ActorQm.Authority;

/// <summary>
/// MQ's object authorities, with the MQZAO_* values of MQ's installable-service header so a
/// granted set reads the same as in MQ's own tools (docs/security.md, "Authorities").
/// </summary>
[Flags]
public enum AuthorityKind
{
    None = 0,
    Connect = 0x1,
    Browse = 0x2,
    Get = 0x4,
    Put = 0x8,
    Inq = 0x10,
    Set = 0x20,
    PassId = 0x40,
    PassAll = 0x80,
    SetId = 0x100,
    SetAll = 0x200,
    AltUsr = 0x400,
    Pub = 0x800,
    Sub = 0x1000,
    Resume = 0x2000,
    Crt = 0x10000,
    Dlt = 0x20000,
    Dsp = 0x40000,
    Chg = 0x80000,
    Clr = 0x100000,
    Ctrl = 0x200000,
    CtrlX = 0x400000,
    System = 0x2000000,

    /// <summary>Every MQI authority.</summary>
    AllMqi = 0x3FFF,

    /// <summary>Every administration authority except CRT (as in MQ).</summary>
    AllAdm = Dlt | Dsp | Chg | Clr | Ctrl | CtrlX,

    /// <summary>ALLMQI, ALLADM and SYSTEM; like MQ's ALL it holds no CRT.</summary>
    All = AllMqi | AllAdm | System,
}

/// <summary>The MQSC keywords of <see cref="AuthorityKind"/> (AUTHADD, AUTHRMV, AUTHLIST).</summary>
public static class AuthorityKeywords
{
    private static readonly (string Keyword, AuthorityKind Kind)[] Single =
    [
        ("CONNECT", AuthorityKind.Connect), ("BROWSE", AuthorityKind.Browse), ("GET", AuthorityKind.Get),
        ("PUT", AuthorityKind.Put), ("INQ", AuthorityKind.Inq), ("SET", AuthorityKind.Set),
        ("PASSID", AuthorityKind.PassId), ("PASSALL", AuthorityKind.PassAll), ("SETID", AuthorityKind.SetId),
        ("SETALL", AuthorityKind.SetAll), ("ALTUSR", AuthorityKind.AltUsr), ("PUB", AuthorityKind.Pub),
        ("SUB", AuthorityKind.Sub), ("RESUME", AuthorityKind.Resume), ("CRT", AuthorityKind.Crt),
        ("DLT", AuthorityKind.Dlt), ("DSP", AuthorityKind.Dsp), ("CHG", AuthorityKind.Chg),
        ("CLR", AuthorityKind.Clr), ("CTRL", AuthorityKind.Ctrl), ("CTRLX", AuthorityKind.CtrlX),
        ("SYSTEM", AuthorityKind.System),
    ];

    /// <summary>The authority a keyword names (including ALL, ALLADM, ALLMQI and NONE), or null.</summary>
    public static AuthorityKind? Parse(string keyword) => keyword.ToUpperInvariant() switch
    {
        "NONE" => AuthorityKind.None,
        "ALL" => AuthorityKind.All,
        "ALLADM" => AuthorityKind.AllAdm,
        "ALLMQI" => AuthorityKind.AllMqi,
        var k => Single.FirstOrDefault(s => s.Keyword == k) is { Keyword: not null } hit ? hit.Kind : null,
    };

    /// <summary>The authorities a stored list of keywords holds (unknown keywords hold none).</summary>
    public static AuthorityKind ParseList(IEnumerable<string> keywords) =>
        keywords.Aggregate(AuthorityKind.None, (all, k) => all | (Parse(k) ?? AuthorityKind.None));

    /// <summary>One keyword per authority held, in MQ's order; NONE for none.</summary>
    public static IReadOnlyList<string> Format(AuthorityKind kinds)
    {
        var list = Single.Where(s => (kinds & s.Kind) == s.Kind).Select(s => s.Keyword).ToList();
        return list.Count == 0 ? ["NONE"] : list;
    }
}
