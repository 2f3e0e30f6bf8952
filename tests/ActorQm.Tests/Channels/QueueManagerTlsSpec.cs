using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QueueManagerTlsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private string KeyRepositoryWith(params (string Label, string Subject)[] personal)
    {
        var path = _dir.File("key");
        Directory.CreateDirectory(Path.Combine(path, "personal"));
        Directory.CreateDirectory(Path.Combine(path, "trusted"));
        File.WriteAllText(Path.Combine(path, "trusted", "root.pem"), TestPki.Shared.Root.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(path, "trusted", "ca.pem"), TestPki.Shared.Ca.Certificate.ExportCertificatePem());
        foreach (var (label, subject) in personal)
        {
            AddPersonal(path, label, subject);
        }

        File.WriteAllText(path + ".sth", "pw\n");
        File.SetUnixFileMode(path + ".sth", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static void AddPersonal(string path, string label, string subject)
    {
        var leaf = TestPki.Leaf(TestPki.Shared.Ca, subject);
        File.WriteAllBytes(Path.Combine(path, "personal", label + ".p12"), leaf.Certificate.CopyWithPrivateKey(leaf.Key).Export(X509ContentType.Pkcs12, "pw"));
    }

    private async Task<(IActorRef Qm, QueueManagerConnection Connection)> Start(string script)
    {
        File.WriteAllText(_dir.File("qm.mqsc"), script);
        var qm = await QueueManagerBootstrap.StartAsync(Sys, TestMessages.Settings("QM1", _dir.Path) with { MqscFile = _dir.File("qm.mqsc") });
        return (qm.Actor, new QueueManagerConnection(qm.Actor));
    }

    private async Task<QueueManagerTls> Tls(IActorRef qm) => (await qm.Ask<QueueManager.TlsMaterial>(QueueManager.GetTls.Instance, TimeSpan.FromSeconds(5))).Tls;

    [Fact]
    public async Task QueueManager_must_load_its_key_repository_and_pick_channel_or_default_labels()
    {
        var path = KeyRepositoryWith(("ibmwebspheremqqm1", "CN=QM1"), ("chl1", "CN=QM1.CHL1"));
        var (qm, _) = await Start($"ALTER QMGR SSLKEYR('{path}')");
        var tls = await Tls(qm);
        var objects = new TestCatalog();
        objects.Define("DEFINE CHANNEL(CHL1) CHLTYPE(RCVR) CERTLABL('chl1')\nDEFINE CHANNEL(CHL2) CHLTYPE(RCVR)");
        var catalog = objects.Catalog;

        Assert.Empty(tls.Problems);
        Assert.Equal("CN=QM1.CHL1", tls.CredentialsFor(catalog, catalog.Find("CHANNEL", "CHL1")).Certificate!.Subject);
        Assert.Equal("CN=QM1", tls.CredentialsFor(catalog, catalog.Find("CHANNEL", "CHL2")).Certificate!.Subject);
    }

    [Fact]
    public async Task Refresh_security_must_reload_the_key_repository_while_running()
    {
        var path = KeyRepositoryWith(("ibmwebspheremqqm1", "CN=QM1"));
        var (qm, conn) = await Start($"ALTER QMGR SSLKEYR('{path}')");
        Assert.DoesNotContain("late", (await Tls(qm)).KeyRepository!.Labels);

        AddPersonal(path, "late", "CN=LATE");
        var refreshed = await conn.RunMqscAsync("REFRESH SECURITY TYPE(SSL)");

        Assert.Contains("AMQ8560I: ActorQm security cache refreshed.", refreshed.Lines);
        Assert.Contains("late", (await Tls(qm)).KeyRepository!.Labels);
        var wrongType = await conn.RunMqscAsync("REFRESH SECURITY TYPE(CONNAUTH)");
        Assert.Equal(1, wrongType.Failed);
    }

    [Fact]
    public async Task QueueManager_must_report_an_unusable_key_repository_and_refuse_on_broken_revocation_sources()
    {
        var (qm, _) = await Start("ALTER QMGR SSLKEYR('/nowhere/key')\nDEFINE AUTHINFO(BAD) AUTHTYPE(OCSP) OCSPURL('ldap://not-http')\nDEFINE NAMELIST(NL) NAMES(BAD)\nALTER QMGR SSLCRLNL(NL)");
        var tls = await Tls(qm);

        Assert.Null(tls.KeyRepository);
        Assert.Contains(tls.Problems, p => p.StartsWith("AMQ9657E", StringComparison.Ordinal) && p.Contains("/nowhere/key", StringComparison.Ordinal));
        var answer = await RevocationChecker.CheckAsync([TestPki.Shared.Qm1, TestPki.Shared.Ca.Certificate], tls.Revocation, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("not an http URL", answer.Detail, StringComparison.Ordinal);
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
