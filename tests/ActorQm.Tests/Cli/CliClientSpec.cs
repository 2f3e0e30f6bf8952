using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Cli;

/// <summary>
/// The client side of the actorqm command against a running queue manager: a dev PKI from
/// <c>actorqm pki create</c>, then put, browse and get over a TLS client channel and MQSC over the
/// admin channel, each a real process.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliClientSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private static (int Exit, List<string> Output, string Error) Run(params string[] args)
    {
        using var cli = new ChildProcess("ActorQm.Cli.dll", args);
        cli.StandardInput.Close();
        var exit = cli.WaitForExit(TimeSpan.FromMinutes(2));
        return (exit, cli.Drain([]), cli.StandardError);
    }

    [Fact]
    public async Task Cli_must_create_a_dev_pki_and_put_browse_get_and_administer_over_client_channels()
    {
        var pki = _dir.File("pki");
        var (pkiExit, pkiOut, pkiErr) = Run("pki", "create", pki, "--qmgr", "QM2", "--client", "app", "admin");
        Assert.True(pkiExit == 0, pkiErr);
        Assert.Contains(pkiOut, l => l.Contains("NOT for production", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(pki, "QM2", "key", "personal", "ibmwebspheremqqm2.p12")));
        Assert.Equal(20, Run("pki", "create", pki).Exit);

        var qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{Path.Combine(pki, "QM2", "key")}')
            DEFINE QLOCAL('APP.IN')
            DEFINE QLOCAL('APP.SMALL') MAXDEPTH(2)
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLPEER('CN=app') MCAUSER('app')
            DEFINE CHANNEL('SYSTEM.ADMIN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLPEER('CN=admin') MCAUSER('admin')
            {TestGrants.App()}
            {TestGrants.Admin()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        string[] App(params string[] args) => [.. args, "--conn", $"127.0.0.1({port})", "--channel", "APP.SVRCONN", "-m", "QM2", "--queue", "APP.IN",
            "--key-repository", Path.Combine(pki, "clients", "app", "key"), "--cert-label", "ibmwebspheremqapp", "--sslpeer", "CN=QM2"];

        var (putExit, _, putErr) = Run(App("put", "--message", "hello", "--message", "world", "--persistent"));
        Assert.True(putExit == 0, putErr);

        // A refusal part-way says how many went, so a retry sends none twice.
        var (fullExit, _, fullErr) = Run([.. App("put", "--message", "1", "--message", "2", "--message", "3").Select(a => a == "APP.IN" ? "APP.SMALL" : a)]);
        Assert.Equal(10, fullExit);
        Assert.Contains("2 of 3 message(s) put on APP.SMALL; the next was refused: MQRC 2053", fullErr, StringComparison.Ordinal);

        // host:port is how other tools write it; MQ's CONNAME is host(port), and the error says so.
        var (colonExit, _, colonErr) = Run([.. App("browse").Select(a => a == $"127.0.0.1({port})" ? $"127.0.0.1:{port}" : a)]);
        Assert.Equal(20, colonExit);
        Assert.Contains($"--conn 127.0.0.1:{port}: a CONNAME is host(port), as in MQ: give 127.0.0.1({port})", colonErr, StringComparison.Ordinal);
        var (browseExit, browsed, _) = Run(App("browse", "--json"));
        Assert.Equal(0, browseExit);
        Assert.Equal(["hello", "world"], browsed.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()));
        Assert.True(JsonDocument.Parse(browsed[0]).RootElement.GetProperty("persistent").GetBoolean());
        var (getExit, got, _) = Run(App("get", "-n", "0"));
        Assert.Equal(0, getExit);
        Assert.Equal(["hello", "world"], got);
        // The same connection from a client configuration file (paths relative to the file).
        File.WriteAllText(Path.Combine(pki, "client.conf"), $$"""
            actorqm.client {
              conn = "127.0.0.1({{port}})", channel = APP.SVRCONN, qmgr = QM2
              key-repository = "clients/app/key", cert-label = ibmwebspheremqapp, sslpeer = "CN=QM2"
            }
            """);
        var (configPutExit, _, configPutErr) = Run("put", "--client-config", Path.Combine(pki, "client.conf"), "--queue", "APP.IN", "--message", "from config");
        Assert.True(configPutExit == 0, configPutErr);
        var (configGetExit, configGot, _) = Run("get", "--client-config", Path.Combine(pki, "client.conf"), "--queue", "APP.IN");
        Assert.Equal(0, configGetExit);
        Assert.Equal(["from config"], configGot);

        var (emptyExit, _, emptyErr) = Run(App("get"));
        Assert.Equal(2, emptyExit);
        Assert.Contains("MQRC 2033", emptyErr, StringComparison.Ordinal);

        File.WriteAllText(_dir.File("admin.mqsc"), "DISPLAY QSTATUS('APP.IN')\nDISPLAY CHSTATUS(*)\n");
        var (mqscExit, mqscOut, mqscErr) = Run("mqsc", "--conn", $"127.0.0.1({port})", "-m", "QM2", "--key-repository", Path.Combine(pki, "clients", "admin", "key"),
            "--cert-label", "ibmwebspheremqadmin", "--sslpeer", "CN=QM2", "-f", _dir.File("admin.mqsc"), "--json");
        Assert.True(mqscExit == 0, mqscErr);
        using var json = JsonDocument.Parse(string.Join('\n', mqscOut));
        var objects = json.RootElement.GetProperty("objects").EnumerateArray().ToList();
        Assert.Contains(objects, o => o.TryGetProperty("QUEUE", out var q) && q.GetString() == "APP.IN" && o.GetProperty("CURDEPTH").GetString() == "0");
        Assert.Contains(objects, o => o.TryGetProperty("CHANNEL", out var c) && c.GetString() == "SYSTEM.ADMIN.SVRCONN" && o.GetProperty("SSLPEER").GetString()!.Contains("CN=admin", StringComparison.Ordinal));

        var (refusedExit, _, refusedErr) = Run("mqsc", "--conn", $"127.0.0.1({port})", "--channel", "APP.SVRCONN", "--key-repository", Path.Combine(pki, "clients", "app", "key"),
            "--cert-label", "ibmwebspheremqapp", "-f", _dir.File("admin.mqsc"));
        Assert.Equal(20, refusedExit);
        Assert.Contains("2035", refusedErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_client_options_must_each_take_effect_cipher_priority_wait_json_and_every_revocation_option()
    {
        var ca = TestPki.Shared.Ca;
        using var responder = new OpenSslOcspResponder(ca, ca);
        var qmCert = TestPki.Leaf(ca, "CN=QMC,OU=MQ,O=Example", extensions: [new X509AuthorityInformationAccessExtension([responder.Url.ToString()], null)]);
        responder.Good(qmCert.Certificate);
        var qm = await QueueManagerPair.Start(Sys, _dir, "QMC", $"""
            ALTER QMGR SSLKEYR('{QueueManagerPair.KeyRepository(_dir, "qmckey", "ibmwebspheremqqmc", qmCert.WithKey())}')
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS13_OR_HIGHER) SSLPEER('CN=APPC') MCAUSER('app')
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        var keys = QueueManagerPair.KeyRepository(_dir, "appkey", "app", TestPki.Leaf(ca, "CN=APPC,O=Example").WithKey());
        var rootCrl = _dir.File("root.crl");
        File.WriteAllBytes(rootCrl, TestPki.Crl(TestPki.Shared.Root, []));
        string[] App(params string[] args) => [.. args, "--conn", $"127.0.0.1({port})", "--channel", "APP.SVRCONN", "-m", "QMC", "--queue", "APP.IN", "--key-repository", keys, "--cert-label", "app"];

        var (putExit, put, putErr) = Run(App("put", "--message", "hi", "--priority", "7", "--json", "--cipher", "TLS_AES_128_GCM_SHA256", "--ocsp", responder.Url.ToString(), "--crl", rootCrl));
        Assert.True(putExit == 0, putErr);
        Assert.Equal(7, JsonDocument.Parse(put.Single()).RootElement.GetProperty("put")[0].GetProperty("priority").GetInt32());
        var asked = responder.Requests;
        Assert.True(asked > 0, "--ocsp: the responder was not asked");
        var (getExit, got, getErr) = Run(App("get", "--json", "--wait", "5000", "--ocsp-aia", "--crl", rootCrl));
        Assert.True(getExit == 0, getErr);
        Assert.Equal(7, JsonDocument.Parse(got.Single()).RootElement.GetProperty("priority").GetInt32());
        Assert.True(responder.Requests > asked, "--ocsp-aia: the responder named in the AIA was not asked");

        var waited = Stopwatch.StartNew();
        Assert.Equal(2, Run(App("get", "--wait", "1500")).Exit);
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(1500), $"--wait 1500 gave up after {waited.ElapsedMilliseconds} ms");

        Assert.Equal(20, Run(App("put", "--message", "x", "--cipher", "ECDHE_ECDSA_AES_128_GCM_SHA256")).Exit);
        var (unknownExit, _, unknownErr) = Run(App("put", "--message", "x", "--crl", rootCrl));
        Assert.Equal(20, unknownExit);
        Assert.Contains("AMQ9716E", unknownErr, StringComparison.Ordinal);
        Assert.Equal(0, Run(App("put", "--message", "x", "--crl", rootCrl, "--unknown", "warn")).Exit);
        responder.Revoked(qmCert.Certificate);
        var (revokedExit, _, revokedErr) = Run(App("put", "--message", "x", "--ocsp-aia", "--crl", rootCrl));
        Assert.Equal(20, revokedExit);
        Assert.Contains("AMQ9633E", revokedErr, StringComparison.Ordinal);

        var (badUrlExit, _, badUrlErr) = Run(App("put", "--message", "x", "--ocsp", "nope"));
        Assert.Equal(20, badUrlExit);
        Assert.Equal("actorqm: --ocsp 'nope' is not an http URL of an OCSP responder (as AUTHINFO OCSPURL)", badUrlErr);
        File.WriteAllText(_dir.File("bad.conf"), "actorqm.client { ocsp = \"ftp://127.0.0.1/ocsp\" }");
        var (badConfExit, _, badConfErr) = Run(App("put", "--message", "x", "--client-config", _dir.File("bad.conf")));
        Assert.Equal(20, badConfExit);
        Assert.Contains("ocsp in --client-config", badConfErr, StringComparison.Ordinal);
        File.WriteAllText(_dir.File("not.crl"), "not a CRL");
        var (badCrlExit, _, badCrlErr) = Run(App("put", "--message", "x", "--crl", _dir.File("not.crl")));
        Assert.Equal(20, badCrlExit);
        Assert.Single(badCrlErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
