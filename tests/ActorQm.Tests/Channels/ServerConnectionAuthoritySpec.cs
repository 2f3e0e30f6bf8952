using System.Text;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// What an admitted client may do (docs/security.md, "Enforcement"): its certificate maps to a
/// principal, and every MQOPEN, MQPUT1 and remote MQSC command is checked against that principal's
/// authority records, over real TLS on loopback. Each refusal is MQRC 2035 and changes nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServerConnectionAuthoritySpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private StartedQueueManager _qm = null!;
    private int _port;

    // Two applications on one channel, told apart by their certificates: APP1 runs as 'app1', APP2 as 'app2'.
    private async Task Start(string grants, string hocon = "")
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        _qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}') DEADQ('DLQ')
            DEFINE QLOCAL('DLQ')
            DEFINE QLOCAL('APP1.IN')
            DEFINE QLOCAL('APP2.IN')
            DEFINE QLOCAL('APP2.PAYROLL.IN')
            DEFINE QLOCAL('QM9') USAGE(XMITQ)
            DEFINE QALIAS('APP1.ALIAS') TARGET('APP2.IN')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('O=Example')
            SET CHLAUTH('APP.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=APP1') USERSRC(MAP) MCAUSER('app1')
            SET CHLAUTH('APP.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=APP2') USERSRC(MAP) MCAUSER('app2')
            SET CHLAUTH('APP.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=NOBODY') USERSRC(MAP) MCAUSER('nobody')
            DEFINE CHANNEL('SYSTEM.ADMIN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLPEER('O=Example')
            SET CHLAUTH('SYSTEM.ADMIN.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=OPS') USERSRC(MAP) MCAUSER('ops')
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app1') AUTHADD(CONNECT)
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app2') AUTHADD(CONNECT)
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('ops') AUTHADD(CONNECT,DSP)
            SET AUTHREC PROFILE('APP1.**') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET,BROWSE)
            SET AUTHREC PROFILE('APP2.**') OBJTYPE(QUEUE) PRINCIPAL('app2') AUTHADD(PUT,GET,BROWSE)
            {grants}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, hocon);
        _port = await QueueManagerPair.ListenerPort(_qm.Actor);
    }

    private Task<MqClient> Connect(string cn, string channel = "APP.SVRCONN")
    {
        var folder = "client-" + cn.ToLowerInvariant();
        var path = _dir.File(folder);
        if (!Directory.Exists(path))
        {
            QueueManagerPair.KeyRepository(_dir, folder, "app", TestPki.Leaf(TestPki.Shared.Ca, $"CN={cn},O=Example").WithKey());
        }

        return MqClient.ConnectAsync(new MqClientOptions
        {
            Host = "127.0.0.1", Port = _port, Channel = channel, QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QM2,OU=MQ,O=Example", ApplicationName = "authority-spec",
            Timeout = TimeSpan.FromSeconds(10),
        });
    }

    private static MqMessage Text(string text, string user = "") =>
        new(new MessageDescriptor { UserIdentifier = user, PutApplName = user.Length > 0 ? "forged-app" : string.Empty }, Encoding.UTF8.GetBytes(text));

    private async Task<int> Depth(string queue)
    {
        var (lines, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync($"DISPLAY QSTATUS('{queue}') CURDEPTH");
        var line = lines.First(l => l.Contains("CURDEPTH(", StringComparison.Ordinal));
        var start = line.IndexOf("CURDEPTH(", StringComparison.Ordinal) + 9;
        return int.Parse(line[start..line.IndexOf(')', start)], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ServerConnection_must_let_a_principal_use_its_own_queues_and_refuse_another_applications_with_2035_changing_nothing()
    {
        await Start(string.Empty);
        await using var app1 = await Connect("APP1");
        await using var app2 = await Connect("APP2");
        await app2.PutAsync("APP2.IN", Text("for app2 only"));
        await app1.PutAsync("APP1.IN", Text("mine"));

        var get = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP2.IN", ClientOpenPurpose.Input));
        var browse = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP2.IN", ClientOpenPurpose.Browse));
        var put = await Assert.ThrowsAsync<MqException>(() => app1.PutAsync("APP2.IN", Text("intruder")));
        // An alias is checked on the alias (APP1.**: granted), as MQ does, whatever it targets.
        await app1.PutAsync("APP1.ALIAS", Text("through my alias"));

        Assert.All([get, browse, put], e => Assert.Equal(MqReason.NotAuthorized, e.Reason));
        Assert.Contains("AMQ8077W", get.Message, StringComparison.Ordinal);
        Assert.Contains("GET on queue APP2.IN", get.Message, StringComparison.Ordinal);
        Assert.Equal(2, await Depth("APP2.IN"));
        var mine = await app1.OpenAsync("APP1.IN", ClientOpenPurpose.Input);
        Assert.Equal("mine", Encoding.UTF8.GetString((await mine.GetAsync()).Payload.Span));
    }

    [Fact]
    public async Task ServerConnection_must_keep_SYSTEM_queues_and_transmission_queues_closed_unless_granted()
    {
        await Start("SET AUTHREC PROFILE('QM9') OBJTYPE(QUEUE) PRINCIPAL('app2') AUTHADD(PUT)");
        await using var app2 = await Connect("APP2");

        var dlq = await Assert.ThrowsAsync<MqException>(() => app2.OpenAsync("DLQ", ClientOpenPurpose.Browse));
        var admin = await Assert.ThrowsAsync<MqException>(() => app2.PutAsync("SYSTEM.ADMIN.COMMAND.QUEUE", Text("x")));
        // PUT alone does not let a client hand-make an MQXQH: a transmission queue opened by name needs SETALL too.
        var forged = new MqMessage(MessageDescriptor.Default, TransmissionHeader.Wrap(Text("forged route"), "APP1.IN", "QM9").Payload);
        var xmitq = await Assert.ThrowsAsync<MqException>(() => app2.PutAsync("QM9", forged));

        Assert.Equal(MqReason.NotAuthorized, dlq.Reason);
        Assert.True(admin.Reason is MqReason.NotAuthorized or MqReason.UnknownObjectName, admin.Message);
        Assert.Equal(MqReason.NotAuthorized, xmitq.Reason);
        Assert.Contains("SETALL", xmitq.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Depth("QM9"));
    }

    [Fact]
    public async Task ServerConnection_must_let_the_most_specific_profile_decide_and_add_up_groups()
    {
        // app2's APP2.** grants GET, but the more specific APP2.PAYROLL.* grants only BROWSE; the payroll group adds GET back for its members.
        await Start("""
            SET AUTHREC PROFILE('APP2.PAYROLL.*') OBJTYPE(QUEUE) PRINCIPAL('app2') AUTHADD(BROWSE)
            SET AUTHREC PROFILE('APP2.PAYROLL.*') OBJTYPE(QUEUE) GROUP('payroll') AUTHADD(GET)
            """, "security.groups { payroll = [\"app1\"] }");
        await using var app2 = await Connect("APP2");
        await using var app1 = await Connect("APP1");

        await app2.OpenAsync("APP2.PAYROLL.IN", ClientOpenPurpose.Browse);
        var get = await Assert.ThrowsAsync<MqException>(() => app2.OpenAsync("APP2.PAYROLL.IN", ClientOpenPurpose.Input));
        await app1.OpenAsync("APP2.PAYROLL.IN", ClientOpenPurpose.Input);

        Assert.Equal(MqReason.NotAuthorized, get.Reason);
    }

    [Fact]
    public async Task ServerConnection_must_apply_a_removal_to_the_next_open_and_refuse_a_principal_without_CONNECT()
    {
        await Start(string.Empty);
        await using var app1 = await Connect("APP1");
        await app1.OpenAsync("APP1.IN", ClientOpenPurpose.Output);
        await new QueueManagerConnection(_qm.Actor).RunMqscAsync("SET AUTHREC PROFILE('APP1.**') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHRMV(PUT)");

        var after = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP1.IN", ClientOpenPurpose.Output));
        var nobody = await Assert.ThrowsAsync<MqException>(() => Connect("NOBODY"));

        Assert.Equal(MqReason.NotAuthorized, after.Reason);
        Assert.Equal(MqReason.NotAuthorized, nobody.Reason);
    }

    [Fact]
    public async Task ServerConnection_must_stamp_the_principal_on_a_put_so_a_client_cannot_forge_who_put_it()
    {
        await Start("SET AUTHREC PROFILE('APP2.IN') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,SETALL)\nSET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app1') AUTHADD(SETALL)");
        await using var app2 = await Connect("APP2");
        await using var app1 = await Connect("APP1");

        await app2.PutAsync("APP2.IN", Text("forged", user: "payroll"));
        // Holding SETALL is not asking for it: a default-context put is stamped whoever puts it.
        await app1.PutAsync("APP2.IN", Text("default context", user: "batchjob"));
        await app1.PutAsync("APP2.IN", Text("set with SETALL", user: "batchjob"), new ClientPutOptions { Context = MqPutContext.SetAll });
        var queue = await app2.OpenAsync("APP2.IN", ClientOpenPurpose.Input);
        var forged = await queue.GetAsync();
        var unasked = await queue.GetAsync();
        var allowed = await queue.GetAsync();

        Assert.Equal("app2", forged.Descriptor.UserIdentifier);
        Assert.Equal("authority-sp", forged.Descriptor.PutApplName[..12]);
        Assert.Equal("app1", unasked.Descriptor.UserIdentifier);
        Assert.Equal("batchjob", allowed.Descriptor.UserIdentifier);
        Assert.Equal("forged-app", allowed.Descriptor.PutApplName);
    }

    [Theory]
    [InlineData(MqOpenOptions.Inquire, "INQ")]
    [InlineData(MqOpenOptions.Set, "SET")]
    [InlineData(MqOpenOptions.Output | MqOpenOptions.PassIdentityContext, "PASSID")]
    [InlineData(MqOpenOptions.Output | MqOpenOptions.PassAllContext, "PASSALL")]
    [InlineData(MqOpenOptions.Output | MqOpenOptions.SetIdentityContext, "SETID")]
    [InlineData(MqOpenOptions.Output | MqOpenOptions.SetAllContext, "SETALL")]
    [InlineData(MqOpenOptions.InputShared | MqOpenOptions.SaveAllContext, "GET")]
    public async Task ServerConnection_must_check_each_open_option_for_its_own_authority(MqOpenOptions options, string authority)
    {
        // app1 holds PUT, GET and BROWSE on APP1.**; APP1.GRANTED also grants the one authority the option needs (SET* on the queue manager too).
        var onQMgr = authority is "SETID" or "SETALL" ? $"SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app1') AUTHADD({authority})" : string.Empty;
        await Start($"""
            DEFINE QLOCAL('APP1.GRANTED')
            DEFINE QLOCAL('APP2.OTHER')
            SET AUTHREC PROFILE('APP1.GRANTED') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET,BROWSE,{authority})
            SET AUTHREC PROFILE('APP2.OTHER') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD({(authority == "GET" ? "PUT" : "PUT,GET,BROWSE")})
            {onQMgr}
            """);
        await using var app1 = await Connect("APP1");

        await app1.OpenAsync("APP1.GRANTED", options);
        var refused = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP2.OTHER", options));

        Assert.Equal(MqReason.NotAuthorized, refused.Reason);
        Assert.Contains($"missing {authority} on queue APP2.OTHER", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerConnection_must_need_SETID_and_SETALL_on_the_queue_manager_as_well_as_the_queue()
    {
        await Start("SET AUTHREC PROFILE('APP1.**') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(SETID,SETALL)");
        await using var app1 = await Connect("APP1");

        var setId = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP1.IN", MqOpenOptions.Output | MqOpenOptions.SetIdentityContext));
        var put1 = await Assert.ThrowsAsync<MqException>(() => app1.PutAsync("APP1.IN", Text("x", "someone"), new ClientPutOptions { Context = MqPutContext.SetAll }));

        Assert.Contains("missing SETID on queue manager QM2", setId.Message, StringComparison.Ordinal);
        Assert.Contains("missing SETALL on queue manager QM2", put1.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Depth("APP1.IN"));
    }

    [Fact]
    public async Task ServerConnection_must_apply_each_put_context_option_and_refuse_one_its_handle_was_not_opened_for()
    {
        await Start("""
            SET AUTHREC PROFILE('APP1.**') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(SETID,PASSALL)
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app1') AUTHADD(SETID)
            """);
        await using var app1 = await Connect("APP1");
        await new QueueManagerConnection(_qm.Actor).PutAsync("APP1.IN", new MqMessage(new MessageDescriptor { UserIdentifier = "upstream", PutApplName = "upstream-app" }, "request"u8.ToArray()));
        var input = await app1.OpenAsync("APP1.IN", MqOpenOptions.InputShared | MqOpenOptions.SaveAllContext);
        var plain = await app1.OpenAsync("APP1.IN", MqOpenOptions.InputShared);
        var setId = await app1.OpenAsync("APP1.IN", MqOpenOptions.Output | MqOpenOptions.SetIdentityContext);
        var passAll = await app1.OpenAsync("APP1.IN", MqOpenOptions.Output | MqOpenOptions.PassAllContext);

        var notYet = await Assert.ThrowsAsync<MqException>(() => passAll.PutAsync(Text("x"), new ClientPutOptions { Context = MqPutContext.PassAll, ContextFrom = input }));
        var request = await input.GetAsync();
        var notSaved = await Assert.ThrowsAsync<MqException>(() => passAll.PutAsync(Text("x"), new ClientPutOptions { Context = MqPutContext.PassAll, ContextFrom = plain }));
        var setAll = await Assert.ThrowsAsync<MqException>(() => setId.PutAsync(Text("x", "root"), new ClientPutOptions { Context = MqPutContext.SetAll }));
        var passOnSetId = await Assert.ThrowsAsync<MqException>(() => passAll.PutAsync(Text("x", "root"), new ClientPutOptions { Context = MqPutContext.SetIdentity }));
        await setId.PutAsync(Text("identity set", "batchjob"), new ClientPutOptions { Context = MqPutContext.SetIdentity });
        await passAll.PutAsync(Text("context passed"), new ClientPutOptions { Context = MqPutContext.PassAll, ContextFrom = input });
        // PASS_IDENTITY is implied by PASS_ALL (and by either SET option).
        await passAll.PutAsync(Text("identity passed"), new ClientPutOptions { Context = MqPutContext.PassIdentity, ContextFrom = input });

        Assert.Equal(MqReason.ContextNotAvailable, notYet.Reason);
        Assert.Equal(MqReason.ContextHandleError, notSaved.Reason);
        Assert.Equal(MqReason.NotOpenForSetAll, setAll.Reason);
        Assert.Equal(MqReason.NotOpenForSetIdentity, passOnSetId.Reason);
        Assert.Equal("upstream", request.Descriptor.UserIdentifier);
        var set = await input.GetAsync();
        var passed = await input.GetAsync();
        var identity = await input.GetAsync();
        Assert.Equal(("batchjob", "authority-sp"), (set.Descriptor.UserIdentifier, set.Descriptor.PutApplName[..12]));
        Assert.Equal(("upstream", "upstream-app", request.Descriptor.PutDateTime), (passed.Descriptor.UserIdentifier, passed.Descriptor.PutApplName, passed.Descriptor.PutDateTime));
        Assert.Equal(("upstream", "authority-sp"), (identity.Descriptor.UserIdentifier, identity.Descriptor.PutApplName[..12]));
        Assert.Equal(0, await Depth("APP1.IN"));
    }

    [Fact]
    public async Task ServerConnection_must_refuse_options_that_do_not_go_together_and_calls_a_handle_was_not_opened_for()
    {
        await Start(string.Empty);
        await using var app1 = await Connect("APP1");
        var output = await app1.OpenAsync("APP1.IN", ClientOpenPurpose.Output);
        var input = await app1.OpenAsync("APP1.IN", ClientOpenPurpose.Input);
        await output.PutAsync(Text("stays"));

        var contextWithoutOutput = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP1.IN", MqOpenOptions.InputShared | MqOpenOptions.SetAllContext));
        var twoInputs = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP1.IN", MqOpenOptions.InputShared | MqOpenOptions.InputExclusive));
        var getOnOutput = await Assert.ThrowsAsync<MqException>(() => output.GetAsync());
        var browseOnInput = await Assert.ThrowsAsync<MqException>(() => input.BrowseFirstAsync());
        var putOnInput = await Assert.ThrowsAsync<MqException>(() => input.PutAsync(Text("no")));

        Assert.Equal(MqReason.OptionsError, contextWithoutOutput.Reason);
        Assert.Equal(MqReason.OptionsError, twoInputs.Reason);
        Assert.Equal(MqReason.NotOpenForInput, getOnOutput.Reason);
        Assert.Equal(MqReason.NotOpenForBrowse, browseOnInput.Reason);
        Assert.Equal(MqReason.NotOpenForOutput, putOnInput.Reason);
        Assert.Equal(1, await Depth("APP1.IN"));
    }

    [Fact]
    public async Task ServerConnection_must_check_an_alternate_user_for_the_object_and_the_opener_for_ALTUSR()
    {
        // app1 may not touch APP2.IN itself; with ALTUSR it may act for app2, who may.
        await Start(string.Empty);
        await using var app1 = await Connect("APP1");
        await using var app2 = await Connect("APP2");
        var withoutAltUsr = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP2.IN", MqOpenOptions.Output | MqOpenOptions.AlternateUserAuthority, alternateUserId: "app2"));
        await new QueueManagerConnection(_qm.Actor).RunMqscAsync("SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app1') AUTHADD(ALTUSR)");

        var forApp2 = await app1.OpenAsync("APP2.IN", MqOpenOptions.Output | MqOpenOptions.AlternateUserAuthority, alternateUserId: "app2");
        var forNobody = await Assert.ThrowsAsync<MqException>(() => app1.OpenAsync("APP2.IN", MqOpenOptions.Output | MqOpenOptions.AlternateUserAuthority, alternateUserId: "app3"));
        await forApp2.PutAsync(Text("on behalf of app2"));
        var got = await (await app2.OpenAsync("APP2.IN", ClientOpenPurpose.Input)).GetAsync();

        Assert.Contains("missing ALTUSR on queue manager QM2", withoutAltUsr.Message, StringComparison.Ordinal);
        Assert.Contains("entity 'app3'", forNobody.Message, StringComparison.Ordinal);
        // The identity context is the connection's user, never the alternate user (MQ on distributed platforms).
        Assert.Equal("app1", got.Descriptor.UserIdentifier);
    }

    [Fact]
    public async Task ServerConnection_must_check_each_remote_MQSC_command_and_run_the_others()
    {
        await Start(string.Empty);
        await using var ops = await Connect("OPS", ServerConnectionActor.AdminChannel);

        var (lines, failed) = await ops.RunMqscAsync("DISPLAY QMGR DESCR\nDEFINE QLOCAL('OPS.NEW')\nDELETE QLOCAL('APP1.IN')\nSET AUTHREC PROFILE('**') OBJTYPE(QUEUE) PRINCIPAL('ops') AUTHADD(ALL)");

        Assert.Equal(3, failed);
        Assert.Contains(lines, l => l.Contains("QMNAME(QM2)", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.StartsWith("AMQ8135E: Not authorized", StringComparison.Ordinal)));
        var (display, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DISPLAY QLOCAL('OPS.NEW')\nDISPLAY QLOCAL('APP1.IN')\nDISPLAY AUTHREC PRINCIPAL('ops')");
        Assert.Contains(display, l => l.StartsWith("AMQ8147E", StringComparison.Ordinal));
        Assert.Contains(display, l => l.Contains("QUEUE(APP1.IN)", StringComparison.Ordinal));
        Assert.DoesNotContain(display, l => l.Contains("OBJTYPE(QUEUE)", StringComparison.Ordinal) && l.Contains("'**'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerConnection_must_refuse_a_client_with_no_user_and_apply_MQs_default_CHLAUTH_rules()
    {
        await Start("""
            DEFINE CHANNEL('BARE.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED)
            DEFINE CHANNEL('SYSTEM.DEF.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app2')
            """, "security.groups { mqm = [\"app1\"] }");

        // Secure by default: no MCAUSER and no mapping record means no user, and a client never runs as the queue manager.
        var bare = await Assert.ThrowsAsync<MqException>(() => Connect("APP2", "BARE.SVRCONN"));
        // BLOCKUSER('*MQADMIN'): an administrator (member of mqm) may not connect as a client.
        var admin = await Assert.ThrowsAsync<MqException>(() => Connect("APP1"));
        // SYSTEM.* channels other than the admin channel are closed (ADDRESSMAP('*') USERSRC(NOACCESS)).
        var system = await Assert.ThrowsAsync<MqException>(() => Connect("APP2", "SYSTEM.DEF.SVRCONN"));
        await using var app2 = await Connect("APP2");
        var (rules, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DISPLAY CHLAUTH('*')\nDISPLAY CHSTATUS('APP.SVRCONN')");

        Assert.All([bare, admin, system], e => Assert.Equal(MqReason.NotAuthorized, e.Reason));
        Assert.Contains(rules, l => l.Contains("*MQADMIN", StringComparison.Ordinal));
        Assert.Contains(rules, l => l.Contains("CHLAUTH(SYSTEM.*)", StringComparison.Ordinal) || l.Contains("CHLAUTH('SYSTEM.*')", StringComparison.Ordinal));
        Assert.Contains(rules, l => l.Contains("MCAUSER('app2')", StringComparison.Ordinal));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
