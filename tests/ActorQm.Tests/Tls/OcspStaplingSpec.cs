using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Beyond MQ: a queue manager's listener staples an OCSP response for its certificate, fetched
/// from the certificate's AIA responder (a real `openssl ocsp` behind a loopback server), and
/// `openssl s_client -status` sees it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OcspStaplingSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly OpenSslOcspResponder _responder = new(TestPki.Shared.Ca, TestPki.Shared.Ca);

    [Fact]
    public async Task Listener_with_ocsp_stapling_must_staple_the_responders_answer_for_its_certificate()
    {
        var port = await StartQm2("tls.ocsp-stapling = on");
        var seen = string.Empty;
        for (var attempt = 0; attempt < 20 && !seen.Contains("OCSP Response Status: successful", StringComparison.Ordinal); attempt++)
        {
            // The runtime fetches the response in the background after the listener's context is built.
            await Task.Delay(250);
            seen = await SClientStatus(port);
        }

        Assert.True(seen.Contains("OCSP Response Status: successful", StringComparison.Ordinal), $"requests {_responder.Requests}: {seen}");
        Assert.Contains("Cert Status: good", seen, StringComparison.Ordinal);
        Assert.True(_responder.Requests > 0);
    }

    [Fact]
    public async Task Listener_without_ocsp_stapling_must_send_no_ocsp_response()
    {
        var port = await StartQm2(string.Empty);
        await Task.Delay(1000);
        Assert.Contains("OCSP response: no response sent", await SClientStatus(port), StringComparison.Ordinal);
        Assert.Equal(0, _responder.Requests);
    }

    private async Task<int> StartQm2(string hocon)
    {
        var aia = new X509AuthorityInformationAccessExtension([_responder.Url.ToString()], null);
        var leaf = TestPki.Leaf(TestPki.Shared.Ca, "CN=QM2,OU=MQ,O=Example", extensions: [aia]);
        _responder.Good(leaf.Certificate);
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", leaf.WithKey());
        var qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, hocon);
        return await QueueManagerPair.ListenerPort(qm.Actor);
    }

    private static async Task<string> SClientStatus(int port)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "s_client", "-connect", $"127.0.0.1:{port}", "-status", "-servername", "qm2" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(20_000))
        {
            process.Kill(entireProcessTree: true);
        }

        return await stdout + await stderr;
    }

    public new void Dispose()
    {
        base.Dispose();
        _responder.Dispose();
        _dir.Dispose();
    }
}
