using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Mqsc;

public sealed class MqscExecutorSpec
{
    private readonly ObjectCatalog _catalog = new("QM1");
    private readonly Dictionary<string, QueueStatus> _status = new();
    private readonly MqscExecutor _executor;

    public MqscExecutorSpec() =>
        _executor = new MqscExecutor(_catalog, new Dictionary<string, object> { ["MAXDEPTH"] = 777L }, new TestMqscRuntime(_status));

    private MqscOutcome Run(string command, bool startup = false)
    {
        var outcome = _executor.Execute(MqscParser.ParseCommand(command), startup);
        foreach (var change in outcome.Changes)
        {
            _catalog.Apply(change);
        }

        return outcome;
    }

    [Fact]
    public void DISPLAY_must_show_what_MQ_shows_for_a_specific_name_a_generic_name_and_named_attributes()
    {
        Run("DEFINE QLOCAL('Q1') MAXDEPTH(10)");
        Run("DEFINE QLOCAL('Q2')");
        _status["Q1"] = new QueueStatus(3, 0);

        // A specific name: every attribute, the current depth with them.
        var specific = string.Join("\n", Run("DISPLAY QLOCAL('Q1')").Lines);
        Assert.Contains("MAXDEPTH(10)", specific, StringComparison.Ordinal);
        Assert.Contains("CURDEPTH(3)", specific, StringComparison.Ordinal);

        // A generic name alone: the names and types only.
        var generic = string.Join("\n", Run("DISPLAY QLOCAL('Q*')").Lines);
        Assert.Contains("QUEUE(Q2)", generic, StringComparison.Ordinal);
        Assert.DoesNotContain("MAXDEPTH", generic, StringComparison.Ordinal);

        // Named attributes: those, CURDEPTH included.
        var named = string.Join("\n", Run("DISPLAY QLOCAL('Q1') CURDEPTH").Lines);
        Assert.Contains("CURDEPTH(3)", named, StringComparison.Ordinal);
        Assert.DoesNotContain("MAXDEPTH", named, StringComparison.Ordinal);

        // The queue manager honours the selection too.
        var qmgr = string.Join("\n", Run("DISPLAY QMGR DEADQ").Lines);
        Assert.Contains("DEADQ(", qmgr, StringComparison.Ordinal);
        Assert.DoesNotContain("MAXMSGL", qmgr, StringComparison.Ordinal);

        // A keyword that is no attribute is refused, as DEFINE refuses it.
        var unknown = Run("DISPLAY QLOCAL('Q1') MAXDEPHT");
        Assert.False(unknown.Succeeded);
        Assert.Contains("AMQ8405E", unknown.Lines[0], StringComparison.Ordinal);
        Assert.Contains("MAXDEPHT", unknown.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void DISPLAY_CHSTATUS_must_show_the_attributes_always_shown_and_those_named()
    {
        var running = new ActorQm.Channels.ChannelStatus("TO.QM2", "SDR", ActorQm.Channels.ChannelState.Running) { XmitQ = "QM2", Messages = 7, McaUser = "mqm" };
        var executor = new MqscExecutor(_catalog, new Dictionary<string, object>(), new TestMqscRuntime(channels: [running]));

        var named = string.Join("\n", executor.Execute(MqscParser.ParseCommand("DISPLAY CHSTATUS('TO.QM2') MSGS")).Lines);

        Assert.Contains("MSGS(7)", named, StringComparison.Ordinal);
        Assert.Contains("XMITQ(QM2)", named, StringComparison.Ordinal);
        Assert.DoesNotContain("MCAUSER", named, StringComparison.Ordinal);
        Assert.Contains("MCAUSER('mqm')", string.Join("\n", executor.Execute(MqscParser.ParseCommand("DISPLAY CHSTATUS('TO.QM2')")).Lines), StringComparison.Ordinal);
        Assert.False(executor.Execute(MqscParser.ParseCommand("DISPLAY CHSTATUS('TO.QM2') MSG")).Succeeded);
    }

    [Fact]
    public void Executor_must_define_a_local_queue_with_defaults_from_settings_and_given_values()
    {
        var outcome = Run("DEFINE QLOCAL(APP.IN) MAXMSGL(1000) DEFPSIST(YES) TRIGGER");

        Assert.True(outcome.Succeeded);
        Assert.Equal("AMQ8006I: ActorQm queue created.", Assert.Single(outcome.Lines));
        var q = _catalog.FindQueue("APP.IN")!;
        Assert.Equal(777L, q.Number("MAXDEPTH"));
        Assert.Equal(1000L, q.Number("MAXMSGL"));
        Assert.Equal("YES", q.Text("DEFPSIST"));
        Assert.Equal("YES", q.Text("TRIGGER"));
        Assert.Equal("ENABLED", q.Text("PUT"));
    }

    [Fact]
    public void Executor_must_refuse_to_define_an_existing_object_without_replace_and_change_nothing()
    {
        Run("DEFINE QLOCAL(A) MAXDEPTH(10)");

        var again = Run("DEFINE QLOCAL(A) MAXDEPTH(20)");
        var otherType = Run("DEFINE QREMOTE(A) RNAME(X) REPLACE");

        Assert.False(again.Succeeded);
        Assert.StartsWith("AMQ8150E", again.Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("AMQ8151E", otherType.Lines[0], StringComparison.Ordinal);
        Assert.Equal(10L, _catalog.FindQueue("A")!.Number("MAXDEPTH"));
        Assert.Equal("QLOCAL", _catalog.FindQueue("A")!.Type);
    }

    [Fact]
    public void Executor_must_replace_on_startup_scripts_and_with_REPLACE()
    {
        Run("DEFINE QLOCAL(A) MAXDEPTH(10)");

        Assert.True(Run("DEFINE QLOCAL(A) MAXDEPTH(20)", startup: true).Succeeded);
        Assert.Equal(20L, _catalog.FindQueue("A")!.Number("MAXDEPTH"));
        Assert.True(Run("DEFINE QLOCAL(A) MAXDEPTH(30) REPLACE").Succeeded);
        Assert.Equal(30L, _catalog.FindQueue("A")!.Number("MAXDEPTH"));
    }

    [Theory]
    [InlineData("DEFINE QLOCAL(A) MAXDEPTH(-1)", "outside 0-999999999")]
    [InlineData("DEFINE QLOCAL(A) MAXDEPTH(ten)", "is not a number")]
    [InlineData("DEFINE QLOCAL(A) USAGE(SOMETIMES)", "is not one of NORMAL, XMITQ")]
    [InlineData("DEFINE QLOCAL(A) RNAME(X)", "RNAME is not valid for QLOCAL")]
    [InlineData("DEFINE QLOCAL(A) DESCR('this description is far too long to fit in the sixty-four characters MQ allows')", "longer than 64")]
    [InlineData("DEFINE QLOCAL('bad name!')", "not a valid QLOCAL name")]
    [InlineData("DEFINE CHANNEL(TO.QM2) TRPTYPE(TCP)", "needs CHLTYPE")]
    [InlineData("DEFINE CHANNEL(TO.QM2) CHLTYPE(RCVR) XMITQ(XQ)", "XMITQ is not valid for a channel of type RCVR")]
    [InlineData("DEFINE CHANNEL(THIS.NAME.IS.TOO.LONG.FOR.MQ) CHLTYPE(SDR)", "not a valid CHANNEL name")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(SDR) SEQWRAP(99)", "outside 100-999999999")]
    [InlineData("DEFINE QLOCAL(A) MAXDEPTH", "needs a value")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(RCVR) SSLPEER('cn=QM1')", "attribute types must be upper case")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(RCVR) SSLCIPH(RC4_MD5_US)", "AMQ8242E: SSLCIPH definition wrong: CipherSpec RC4_MD5_US is deprecated (SSL 3.0)")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(SDR) SSLCIPH(TLS_RSA_WITH_3DES_EDE_CBC_SHA)", "is deprecated (TLS 1.0)")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(SDR) SSLCIPH(ANY_TLS14)", "is not a CipherSpec ActorQm knows")]
    [InlineData("DEFINE CHANNEL(C) CHLTYPE(RCVR) SSLPEER('CN=QM1,GIVENNAME=x')", "not an attribute type SSLPEER can filter on")]
    public void Executor_must_reject_invalid_definitions_with_a_reason_and_change_nothing(string command, string why)
    {
        var outcome = Run(command);

        Assert.False(outcome.Succeeded);
        Assert.Contains(why, outcome.Lines[0], StringComparison.Ordinal);
        Assert.Empty(outcome.Changes);
        Assert.Empty(_catalog.All("QUEUE"));
        Assert.Empty(_catalog.All("CHANNEL"));
    }

    [Fact]
    public void Executor_must_store_every_channel_attribute_valid_for_its_type()
    {
        var outcome = Run("DEFINE CHANNEL('QM1.TO.QM2') CHLTYPE(SDR) TRPTYPE(TCP) CONNAME('host2(1414)') XMITQ('XQ.QM2') " +
            "SSLCIPH('ANY_TLS12_OR_HIGHER') SSLPEER('CN=QM2,OU=MQ,O=Example') CERTLABL('qm1cert') BATCHSZ(50) DISCINT(6000) " +
            "HBINT(300) SHORTRTY(10) SHORTTMR(60) LONGRTY(999999999) LONGTMR(1200) SEQWRAP(999999999) NPMSPEED(FAST)");

        Assert.True(outcome.Succeeded, string.Join('\n', outcome.Lines));
        var ch = _catalog.Find("CHANNEL", "QM1.TO.QM2")!;
        Assert.Equal("host2(1414)", ch.Text("CONNAME"));
        Assert.Equal("CN=QM2,OU=MQ,O=Example", ch.Text("SSLPEER"));
        Assert.Equal(50L, ch.Number("BATCHSZ"));
        Assert.Equal(5000L, ch.Number("BATCHLIM"));
        Assert.False(ch.Attributes.ContainsKey("MRRTY"));
        Assert.False(ch.Attributes.ContainsKey("MAXINST"));
    }

    [Fact]
    public void Executor_must_alter_only_the_given_attributes_and_insist_on_the_channel_type()
    {
        Run("DEFINE CHANNEL(C) CHLTYPE(RCVR) SSLCAUTH(OPTIONAL) MRRTY(5)");

        var wrongType = Run("ALTER CHANNEL(C) CHLTYPE(SDR) HBINT(10)");
        var altered = Run("ALTER CHANNEL(C) CHLTYPE(RCVR) HBINT(10)");

        Assert.StartsWith("AMQ8151E", wrongType.Lines[0], StringComparison.Ordinal);
        Assert.Equal("AMQ8016I: ActorQm channel changed.", altered.Lines[0]);
        var ch = _catalog.Find("CHANNEL", "C")!;
        Assert.Equal(10L, ch.Number("HBINT"));
        Assert.Equal(5L, ch.Number("MRRTY"));
        Assert.Equal("OPTIONAL", ch.Text("SSLCAUTH"));
    }

    [Fact]
    public void Executor_must_alter_the_queue_manager()
    {
        var outcome = Run("ALTER QMGR DEADQ('SYSTEM.DEAD.LETTER.QUEUE') SSLKEYR('/var/qm1/key') SSLRKEYC(1000000)");

        Assert.Equal("AMQ8005I: ActorQm queue manager changed.", outcome.Lines[0]);
        Assert.Equal("SYSTEM.DEAD.LETTER.QUEUE", _catalog.QMgr.Text("DEADQ"));
        Assert.Equal(1_000_000L, _catalog.QMgr.Number("SSLRKEYC"));
    }

    [Fact]
    public void Executor_must_refuse_to_delete_a_non_empty_queue_unless_purged()
    {
        Run("DEFINE QLOCAL(A)");
        _status["A"] = new QueueStatus(3, 0);

        var refused = Run("DELETE QLOCAL(A)");
        var purged = Run("DELETE QLOCAL(A) PURGE");

        Assert.StartsWith("AMQ8143E", refused.Lines[0], StringComparison.Ordinal);
        Assert.True(purged.Succeeded);
        Assert.Contains(purged.Changes, c => c is QueueCleared { Name: "A" });
        Assert.Null(_catalog.FindQueue("A"));
    }

    [Fact]
    public void Executor_must_report_unknown_objects()
    {
        Assert.StartsWith("AMQ8147E", Run("DELETE QLOCAL(NOPE)").Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("AMQ8147E", Run("ALTER QREMOTE(NOPE) RNAME(X)").Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("AMQ8147E", Run("DISPLAY QUEUE(NOPE*)").Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Executor_must_display_objects_in_runmqsc_shape_and_hide_secrets()
    {
        Run("DEFINE QLOCAL(APP.A) DESCR('first')");
        Run("DEFINE QREMOTE(APP.R) RNAME(X) RQMNAME(QM2)");
        Run("DEFINE QLOCAL(OTHER)");
        Run("DEFINE AUTHINFO(LDAP.CRL) AUTHTYPE(CRLLDAP) CONNAME('ldap(389)') LDAPPWD('s3cret')");

        var names = Run("DISPLAY QUEUE(APP.*)");
        var selected = Run("DISPLAY QLOCAL(APP.A) DESCR MAXDEPTH");
        var auth = Run("DISPLAY AUTHINFO(*) ALL");

        Assert.Equal(2, names.Lines.Count(l => l.StartsWith("AMQ8409I", StringComparison.Ordinal)));
        Assert.Contains(names.Lines, l => l.Contains("QUEUE(APP.R)", StringComparison.Ordinal) && l.Contains("TYPE(QREMOTE)", StringComparison.Ordinal));
        Assert.DoesNotContain(names.Lines, l => l.Contains("OTHER", StringComparison.Ordinal));
        Assert.Contains(selected.Lines, l => l.Contains("DESCR(first)", StringComparison.Ordinal));
        Assert.Contains(selected.Lines, l => l.Contains("MAXDEPTH(777)", StringComparison.Ordinal));
        Assert.DoesNotContain(selected.Lines, l => l.Contains("MAXMSGL", StringComparison.Ordinal));
        Assert.Contains(auth.Lines, l => l.Contains("LDAPPWD(********)", StringComparison.Ordinal));
        Assert.DoesNotContain(auth.Lines, l => l.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public void Executor_must_show_queue_status_from_the_running_queue()
    {
        Run("DEFINE QLOCAL(A)");
        _status["A"] = new QueueStatus(42, 2) { InputHandles = 1, OutputHandles = 3 };

        var outcome = Run("DISPLAY QSTATUS(A)");

        Assert.Equal("AMQ8450I: Display queue status details.", outcome.Lines[0]);
        // MQ's order: CURDEPTH, IPPROCS, OPPROCS, UNCOM.
        Assert.Matches(@"CURDEPTH\(42\)\s+IPPROCS\(1\)\s+OPPROCS\(3\)\s+UNCOM\(2\)", string.Join(" ", outcome.Lines));
        Assert.Equal("AMQ8420I: Channel Status not found.", Run("DISPLAY CHSTATUS(*)").Lines[0]);
    }

    [Fact]
    public void Executor_must_keep_chlauth_records_per_profile_type_and_value()
    {
        var add = Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app1,O=Example') USERSRC(MAP) MCAUSER('app')");
        var second = Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app2,O=Example') USERSRC(NOACCESS)");
        var duplicate = Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app1,O=Example') USERSRC(MAP) MCAUSER('other')");
        var noMcaUser = Run("SET CHLAUTH('APP.*') TYPE(USERMAP) CLNTUSER('bob') USERSRC(MAP)");
        var badDn = Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('not a dn') USERSRC(NOACCESS)");
        var remove = Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app2,O=Example') ACTION(REMOVE)");

        Assert.True(add.Succeeded && second.Succeeded && remove.Succeeded);
        Assert.StartsWith("AMQ8150E", duplicate.Lines[0], StringComparison.Ordinal);
        Assert.Contains("needs MCAUSER", noMcaUser.Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("AMQ9640E", badDn.Lines[0], StringComparison.Ordinal);
        var remaining = Assert.Single(_catalog.All("CHLAUTH"));
        Assert.Equal("app", remaining.Text("MCAUSER"));
    }

    [Fact]
    public void Executor_must_restore_every_object_exactly_from_its_saved_definition()
    {
        Run("DEFINE QLOCAL('mixed.Case') DESCR('it''s here') MAXDEPTH(12) USAGE(XMITQ)");
        Run("DEFINE NAMELIST(NL) NAMES('A','b')");
        Run("DEFINE CHANNEL(C) CHLTYPE(SVRCONN) SSLCIPH('TLS_AES_128_GCM_SHA256') MAXINST(5)");
        Run("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.9.*','10.8.*')");
        Run("ALTER QMGR DEADQ('DLQ')");

        var objects = _catalog.All("QUEUE").Concat(_catalog.All("NAMELIST")).Concat(_catalog.All("CHANNEL")).Concat(_catalog.All("CHLAUTH")).Append(_catalog.QMgr);
        foreach (var original in objects)
        {
            var restored = MqscExecutor.Restore(original.ToMqsc(), "QM1");
            Assert.Equal(original.Type, restored.Type);
            Assert.Equal(original.Name, restored.Name);
            Assert.Equal(original.Attributes.Keys, restored.Attributes.Keys);
            foreach (var (key, value) in original.Attributes)
            {
                Assert.Equal(value, restored.Attributes[key]);
            }
        }
    }

    [Theory]
    [InlineData("BLOCKADDR", "127.0.0.0/8", "part 4 ('0/8')")]
    [InlineData("BLOCKADDR", "127.0.0.300", "part 4 ('300')")]
    [InlineData("BLOCKADDR", "127.0.0.5-1", "part 4 ('5-1')")]
    [InlineData("BLOCKADDR", "127.0.0.1.2", "part 5 ('2')")]
    [InlineData("BLOCKADDR", "localhost", "part 1 ('localhost')")]
    [InlineData("BLOCKADDR", "10..1.1", "part 2 ('')")]
    [InlineData("BLOCKADDR", "10.1", "part 2 ('1')")]
    [InlineData("ADDRESSMAP", "127.0.0.300", "part 4 ('300')")]
    [InlineData("ADDRESSMAP", "fe80::1%3", "part 1 ('fe80::1%3')")]
    public void Executor_must_refuse_a_CHLAUTH_address_pattern_MQ_does_not_accept_naming_the_bad_part(string type, string pattern, string part)
    {
        var outcome = Run(type == "BLOCKADDR"
            ? $"SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.9.*','{pattern}')"
            : $"SET CHLAUTH('APP.*') TYPE(ADDRESSMAP) ADDRESS('{pattern}') USERSRC(NOACCESS)");

        Assert.False(outcome.Succeeded);
        Assert.StartsWith("AMQ8884E", outcome.Lines[0], StringComparison.Ordinal);
        Assert.Contains($"'{pattern}'", outcome.Lines[0], StringComparison.Ordinal);
        Assert.Contains(part, outcome.Lines[0], StringComparison.Ordinal);
        Assert.Empty(_catalog.All("CHLAUTH"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("10.9.*")]
    [InlineData("192.0.*.1-8")]
    [InlineData("192.*.2")]
    [InlineData("127.0.0.1")]
    [InlineData("2001:DB8::1")]
    public void Executor_must_accept_the_address_patterns_MQ_documents(string pattern) =>
        Assert.True(Run($"SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('{pattern}')").Succeeded);
}
