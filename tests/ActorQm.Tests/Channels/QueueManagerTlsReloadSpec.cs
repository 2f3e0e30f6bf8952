using ActorQm.Client;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>REFRESH SECURITY TYPE(SSL) reads the HOCON tls settings again, as MQ re-reads its SSL stanza, over real TLS.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QueueManagerTlsReloadSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task QueueManagerTls_must_apply_the_tls_settings_REFRESH_SECURITY_reads_again_and_keep_them_when_the_file_is_wrong()
    {
        var leaf = TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example");
        File.WriteAllBytes(_dir.File("revoked.crl"), TestPki.Crl(TestPki.Shared.Ca, [leaf.Certificate]));
        var (file, admin, port) = await StartFromFile("""crl-files = ["revoked.crl"], ocsp-authentication = optional""");
        var client = ClientOptions(port, leaf);

        Assert.Contains("CRLFILES(1)", await Status(admin));
        var revoked = await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(client));
        Assert.Contains("AMQ9633E", revoked.Message, StringComparison.Ordinal);

        // The file changes; nothing happens until REFRESH SECURITY TYPE(SSL), which applies it.
        WriteConfig(file, """crl-files = [], ocsp-authentication = warn, ocsp-check-extensions = off, revocation-timeout = 3s""");
        await Assert.ThrowsAsync<MqException>(() => MqClient.ConnectAsync(client));
        var refreshed = await admin.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");
        Assert.Equal(0, refreshed.Failed);
        var status = await Status(admin);
        Assert.Contains("CRLFILES(0)", status);
        Assert.Contains("OCSPAUTH(WARN)", status);
        Assert.Contains("OCSPCHKX(NO)", status);
        Assert.Contains("REVTIMEO(3)", status);
        await using (await MqClient.ConnectAsync(client))
        {
        }

        // A file that no longer reads fails the command with the setting named, and what is in use stays.
        WriteConfig(file, """crl-files = ["revoked.crl"], ocsp-authentication = sometimes""");
        var failed = await admin.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");
        Assert.Equal(1, failed.Failed);
        var error = Assert.Single(failed.Lines, l => l.StartsWith("AMQ9710E", StringComparison.Ordinal));
        Assert.Contains("ocsp-authentication", error, StringComparison.Ordinal);
        Assert.Contains("OCSPAUTH(WARN)", await Status(admin));
        await using (await MqClient.ConnectAsync(client))
        {
        }
    }

    [Fact]
    public async Task QueueManagerTls_must_answer_a_returning_peer_from_the_validated_chain_cache_which_REFRESH_SECURITY_empties()
    {
        var leaf = TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example");
        var (_, admin, port) = await StartFromFile("ocsp-authentication = optional");
        var client = ClientOptions(port, leaf);
        async Task Connect()
        {
            await using (await MqClient.ConnectAsync(client))
            {
            }
        }

        Assert.Contains("CHAINCACHE(0)", await Status(admin));
        await Connect();
        await Connect();
        // One entry for the one peer chain, however often it connects.
        Assert.Contains("CHAINCACHE(1)", await Status(admin));

        Assert.Equal(0, (await admin.RunMqscAsync("REFRESH SECURITY TYPE(SSL)")).Failed);
        Assert.Contains("CHAINCACHE(0)", await Status(admin));
        // The listener takes the refreshed material by message: a connection may still meet the old one, whose cache was emptied too.
        await AwaitAssertAsync(async () =>
        {
            await Connect();
            Assert.Contains("CHAINCACHE(1)", await Status(admin));
        }, TimeSpan.FromSeconds(10));
    }

    private void WriteConfig(string file, string tls) => File.WriteAllText(file, $$"""
        actorqm.queue-managers.QM2 {
          store.path = "{{_dir.File("QM2.db")}}"
          mqsc-file = "qm.mqsc"
          tls { {{tls}} }
        }
        """);

    private static Config Read(string file) => HoconText.Parse(File.ReadAllText(file), file);

    private static async Task<string> Status(QueueManagerConnection admin) =>
        string.Join(" ", (await admin.RunMqscAsync("DISPLAY QMSTATUS")).Lines);

    private MqClientOptions ClientOptions(int port, TestPki.Issued leaf)
    {
        var path = QueueManagerPair.KeyRepository(_dir, "client", "app", leaf.WithKey());
        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = "APP.SVRCONN", QueueManager = "QM2", KeyRepository = path, CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QM2,OU=MQ,O=Example", ApplicationName = "reload-spec",
        };
    }

    [Fact]
    public async Task QueueManagerTls_must_stop_a_sender_whose_CipherSpec_the_refreshed_settings_no_longer_allow_rather_than_run_on_the_old()
    {
        var key2 = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm2 = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('TO.QM2') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1,O=Example')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var key1 = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        File.WriteAllText(_dir.File("QM1.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key1}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            DEFINE CHANNEL('TO.QM2') CHLTYPE(SDR) CONNAME('127.0.0.1({await QueueManagerPair.ListenerPort(qm2.Actor)})') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2,O=Example') SHORTRTY(100) SHORTTMR(1)
            """);
        // The settings a REFRESH SECURITY TYPE(SSL) reads: TLS 1.3, the channel's CipherSpec's protocol, no longer allowed.
        var noTls13 = TestMessages.Settings("QM1", _dir.Path, "tls.allow-tls13 = off").Tls;
        var qm1 = await QueueManagerBootstrap.StartAsync(Sys, TestMessages.Settings("QM1", _dir.Path) with { MqscFile = _dir.File("QM1.mqsc"), ReloadTls = () => noTls13 });
        var conn1 = new QueueManagerConnection(qm1.Actor, "qm1-app");
        var conn2 = new QueueManagerConnection(qm2.Actor, "qm2-app");
        await conn1.PutAsync("APP.REMOTE", TestMessages.Text("one", Persistence.Persistent));
        await conn1.RunMqscAsync("START CHANNEL('TO.QM2')");
        Assert.Equal("one", TestMessages.Text(await conn2.GetAsync("APP.IN", new ActorQm.Queues.GetOptions { Wait = TimeSpan.FromSeconds(30) })));

        await conn1.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");

        await AwaitAssertAsync(async () => Assert.Equal(ActorQm.Channels.ChannelState.Stopped,
            (await qm1.Actor.Ask<IReadOnlyList<ActorQm.Channels.ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5))).Single(c => c.Name == "TO.QM2").State), TimeSpan.FromSeconds(20));
        await conn1.PutAsync("APP.REMOTE", TestMessages.Text("two", Persistence.Persistent));
        var e = await Assert.ThrowsAsync<MqException>(() => conn2.GetAsync("APP.IN", new ActorQm.Queues.GetOptions { Wait = TimeSpan.FromSeconds(3) }));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    /// <summary>QM2 started from a HOCON file with <paramref name="tls"/> (REFRESH SECURITY reads it again) and an SVRCONN for APP1.</summary>
    private async Task<(string File, QueueManagerConnection Admin, int Port)> StartFromFile(string tls)
    {
        var file = _dir.File("qm.conf");
        WriteConfig(file, tls);
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        File.WriteAllText(_dir.File("qm.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var settings = ActorQmSettings.Create(Read(file), _dir.Path, () => Read(file)).QueueManagers.Single();
        var qm = await QueueManagerBootstrap.StartAsync(Sys, settings);
        return (file, new QueueManagerConnection(qm.Actor), await QueueManagerPair.ListenerPort(qm.Actor));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
