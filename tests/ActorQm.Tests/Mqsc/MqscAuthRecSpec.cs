using ActorQm.Authority;
using ActorQm.Configuration;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Mqsc;

/// <summary>SET, DELETE and DISPLAY AUTHREC, DISPLAY ENTAUTH and REFRESH SECURITY against a catalog, with groups as HOCON declares them.</summary>
public sealed class MqscAuthRecSpec
{
    private readonly ObjectCatalog _catalog = new("QM1");
    private readonly MqscExecutor _executor;

    private static readonly SecuritySettings Groups = new(new Dictionary<string, IReadOnlySet<string>>
    {
        ["payroll"] = new HashSet<string> { "app1", "app2" },
        ["ops"] = new HashSet<string> { "app1" },
        ["other"] = new HashSet<string> { "app3" },
    });

    public MqscAuthRecSpec() => _executor = new MqscExecutor(_catalog, new Dictionary<string, object>(), new TestMqscRuntime(security: Groups));

    private MqscOutcome Run(string command)
    {
        var outcome = _executor.Execute(MqscParser.ParseCommand(command));
        foreach (var change in outcome.Changes)
        {
            _catalog.Apply(change);
        }

        return outcome;
    }

    private static readonly HashSet<string> NoGroups = new(StringComparer.Ordinal);

    [Fact]
    public void SetAuthRec_must_add_and_remove_authorities_and_the_snapshot_must_follow()
    {
        var app1 = Principal.User("app1", NoGroups);

        Assert.True(Run("SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET,BROWSE)").Succeeded);
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Get | AuthorityKind.Browse, _catalog.Authority.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));

        Assert.True(Run("SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHRMV(GET)").Succeeded);
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Browse, _catalog.Authority.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));
        Assert.Single(_catalog.All("AUTHREC"));
    }

    [Fact]
    public void SetAuthRec_must_default_the_QMGR_profile_to_the_queue_manager_and_survive_a_restore()
    {
        Run("SET AUTHREC OBJTYPE(QMGR) GROUP('apps') AUTHADD(CONNECT,INQ)");

        var stored = Assert.Single(_catalog.All("AUTHREC"));
        var restored = MqscExecutor.Restore(stored.ToMqsc(), "QM1");

        Assert.Equal("QM1", stored.Name);
        Assert.Equal(stored.Key, restored.Key);
        Assert.Equal(["CONNECT", "INQ"], restored.List("AUTHLIST"));
    }

    [Theory]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') GROUP('g') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a')")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(CONNECT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT) AUTHRMV(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A**') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(WIDGET) PRINCIPAL('a') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(EVERYTHING)")]
    [InlineData("SET AUTHREC OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT)")]
    public void SetAuthRec_must_refuse_what_MQ_refuses_and_change_nothing(string command)
    {
        var outcome = Run(command);

        Assert.False(outcome.Succeeded);
        Assert.Empty(_catalog.All("AUTHREC"));
    }

    /// <summary>app1 (groups payroll, ops) with records on generic and exact profiles; app2 and other groups beside it.</summary>
    private void Records()
    {
        foreach (var command in new[]
        {
            "SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT)",
            "SET AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(GET)",
            "SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(INQ)",
            "SET AUTHREC PROFILE('OTHER') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT)",
            "SET AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app2') AUTHADD(PUT)",
            "SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) GROUP('payroll') AUTHADD(BROWSE)",
            "SET AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) GROUP('ops') AUTHADD(DSP)",
            "SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) GROUP('other') AUTHADD(CLR)",
            "SET AUTHREC PROFILE('APP.*') OBJTYPE(CHANNEL) PRINCIPAL('app1') AUTHADD(CTRL)",
        })
        {
            Assert.True(Run(command).Succeeded, command);
        }
    }

    /// <summary>(PROFILE, ENTITY, OBJTYPE) of each record a DISPLAY AUTHREC shows.</summary>
    private List<string> Shown(string command)
    {
        var outcome = Run(command);
        Assert.True(outcome.Succeeded, string.Join("\n", outcome.Lines));
        string Field(string line, string name) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(p => p.StartsWith(name + "(", StringComparison.Ordinal)) ?? string.Empty;
        var shown = new List<string>();
        for (var i = 0; i < outcome.Lines.Count; i++)
        {
            if (outcome.Lines[i].StartsWith("AMQ8864I", StringComparison.Ordinal))
            {
                var body = string.Join(" ", outcome.Lines.Skip(i + 1).TakeWhile(l => l.StartsWith("   ", StringComparison.Ordinal)));
                shown.Add($"{Field(body, "PROFILE")} {Field(body, "ENTITY")} {Field(body, "OBJTYPE")}");
            }
        }

        return shown;
    }

    [Fact]
    public void DisplayAuthRec_must_show_every_profile_matching_the_name_generics_included_for_the_named_entity()
    {
        Records();

        Assert.Equal(
            ["PROFILE(APP.*) ENTITY(app1) OBJTYPE(QUEUE)", "PROFILE(APP.**) ENTITY(app1) OBJTYPE(QUEUE)", "PROFILE(APP.IN) ENTITY(app1) OBJTYPE(QUEUE)"],
            Shown("DISPLAY AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') MATCH(PROFILE)"));
        Assert.Equal(Shown("DISPLAY AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') MATCH(PROFILE)"),
            Shown("DISPLAY AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1')"));
    }

    [Fact]
    public void DisplayAuthRec_must_show_only_the_literal_profile_with_MATCH_EXACT()
    {
        Records();

        Assert.Equal(["PROFILE(APP.IN) ENTITY(ops) OBJTYPE(QUEUE)", "PROFILE(APP.IN) ENTITY(app1) OBJTYPE(QUEUE)", "PROFILE(APP.IN) ENTITY(app2) OBJTYPE(QUEUE)"],
            Shown("DISPLAY AUTHREC PROFILE('APP.IN') MATCH(EXACT)"));
        Assert.Equal(["PROFILE(APP.*) ENTITY(app1) OBJTYPE(QUEUE)"], Shown("DISPLAY AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') MATCH(EXACT)"));
    }

    [Fact]
    public void DisplayAuthRec_must_add_the_principals_groups_with_MATCH_MEMBERSHIP()
    {
        Records();

        Assert.Equal(
            ["PROFILE(APP.*) ENTITY(app1) OBJTYPE(QUEUE)", "PROFILE(APP.**) ENTITY(payroll) OBJTYPE(QUEUE)", "PROFILE(APP.**) ENTITY(app1) OBJTYPE(QUEUE)",
             "PROFILE(APP.IN) ENTITY(ops) OBJTYPE(QUEUE)", "PROFILE(APP.IN) ENTITY(app1) OBJTYPE(QUEUE)"],
            Shown("DISPLAY AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') MATCH(MEMBERSHIP)"));
    }

    [Fact]
    public void DisplayAuthRec_must_show_every_record_without_a_filter_and_filter_by_object_type()
    {
        Records();

        Assert.Equal(9, Shown("DISPLAY AUTHREC").Count);
        Assert.Equal(["PROFILE(APP.*) ENTITY(app1) OBJTYPE(CHANNEL)"], Shown("DISPLAY AUTHREC OBJTYPE(CHANNEL)"));
        Assert.Equal(["PROFILE(APP.*) ENTITY(other) OBJTYPE(QUEUE)"], Shown("DISPLAY AUTHREC GROUP('other')"));
    }

    [Fact]
    public void DisplayAuthRec_must_answer_in_runmqsc_layout_and_show_only_the_fields_asked_for()
    {
        Run("SET AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET,BROWSE)");

        Assert.Equal(
            ["AMQ8864I: Display authority record details.",
             "   PROFILE(APP.IN)                         ENTITY(app1)",
             "   ENTTYPE(PRINCIPAL)                      OBJTYPE(QUEUE)",
             "   AUTHLIST(BROWSE,GET,PUT)"],
            Run("DISPLAY AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE)").Lines);
        Assert.Equal(
            ["AMQ8864I: Display authority record details.", "   PROFILE(APP.IN)                         OBJTYPE(QUEUE)", "   AUTHLIST(BROWSE,GET,PUT)"],
            Run("DISPLAY AUTHREC PROFILE('APP.IN') AUTHLIST").Lines);
    }

    [Fact]
    public void DisplayEntAuth_must_add_up_the_most_specific_record_of_the_principal_and_of_each_group()
    {
        Records();

        // app1: APP.IN (GET) beats APP.* (PUT) and APP.** (INQ); payroll's APP.** gives BROWSE, ops' APP.IN gives DSP.
        Assert.Equal(
            ["AMQ8866I: Display entity authority details.",
             "   ENTITY(app1)                            ENTTYPE(PRINCIPAL)",
             "   OBJNAME(APP.IN)                         OBJTYPE(QUEUE)",
             "   AUTHLIST(BROWSE,GET,DSP)"],
            Run("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.IN') OBJTYPE(QUEUE)").Lines);
        Assert.Contains("   AUTHLIST(BROWSE,PUT)", Run("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.OUT') OBJTYPE(QUEUE)").Lines);
        Assert.Contains("   AUTHLIST(BROWSE)", Run("DISPLAY ENTAUTH GROUP('payroll') OBJNAME('APP.IN') OBJTYPE(QUEUE)").Lines);
        Assert.Contains("   AUTHLIST(NONE)", Run("DISPLAY ENTAUTH PRINCIPAL('app3') OBJNAME('OTHER') OBJTYPE(QUEUE)").Lines);
    }

    [Fact]
    public void DeleteAuthRec_must_remove_one_entitys_record_and_the_snapshot_must_follow()
    {
        Records();

        var outcome = Run("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1')");

        Assert.Equal(["AMQ8863I: ActorQm authority record deleted."], outcome.Lines);
        Assert.Equal(8, _catalog.All("AUTHREC").Count());
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Browse | AuthorityKind.Dsp,
            _catalog.Authority.Effective(Groups.PrincipalFor("app1"), AuthorityObjectType.Queue, "APP.IN"));
        Assert.Contains("PROFILE(APP.IN) ENTITY(app2) OBJTYPE(QUEUE)", Shown("DISPLAY AUTHREC PROFILE('APP.IN') MATCH(EXACT)"));
    }

    [Theory]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('nobody')")]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(CHANNEL) PRINCIPAL('app1')")]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) GROUP('app1')")]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHRMV(GET)")]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE)")]
    [InlineData("DELETE AUTHREC PROFILE('APP.IN') PRINCIPAL('app1')")]
    [InlineData("DISPLAY AUTHREC MATCH(SOMETIMES)")]
    [InlineData("DISPLAY AUTHREC PROFILE('APP.IN') MATCH(MEMBERSHIP)")]
    [InlineData("DISPLAY AUTHREC PROFILE('NOTHING.HERE')")]
    [InlineData("DISPLAY AUTHREC PRINCIPAL('app1') GROUP('ops')")]
    [InlineData("DISPLAY AUTHREC AUTHADD(PUT)")]
    [InlineData("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.*') OBJTYPE(QUEUE)")]
    [InlineData("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.IN')")]
    [InlineData("DISPLAY ENTAUTH OBJNAME('APP.IN') OBJTYPE(QUEUE)")]
    [InlineData("REFRESH SECURITY TYPE(CONNAUTH)")]
    [InlineData("REFRESH SECURITY TYPE(AUTHSERV) PROFILE('APP.IN')")]
    public void AuthRec_commands_must_refuse_what_MQ_refuses_and_change_nothing(string command)
    {
        Records();
        var before = _catalog.All("AUTHREC").Select(r => r.ToMqsc()).ToList();

        var outcome = Run(command);

        Assert.False(outcome.Succeeded);
        Assert.Empty(outcome.Changes);
        Assert.Equal(before, _catalog.All("AUTHREC").Select(r => r.ToMqsc()));
    }

    [Fact]
    public void RefreshSecurity_must_accept_AUTHSERV_and_no_type_with_MQs_message_and_keep_SSL_reloading_the_key_repository()
    {
        Records();

        var authserv = Run("REFRESH SECURITY TYPE(AUTHSERV)");
        var bare = Run("REFRESH SECURITY");
        var ssl = Run("REFRESH SECURITY TYPE(SSL)");

        Assert.Equal(["AMQ8560I: ActorQm security cache refreshed."], authserv.Lines);
        Assert.Empty(authserv.Changes);
        Assert.True(bare.Succeeded);
        Assert.Empty(bare.Changes);
        Assert.IsType<SslSecurityRefreshed>(Assert.Single(ssl.Changes));
        Assert.Equal(9, _catalog.All("AUTHREC").Count());
    }
}
