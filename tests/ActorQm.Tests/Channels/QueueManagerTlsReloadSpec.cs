using ActorQm.Client;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
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
        var file = _dir.File("qm.conf");
        WriteConfig(file, """crl-files = ["revoked.crl"], ocsp-authentication = optional""");
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        File.WriteAllText(_dir.File("qm.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var settings = ActorQmSettings.Create(Read(file), _dir.Path, () => Read(file)).QueueManagers.Single();
        var qm = await QueueManagerBootstrap.StartAsync(Sys, settings);
        var admin = new QueueManagerConnection(qm.Actor);
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
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
        var file = _dir.File("qm.conf");
        WriteConfig(file, "ocsp-authentication = optional");
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        File.WriteAllText(_dir.File("qm.mqsc"), $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var settings = ActorQmSettings.Create(Read(file), _dir.Path, () => Read(file)).QueueManagers.Single();
        var qm = await QueueManagerBootstrap.StartAsync(Sys, settings);
        var admin = new QueueManagerConnection(qm.Actor);
        var client = ClientOptions(await QueueManagerPair.ListenerPort(qm.Actor), leaf);
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

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
