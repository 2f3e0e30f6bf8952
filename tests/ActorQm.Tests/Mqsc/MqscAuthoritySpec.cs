using ActorQm.Authority;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Mqsc;

/// <summary>
/// What each remote MQSC command needs (docs/security.md, "Remote administration"): for every command, the
/// principal with exactly the one authority it needs may run it, and without that authority it is refused
/// naming what is missing, whatever else it holds.
/// </summary>
public sealed class MqscAuthoritySpec
{
    private const string Everything = "CONNECT,INQ,DSP,CHG,CLR,DLT,CTRL,CTRLX,SYSTEM,SET,SETALL,ALTUSR,PUT,GET,BROWSE,CRT";

    public static TheoryData<string, string, string, string> Commands => new()
    {
        // command, the authority it needs, its record's OBJTYPE and PROFILE
        { "DISPLAY QLOCAL('APP.IN')", "DSP", "QUEUE", "APP.IN" },
        { "DISPLAY QLOCAL('APP.*')", "DSP", "QUEUE", "APP.**" },
        { "DISPLAY QMGR", "DSP", "QMGR", "" },
        { "ALTER QLOCAL('APP.IN') DESCR('x')", "CHG", "QUEUE", "APP.IN" },
        { "DEFINE QLOCAL('APP.NEW')", "CRT", "QMGR", "" },
        { "DELETE QLOCAL('APP.IN')", "DLT", "QUEUE", "APP.IN" },
        { "CLEAR QLOCAL('APP.IN')", "CLR", "QUEUE", "APP.IN" },
        { "START CHANNEL('TO.QM2')", "CTRL", "CHANNEL", "TO.QM2" },
        { "STOP CHANNEL('TO.QM2')", "CTRL", "CHANNEL", "TO.QM2" },
        { "RESET CHANNEL('TO.QM2') SEQNUM(1)", "CTRLX", "CHANNEL", "TO.QM2" },
        { "RESOLVE CHANNEL('TO.QM2') ACTION(BACKOUT)", "CTRLX", "CHANNEL", "TO.QM2" },
        { "SET CHLAUTH('APP.*') TYPE(BLOCKADDR) ADDRLIST('10.0.0.1')", "SYSTEM", "QMGR", "" },
        { "SET AUTHREC PROFILE('**') OBJTYPE(QUEUE) PRINCIPAL('ops') AUTHADD(ALL)", "SYSTEM", "QMGR", "" },
        { "DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('ops')", "SYSTEM", "QMGR", "" },
        { "REFRESH SECURITY TYPE(SSL)", "SYSTEM", "QMGR", "" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void MqscAuthority_must_let_the_one_needed_authority_run_a_command_and_refuse_it_without(string command, string needed, string objtype, string profile)
    {
        var ops = Principal.User("ops", new HashSet<string>(StringComparer.Ordinal));
        var cmd = MqscParser.ParseCommand(command);
        var granted = Catalog($"SET AUTHREC {ProfileOf(profile)}OBJTYPE({objtype}) PRINCIPAL('ops') AUTHADD({needed})");
        // Everything valid on the object but the one needed, on both the object and the queue manager.
        var others = string.Join(",", Everything.Split(',').Where(a => a != needed && AuthorityObjectTypes.ValidOn(Type(objtype)).HasFlag(AuthorityKeywords.Parse(a)!.Value)));
        var withoutIt = Catalog($"SET AUTHREC {ProfileOf(profile)}OBJTYPE({objtype}) PRINCIPAL('ops') AUTHADD({others})");

        Assert.Null(MqscAuthority.Refusal(cmd, granted, ops));
        var refusal = MqscAuthority.Refusal(cmd, withoutIt, ops);
        Assert.NotNull(refusal);
        Assert.Contains($"lacks {needed} on", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void MqscAuthority_must_need_change_on_an_object_a_DEFINE_REPLACE_overwrites()
    {
        var ops = Principal.User("ops", new HashSet<string>(StringComparer.Ordinal));
        var catalog = Catalog("SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('ops') AUTHADD(CRT)");

        Assert.Null(MqscAuthority.Refusal(MqscParser.ParseCommand("DEFINE QLOCAL('APP.NEW')"), catalog, ops));
        Assert.Contains("lacks CHG on queue APP.IN", MqscAuthority.Refusal(MqscParser.ParseCommand("DEFINE QLOCAL('APP.IN') REPLACE"), catalog, ops), StringComparison.Ordinal);
    }

    private static string ProfileOf(string profile) => profile.Length == 0 ? string.Empty : $"PROFILE('{profile}') ";

    private static AuthorityObjectType Type(string objtype) => objtype switch
    {
        "QUEUE" => AuthorityObjectType.Queue,
        "CHANNEL" => AuthorityObjectType.Channel,
        _ => AuthorityObjectType.QMgr,
    };

    /// <summary>A catalog with the objects the commands name and one authority record for 'ops'.</summary>
    private static ObjectCatalog Catalog(string record)
    {
        var catalog = new ObjectCatalog("QM1");
        var executor = new MqscExecutor(catalog, new Dictionary<string, object>(), new TestMqscRuntime());
        foreach (var command in MqscParser.ParseScript($"""
            DEFINE QLOCAL('APP.IN')
            DEFINE QLOCAL('QM2') USAGE(XMITQ)
            DEFINE CHANNEL('TO.QM2') CHLTYPE(SDR) CONNAME('127.0.0.1(1414)') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256)
            {record}
            """))
        {
            var outcome = executor.Execute(command, startup: true);
            Assert.True(outcome.Succeeded, string.Join("\n", outcome.Lines));
            foreach (var change in outcome.Changes)
            {
                catalog.Apply(change);
            }
        }

        return catalog;
    }
}
