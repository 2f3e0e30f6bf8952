using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// What one admitted client may hold on a server-connection channel (docs/protocol.md, "Limits of a
/// client connection"): MAXHANDS, MAXUMSGS and replies larger than a frame, over real TLS on loopback.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServerConnectionLimitsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private StartedQueueManager _qm = null!;
    private int _port;

    private async Task Start(string extra = "")
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        _qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,O=Example') MCAUSER('app')
            DEFINE CHANNEL('SYSTEM.ADMIN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLPEER('CN=ADMIN,O=Example') MCAUSER('admin')
            {TestGrants.App()}
            {TestGrants.Admin()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            {extra}
            """);
        _port = await QueueManagerPair.ListenerPort(_qm.Actor);
    }

    private Task<MqClient> Connect(string subject = "CN=APP1,O=Example", string channel = "APP.SVRCONN")
    {
        var folder = "client-" + subject.GetHashCode(StringComparison.Ordinal).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var path = _dir.File(folder);
        if (!Directory.Exists(path))
        {
            QueueManagerPair.KeyRepository(_dir, folder, "app", TestPki.Leaf(TestPki.Shared.Ca, subject).WithKey());
        }

        return MqClient.ConnectAsync(new MqClientOptions
        {
            Host = "127.0.0.1", Port = _port, Channel = channel, QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QM2,OU=MQ,O=Example", ApplicationName = "limits-spec",
            Timeout = TimeSpan.FromSeconds(10),
        });
    }

    [Fact]
    public async Task ServerConnection_must_show_MQ_defaults_and_ranges_for_MAXHANDS_and_MAXUMSGS()
    {
        await Start();
        await using var admin = await Connect("CN=ADMIN,O=Example", ServerConnectionActor.AdminChannel);
        var (lines, _) = await admin.RunMqscAsync("DISPLAY QMGR MAXHANDS MAXUMSGS");
        Assert.Contains(lines, l => l.Contains("MAXHANDS(256)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("MAXUMSGS(10000)", StringComparison.Ordinal));

        var (_, failed) = await admin.RunMqscAsync("ALTER QMGR MAXUMSGS(0)\nALTER QMGR MAXHANDS(1000000000)\nALTER QMGR MAXHANDS(-1)");
        Assert.Equal(3, failed);
        var (ok, none) = await admin.RunMqscAsync("ALTER QMGR MAXHANDS(0) MAXUMSGS(1)\nDISPLAY QMGR MAXHANDS MAXUMSGS");
        Assert.Equal(0, none);
        Assert.Contains(ok, l => l.Contains("MAXHANDS(0)", StringComparison.Ordinal) && l.Contains("MAXUMSGS(1)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerConnection_must_refuse_an_MQOPEN_beyond_MAXHANDS_with_2017_and_keep_serving_the_connection()
    {
        await Start("ALTER QMGR MAXHANDS(5)");
        await using var app = await Connect();
        var handles = new List<MqClientQueue>();
        for (var i = 0; i < 5; i++)
        {
            handles.Add(await app.OpenAsync("APP.IN", i % 2 == 0 ? ClientOpenPurpose.Output : ClientOpenPurpose.Input));
        }

        var refused = await Assert.ThrowsAsync<MqException>(() => app.OpenAsync("APP.IN", ClientOpenPurpose.Browse));
        Assert.Equal(MqReason.HandleNotAvailable, refused.Reason);
        Assert.Contains("MAXHANDS(5)", refused.Message, StringComparison.Ordinal);

        // The connection still works, and closing a handle frees a place.
        await handles[0].PutAsync(TestMessages.Text("still served"));
        Assert.Equal("still served", TestMessages.Text(await handles[1].GetAsync()));
        await handles[2].CloseAsync();
        var browse = await app.OpenAsync("APP.IN", ClientOpenPurpose.Browse);
        Assert.Equal(MqReason.HandleNotAvailable, (await Assert.ThrowsAsync<MqException>(() => app.OpenAsync("APP.IN", ClientOpenPurpose.Input))).Reason);

        // MQPUT1 opens and closes in one call: it needs no place to keep, and the limit is per connection.
        await app.PutAsync("APP.IN", TestMessages.Text("put1"));
        Assert.Equal("put1", TestMessages.Text(await browse.BrowseFirstAsync()));
        await using var other = await Connect("CN=APP2,O=Example");
        await other.OpenAsync("APP.IN", ClientOpenPurpose.Input);
    }

    [Fact]
    public async Task ServerConnection_must_hold_a_connection_to_MQs_default_of_256_handles_without_any_ALTER()
    {
        await Start();
        await using var app = await Connect();
        var outcomes = new List<MqReason>();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                await app.OpenAsync("APP.IN", ClientOpenPurpose.Browse);
                outcomes.Add(MqReason.None);
            }
            catch (MqException e)
            {
                outcomes.Add(e.Reason);
            }
        }

        Assert.Equal(256, outcomes.Count(o => o == MqReason.None));
        Assert.All(outcomes.Skip(256), o => Assert.Equal(MqReason.HandleNotAvailable, o));
    }

    [Fact]
    public async Task ServerConnection_must_refuse_puts_and_gets_beyond_MAXUMSGS_with_2024_and_leave_the_unit_of_work_as_it_was()
    {
        await Start("ALTER QMGR MAXUMSGS(3)");
        await using var app = await Connect();
        var output = await app.OpenAsync("APP.IN", ClientOpenPurpose.Output);
        var input = await app.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        await output.PutAsync(TestMessages.Text("outside", Persistence.Persistent));
        await input.GetAsync(new ClientGetOptions { Syncpoint = true });
        await output.PutAsync(TestMessages.Text("u1", Persistence.Persistent), syncpoint: true);
        await app.PutAsync("APP.IN", TestMessages.Text("u2", Persistence.Persistent), syncpoint: true);

        var put = await Assert.ThrowsAsync<MqException>(() => output.PutAsync(TestMessages.Text("u3"), syncpoint: true));
        Assert.Equal(MqReason.SyncpointLimitReached, put.Reason);
        Assert.Contains("MAXUMSGS(3)", put.Message, StringComparison.Ordinal);
        Assert.Equal(MqReason.SyncpointLimitReached, (await Assert.ThrowsAsync<MqException>(() => app.PutAsync("APP.IN", TestMessages.Text("u4"), syncpoint: true))).Reason);

        // Outside syncpoint the limit does not apply; a get under syncpoint is refused without taking the message.
        await output.PutAsync(TestMessages.Text("free", Persistence.Persistent));
        Assert.Equal(MqReason.SyncpointLimitReached, (await Assert.ThrowsAsync<MqException>(() => input.GetAsync(new ClientGetOptions { Syncpoint = true }))).Reason);

        await app.CommitAsync();
        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add(TestMessages.Text(await input.GetAsync(new ClientGetOptions { Syncpoint = true })));
        }

        Assert.Equal(["free", "u1", "u2"], seen.Order());
        await app.BackoutAsync();
        var local = new QueueManagerConnection(_qm.Actor);
        var left = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            left.Add(TestMessages.Text(await local.GetAsync("APP.IN")));
        }

        Assert.Equal(["free", "u1", "u2"], left.Order());
        Assert.Equal(MqReason.NoMsgAvailable, (await Assert.ThrowsAsync<MqException>(() => local.GetAsync("APP.IN"))).Reason);
    }

    [Fact]
    public async Task ServerConnection_must_answer_a_reply_larger_than_a_frame_with_2010_instead_of_dropping_it()
    {
        var queues = string.Join('\n', Enumerable.Range(0, 120).Select(i => $"DEFINE QLOCAL('BIG.{i:D3}') DESCR('{new string('d', 60)}')"));
        await Start("ALTER QMGR MAXMSGL(32768)\n" + queues);
        await using var admin = await Connect("CN=ADMIN,O=Example", ServerConnectionActor.AdminChannel);
        var refused = await Assert.ThrowsAsync<MqException>(() => admin.RunMqscAsync("DISPLAY QLOCAL('BIG.*') ALL"));
        Assert.Equal(MqReason.DataLengthError, refused.Reason);
        Assert.Contains("frame", refused.Message, StringComparison.Ordinal);

        // The connection goes on: a narrower DISPLAY answers.
        var (lines, failed) = await admin.RunMqscAsync("DISPLAY QLOCAL('BIG.001') DESCR");
        Assert.Equal(0, failed);
        Assert.Contains(lines, l => l.Contains("BIG.001", StringComparison.Ordinal));

        // MAXMSGL raised without REFRESH SECURITY: the listener's transports still carry the old frame limit.
        Assert.Equal(0, (await new QueueManagerConnection(_qm.Actor).RunMqscAsync("ALTER QMGR MAXMSGL(4194304)")).Failed);
        await using var later = await Connect("CN=ADMIN,O=Example", ServerConnectionActor.AdminChannel);
        Assert.Equal(MqReason.DataLengthError, (await Assert.ThrowsAsync<MqException>(() => later.RunMqscAsync("DISPLAY QLOCAL('BIG.*') ALL"))).Reason);
    }

    [Fact]
    public async Task ServerConnection_must_answer_a_get_of_a_message_larger_than_a_frame_with_2010_and_leave_the_message_on_the_queue()
    {
        await Start();
        var local = new QueueManagerConnection(_qm.Actor);
        await local.PutAsync("APP.IN", new MqMessage(MessageDescriptor.Default with { Persistence = Persistence.Persistent }, new byte[100_000]));
        Assert.Equal(0, (await local.RunMqscAsync("ALTER QMGR MAXMSGL(32768)")).Failed);

        await using var app = await Connect();
        var input = await app.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        Assert.Equal(MqReason.DataLengthError, (await Assert.ThrowsAsync<MqException>(() => input.GetAsync())).Reason);
        Assert.Equal(MqReason.DataLengthError, (await Assert.ThrowsAsync<MqException>(() => input.GetAsync(new ClientGetOptions { Syncpoint = true }))).Reason);
        await app.CommitAsync();

        var kept = await local.GetAsync("APP.IN");
        Assert.Equal(100_000, kept.Payload.Length);
        Assert.Equal(0, kept.Descriptor.BackoutCount);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
