using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace ActorQm.Tests.Client;

/// <summary>The client library against a queue manager's server-connection channels, over real TLS on loopback.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class MqClientSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private StartedQueueManager _qm = null!;
    private int _port;

    private async Task Start(string qmgrAttributes = "", string definitions = "")
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        _qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}') {qmgrAttributes}
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            {definitions}
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,O=Example') MCAUSER('app')
            DEFINE CHANNEL('SYSTEM.ADMIN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLPEER('CN=ADMIN,O=Example') MCAUSER('admin')
            DEFINE CHANNEL('LIMITED.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MAXINST(3) MAXINSTC(2) MCAUSER('app')
            {TestGrants.App()}
            {TestGrants.Admin()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        _port = await QueueManagerPair.ListenerPort(_qm.Actor);
    }

    private MqClientOptions Options(string subject = "CN=APP1,O=Example", string channel = "APP.SVRCONN", string? sslPeer = "CN=QM2,OU=MQ,O=Example")
    {
        var folder = "client-" + subject.GetHashCode(StringComparison.Ordinal).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var path = _dir.File(folder);
        if (!Directory.Exists(path))
        {
            QueueManagerPair.KeyRepository(_dir, folder, "app", TestPki.Leaf(TestPki.Shared.Ca, subject).WithKey());
        }

        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = _port, Channel = channel, QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = sslPeer, ApplicationName = "client-spec",
        };
    }

    [Fact]
    public async Task Client_must_put_browse_and_get_with_wait_and_match_over_a_mutually_authenticated_svrconn()
    {
        await Start();
        await using var client = await MqClient.ConnectAsync(Options());
        Assert.Equal("QM2", client.QueueManagerName);
        Assert.Equal("TLS_AES_128_GCM_SHA256", client.CipherSpec);
        Assert.Contains("CN=QM2", client.Peer.Subject.ToString(), StringComparison.Ordinal);

        var output = await client.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        var correl = MqId.FromString("order-7");
        for (var i = 0; i < 5; i++)
        {
            var stored = await output.PutAsync(TestMessages.Text($"m{i}", Persistence.Persistent, correlId: i == 3 ? correl : null));
            Assert.False(stored.MsgId.IsNone);
        }

        var browse = await client.OpenAsync("APP.IN", ClientOpenPurpose.Browse);
        Assert.Equal("m0", TestMessages.Text(await browse.BrowseFirstAsync()));
        Assert.Equal("m1", TestMessages.Text(await browse.BrowseNextAsync()));

        var input = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal("m3", TestMessages.Text(await input.GetAsync(new ClientGetOptions { CorrelId = correl })));
        foreach (var expected in new[] { "m0", "m1", "m2", "m4" })
        {
            var got = await input.GetAsync();
            Assert.Equal(expected, TestMessages.Text(got));
            Assert.Equal("client-spec", got.Descriptor.PutApplName.Trim());
        }

        var empty = await Assert.ThrowsAsync<MqException>(() => input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal(MqReason.NoMsgAvailable, empty.Reason);

        var waiting = input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(10) });
        await new QueueManagerConnection(_qm.Actor).PutAsync("APP.IN", TestMessages.Text("late"));
        Assert.Equal("late", TestMessages.Text(await waiting));
        var unknown = await Assert.ThrowsAsync<MqException>(() => client.OpenAsync("NO.SUCH.Q", ClientOpenPurpose.Input));
        Assert.Equal(MqReason.UnknownObjectName, unknown.Reason);
    }

    [Fact]
    public async Task Client_unit_of_work_must_commit_puts_and_gets_together_and_back_out_on_request_or_disconnect()
    {
        await Start();
        await using var app = await MqClient.ConnectAsync(Options());
        await using var other = await MqClient.ConnectAsync(Options("CN=APP2,O=Example"));
        var output = await app.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        await output.PutAsync(TestMessages.Text("first", Persistence.Persistent), syncpoint: true);
        await output.PutAsync(TestMessages.Text("second", Persistence.Persistent), syncpoint: true);
        var otherInput = await other.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal(MqReason.NoMsgAvailable, (await Assert.ThrowsAsync<MqException>(() => otherInput.GetAsync())).Reason);

        await app.CommitAsync();
        var taken = await otherInput.GetAsync(new ClientGetOptions { Syncpoint = true });
        Assert.Equal("first", TestMessages.Text(taken));
        await other.BackoutAsync();
        var again = await otherInput.GetAsync(new ClientGetOptions { Syncpoint = true });
        Assert.Equal("first", TestMessages.Text(again));
        Assert.Equal(1, again.Descriptor.BackoutCount);

        // A get and a put in one unit of work commit together.
        await other.PutAsync("APP.IN", TestMessages.Text("reply", Persistence.Persistent), syncpoint: true);
        await other.CommitAsync();
        var input = await app.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal("second", TestMessages.Text(await input.GetAsync()));
        Assert.Equal("reply", TestMessages.Text(await input.GetAsync()));

        // Uncommitted work of a client that goes is backed out.
        await output.PutAsync(TestMessages.Text("never", Persistence.Persistent), syncpoint: true);
        await app.PutAsync("APP.IN", TestMessages.Text("kept", Persistence.Persistent));
        Assert.Equal("kept", TestMessages.Text(await otherInput.GetAsync(new ClientGetOptions { Syncpoint = true })));
        await other.DisposeAsync();
        await app.DisposeAsync();
        var local = new QueueManagerConnection(_qm.Actor);
        await AwaitAssertAsync(async () => Assert.Equal("kept", TestMessages.Text(await local.GetAsync("APP.IN"))), TimeSpan.FromSeconds(10));
        Assert.Equal(MqReason.NoMsgAvailable, (await Assert.ThrowsAsync<MqException>(() => local.GetAsync("APP.IN"))).Reason);
    }

    [Fact]
    public async Task Client_offering_an_alias_CipherSpec_must_meet_the_specific_one_of_the_channel_it_names()
    {
        // APP.SVRCONN has SSLCIPH(TLS_AES_128_GCM_SHA256); the client offers every TLS 1.2 and 1.3 suite. The channel's name in
        // the server name lets the queue manager offer only the channel's CipherSpec, so they meet instead of negotiating
        // another suite and refusing it afterwards (AMQ9631E).
        await Start();
        await using var client = await MqClient.ConnectAsync(Options() with { CipherSpec = "ANY_TLS12_OR_HIGHER" });

        Assert.Equal("TLS_AES_128_GCM_SHA256", client.CipherSpec);
        await client.PutAsync("APP.IN", TestMessages.Text("met", Persistence.Persistent));

        // A channel defined after start is named as well.
        await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DEFINE CHANNEL('LATER.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_256_GCM_SHA384) SSLCAUTH(REQUIRED) MCAUSER('app')");
        await using var later = await MqClient.ConnectAsync(Options(channel: "LATER.SVRCONN") with { CipherSpec = "ANY_TLS13" });
        Assert.Equal("TLS_AES_256_GCM_SHA384", later.CipherSpec);

        // A TLS 1.2 channel: the responder keeps to the channel's protocol when the client supports it.
        await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DEFINE CHANNEL('TLS12.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ECDHE_ECDSA_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')");
        await using var tls12 = await MqClient.ConnectAsync(Options(channel: "TLS12.SVRCONN") with { CipherSpec = "ANY_TLS12_OR_HIGHER" });
        Assert.Equal("ECDHE_ECDSA_AES_128_GCM_SHA256", tls12.CipherSpec);
    }

    [Fact]
    public async Task Client_without_its_certificate_label_must_say_so_when_the_queue_manager_refuses_it()
    {
        await Start();

        var refused = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options() with { CertificateLabel = "ibmwebspheremqnobody" }));

        // MQ sends no certificate for a missing label and the queue manager decides (SSLCAUTH(REQUIRED) here); the client says why it had none.
        Assert.Contains("no certificate labelled 'ibmwebspheremqnobody'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("its labels: app", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_that_disconnects_normally_must_leave_no_dead_letters_in_the_log()
    {
        await Start();
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(Akka.Event.DeadLetter));
        var client = await MqClient.ConnectAsync(Options());
        var input = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        await client.PutAsync("APP.IN", TestMessages.Text("one", Persistence.Persistent), syncpoint: true);
        await client.CommitAsync();
        await input.GetAsync(new ClientGetOptions { Syncpoint = true });

        // Disconnecting with a get uncommitted: it is backed out, the agent and transport stop, and nothing of it is a dead letter.
        await client.DisposeAsync();

        await deadLetters.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Server_connection_channel_with_its_own_CERTLABL_must_present_that_certificate_to_a_client_that_names_it()
    {
        await Start();
        var own = TestPki.Leaf(TestPki.Shared.Ca, "CN=QM2.APPS,OU=MQ,O=Example").WithKey();
        File.WriteAllBytes(Path.Combine(_dir.File("qm2key"), "personal", "appscert.p12"), own.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "pw"));
        var admin = new QueueManagerConnection(_qm.Actor);
        await admin.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");
        await admin.RunMqscAsync("DEFINE CHANNEL('APPS.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) CERTLABL('appscert') MCAUSER('app')");

        // The client names the channel in its server name; the queue manager presents the channel's certificate, not its own.
        await using var client = await MqClient.ConnectAsync(Options(channel: "APPS.SVRCONN", sslPeer: "CN=QM2.APPS,OU=MQ,O=Example"));
        Assert.Contains("CN=QM2.APPS", client.Peer.Subject.ToString(), StringComparison.Ordinal);

        // Other channels still present the queue manager's certificate.
        await using var other = await MqClient.ConnectAsync(Options());
        Assert.Contains("CN=QM2,", other.Peer.Subject.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_must_refuse_a_put_longer_than_the_queue_managers_MAXMSGL_with_2031_and_stay_connected()
    {
        await Start("MAXMSGL(65536)");
        await using var client = await MqClient.ConnectAsync(Options());
        Assert.Equal(65536, client.MaxMessageLength);
        var output = await client.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        var large = new MqMessage(MessageDescriptor.Default, new byte[1024 * 1024]);

        Assert.Equal(MqReason.MsgTooBigForQMgr, (await Assert.ThrowsAsync<MqException>(() => output.PutAsync(large))).Reason);
        Assert.Equal(MqReason.MsgTooBigForQMgr, (await Assert.ThrowsAsync<MqException>(() => client.PutAsync("APP.IN", large))).Reason);

        // Nothing was sent, so the connection goes on: the largest message allowed is put and got.
        await output.PutAsync(new MqMessage(MessageDescriptor.Default, new byte[65536]));
        var input = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal(65536, (await input.GetAsync()).Payload.Length);
    }

    [Fact]
    public async Task Client_that_goes_while_its_get_waits_must_not_take_the_message_with_it()
    {
        await Start();
        var leaving = await MqClient.ConnectAsync(Options());
        var input = await leaving.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        var abandoned = input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(30) });
        await Task.Delay(200);
        await leaving.DisposeAsync();
        await Assert.ThrowsAsync<MqException>(() => abandoned);
        await Task.Delay(200);
        await new QueueManagerConnection(_qm.Actor).PutAsync("APP.IN", TestMessages.Text("for the next one", Persistence.Persistent));

        await using var next = await MqClient.ConnectAsync(Options());
        var nextInput = await next.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal("for the next one", TestMessages.Text(await nextInput.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(10) })));
    }

    [Fact]
    public async Task Client_must_be_refused_with_reason_codes_for_its_certificate_the_queue_managers_and_the_channel()
    {
        await Start();
        var outsider = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options("CN=EVE,O=Example")));
        Assert.Equal(MqReason.NotAuthorized, outsider.Reason);
        Assert.Contains("AMQ9636E", outsider.Message, StringComparison.Ordinal);

        var wrongQm = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options(sslPeer: "CN=QM9")));
        Assert.Equal(MqReason.SslPeerNameMismatch, wrongQm.Reason);

        var noChannel = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options(channel: "NO.SUCH.SVRCONN")));
        Assert.Equal(MqReason.UnknownChannelName, noChannel.Reason);

        var wrongName = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options() with { QueueManager = "QM7" }));
        Assert.Equal(MqReason.QMgrNameError, wrongName.Reason);

        var noHost = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options() with { Port = 1 }));
        Assert.Equal(MqReason.HostNotAvailable, noHost.Reason);

        // A certificate the queue manager does not trust: the handshake's refusal comes back as a status (2393, AMQ9633E), not as a closed connection (2009).
        var rogue = QueueManagerPair.KeyRepository(_dir, "rogue", "app", TestPki.Leaf(TestPki.Root("Rogue Root"), "CN=APP1,O=Example").WithKey());
        var untrusted = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(Options() with { KeyRepository = rogue }));
        Assert.Equal(MqReason.SslInitializationError, untrusted.Reason);
        Assert.Contains("AMQ9633E", untrusted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Rogue", untrusted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_connection_channel_must_hold_to_MAXINSTC_per_client_address_and_MAXINST_in_all()
    {
        await Start();
        MqClientOptions From(string address) => Options(channel: "LIMITED.SVRCONN") with { LocalAddress = System.Net.IPAddress.Parse(address) };
        var first = await MqClient.ConnectAsync(From("127.0.0.1"));
        await using var second = await MqClient.ConnectAsync(From("127.0.0.1"));

        var perClient = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(From("127.0.0.1")));
        Assert.Equal(MqReason.ChannelNotAvailable, perClient.Reason);
        Assert.Contains("MAXINSTC(2)", perClient.Message, StringComparison.Ordinal);

        await using var third = await MqClient.ConnectAsync(From("127.0.0.2"));
        var overall = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(From("127.0.0.3")));
        Assert.Equal(MqReason.ChannelNotAvailable, overall.Reason);
        Assert.Contains("MAXINST(3)", overall.Message, StringComparison.Ordinal);

        // An instance that ends frees its place; the other channels were never limited.
        await first.DisposeAsync();
        await AwaitAssertAsync(async () => await (await MqClient.ConnectAsync(From("127.0.0.1"))).DisposeAsync(), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        await using var unlimited = await MqClient.ConnectAsync(Options() with { LocalAddress = System.Net.IPAddress.Parse("127.0.0.1") });
    }

    [Fact]
    public async Task Remote_admin_must_run_MQSC_over_SYSTEM_ADMIN_SVRCONN_only()
    {
        await Start();
        await using var admin = await MqClient.ConnectAsync(Options("CN=ADMIN,O=Example", "SYSTEM.ADMIN.SVRCONN"));
        var (lines, failed) = await admin.RunMqscAsync("DISPLAY QSTATUS('APP.IN')\nDISPLAY CHSTATUS(*)");
        Assert.Equal(0, failed);
        Assert.Contains(lines, l => l.Contains("CURDEPTH(0)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("CHLTYPE(SVRCONN)", StringComparison.Ordinal) && l.Contains("SYSTEM.ADMIN.SVRCONN", StringComparison.Ordinal));

        await using var app = await MqClient.ConnectAsync(Options());
        var refused = await Assert.ThrowsAsync<MqException>(() => app.RunMqscAsync("DISPLAY QMGR"));
        Assert.Equal(MqReason.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task Remote_admin_must_get_each_command_as_data_and_leave_each_change_in_the_log_with_its_secrets_masked()
    {
        // Commands are logged at info level; loggers take the level when they are created.
        Sys.EventStream.SetLogLevel(Akka.Event.LogLevel.InfoLevel);
        await Start();
        var log = CreateTestProbe();
        Sys.EventStream.Subscribe(log.Ref, typeof(Akka.Event.Info));
        await using var admin = await MqClient.ConnectAsync(Options("CN=ADMIN,O=Example", "SYSTEM.ADMIN.SVRCONN"));

        var response = await admin.RunMqscAsync("DISPLAY QLOCAL('APP.IN') CURDEPTH\nDEFINE AUTHINFO('LDAP1') AUTHTYPE(CRLLDAP) CONNAME('ldap(389)') LDAPPWD('s3cret')");

        Assert.Equal(0, response.Failed);
        var display = Assert.Single(Assert.Single(response.Commands, c => c.Number == 1).Objects);
        Assert.Equal("AMQ8409I: Display Queue details.", display.Message);
        Assert.Equal([("QUEUE", "APP.IN"), ("TYPE", "QLOCAL"), ("CURDEPTH", "0")], display.Attributes.Select(a => (a.Name, a.Value)));
        Assert.Equal("DEFINE AUTHINFO('LDAP1') AUTHTYPE(CRLLDAP) CONNAME('ldap(389)') LDAPPWD(********)", response.Commands[1].Command);
        Assert.DoesNotContain(response.Lines, l => l.Contains("s3cret", StringComparison.Ordinal));
        var seen = new List<string>();
        var logged = await log.FishForMessageAsync<Akka.Event.Info>(i =>
        {
            seen.Add(i.Message.ToString()!);
            return i.Message.ToString()!.Contains("remote MQSC command 2", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5));
        // The DISPLAY before it is kept at debug level only, as MQ's CMDEV(NODISPLAY) records no display commands.
        Assert.DoesNotContain(seen, m => m.Contains("remote MQSC command 1 ", StringComparison.Ordinal));
        Assert.Contains("as admin: DEFINE AUTHINFO('LDAP1')", logged.Message.ToString(), StringComparison.Ordinal);
        Assert.Contains("on SYSTEM.ADMIN.SVRCONN", logged.Message.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", logged.Message.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_must_stream_puts_without_responses_in_order_and_report_their_failures_through_MQSTAT()
    {
        await Start();
        await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DEFINE QLOCAL('SMALL') MAXDEPTH(5)");
        await using var client = await MqClient.ConnectAsync(Options());
        var output = await client.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        var small = await client.OpenAsync("SMALL", ClientOpenPurpose.Output);

        for (var i = 0; i < 500; i++)
        {
            await output.PutWithoutResponseAsync(TestMessages.Text($"async {i}", Persistence.Persistent));
        }

        for (var i = 0; i < 8; i++)
        {
            await small.PutWithoutResponseAsync(TestMessages.Text($"small {i}"));
        }

        // MQSTAT is answered after every put before it (one connection's calls are served in order), and resets the counts.
        var status = await client.StatusAsync();
        Assert.Equal((505, 3, MqReason.QFull), (status.Succeeded, status.Failed, status.FirstFailure));
        Assert.Contains("SMALL", status.FirstFailureDetail, StringComparison.Ordinal);
        Assert.Equal(new AsyncPutStatus(0, 0, null, string.Empty), await client.StatusAsync());

        var input = await client.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal($"async {i}", TestMessages.Text(await input.GetAsync()));
        }

        // Under syncpoint they are part of the unit of work: backed out with it.
        await output.PutWithoutResponseAsync(TestMessages.Text("backed out"), syncpoint: true);
        Assert.Equal(1, (await client.StatusAsync()).Succeeded);
        await client.BackoutAsync();
        Assert.Equal(MqReason.NoMsgAvailable, (await Assert.ThrowsAsync<MqException>(() => input.GetAsync())).Reason);
    }

    [Fact]
    public async Task Client_must_trace_each_MQI_call_as_a_span_named_after_it_with_its_reason_when_refused()
    {
        var spans = new List<System.Diagnostics.Activity>();
        using var application = new System.Diagnostics.ActivitySource("MqClientSpec");
        using var tracer = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(MqClient.ActivitySourceName, application.Name).AddInMemoryExporter(spans).Build();
        await Start();
        await using var client = await MqClient.ConnectAsync(Options());
        using var parent = application.StartActivity("application")!;
        var queue = await client.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        await queue.PutAsync(TestMessages.Text("traced"));
        await Assert.ThrowsAsync<MqException>(() => client.OpenAsync("NO.SUCH.QUEUE", ClientOpenPurpose.Output));
        parent.Stop();
        tracer.ForceFlush();

        var mine = spans.Where(s => s.ParentSpanId == parent.SpanId).ToList();
        Assert.Equal(["actorqm.client.open", "actorqm.client.put", "actorqm.client.open"], mine.Select(s => s.DisplayName));
        Assert.All(mine, s => Assert.Equal(("QM2", "APP.SVRCONN", parent.TraceId), (s.GetTagItem("actorqm.qmgr"), s.GetTagItem("actorqm.channel"), s.TraceId)));
        Assert.Equal((System.Diagnostics.ActivityStatusCode.Error, (object)(int)MqReason.UnknownObjectName), (mine[2].Status, mine[2].GetTagItem("actorqm.mqrc")));
    }

    [Fact]
    public async Task Queue_manager_must_refuse_to_delete_a_queue_a_client_holds_open_and_count_its_handles_until_closed_or_gone()
    {
        await Start(definitions: "DEFINE QLOCAL('HELD')");
        var local = new QueueManagerConnection(_qm.Actor);
        var client = await MqClient.ConnectAsync(Options());
        var input = await client.OpenAsync("HELD", ClientOpenPurpose.Input);
        await client.OpenAsync("HELD", ClientOpenPurpose.Output);
        await client.OpenAsync("HELD", ClientOpenPurpose.Output);

        var (status, _, _) = await local.RunMqscAsync("DISPLAY QSTATUS('HELD')");
        var (refused, failed, _) = await local.RunMqscAsync("DELETE QLOCAL('HELD')");
        await input.CloseAsync();
        var (afterClose, _, _) = await local.RunMqscAsync("DISPLAY QSTATUS('HELD')");
        await client.DisposeAsync();

        Assert.Matches(@"IPPROCS\(1\)[\s\S]*OPPROCS\(2\)", string.Join("\n", status));
        Assert.Equal(1, failed);
        Assert.Contains(refused, l => l.StartsWith("AMQ8148E", StringComparison.Ordinal) && l.Contains("MQRC 2042", StringComparison.Ordinal));
        Assert.Matches(@"IPPROCS\(0\)[\s\S]*OPPROCS\(2\)", string.Join("\n", afterClose));
        // The client went: its handles closed with it, and the queue can go.
        await AwaitAssertAsync(async () => Assert.Equal(0, (await local.RunMqscAsync("DELETE QLOCAL('HELD')")).Failed));
    }

    /// <summary>CURDEPTH and UNCOM of a queue, as DISPLAY QSTATUS shows them.</summary>
    private async Task<(int Depth, int Uncommitted)> QueueStatus(string queue)
    {
        var (lines, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync($"DISPLAY QSTATUS('{queue}') CURDEPTH UNCOM");
        var text = string.Join(" ", lines);
        int Field(string name)
        {
            var start = text.IndexOf(name + "(", StringComparison.Ordinal) + name.Length + 1;
            return int.Parse(text[start..text.IndexOf(')', start)], System.Globalization.CultureInfo.InvariantCulture);
        }

        return (Field("CURDEPTH"), Field("UNCOM"));
    }

    [Fact]
    public async Task Many_clients_must_each_get_their_own_connection_agent()
    {
        await Start();
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => MqClient.ConnectAsync(Options())));
        try
        {
            await Task.WhenAll(clients.Select(async (c, i) =>
            {
                for (var n = 0; n < 25; n++)
                {
                    await c.PutAsync("APP.IN", TestMessages.Text($"{i}:{n}", Persistence.Persistent));
                }
            }));
            var status = await _qm.Actor.Ask<IReadOnlyList<ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5));
            Assert.Equal(20, status.Count(s => s.Type == "SVRCONN"));
            var local = new QueueManagerConnection(_qm.Actor);
            var seen = new HashSet<string>();
            for (var n = 0; n < 500; n++)
            {
                seen.Add(TestMessages.Text(await local.GetAsync("APP.IN")));
            }

            Assert.Equal(500, seen.Count);
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
