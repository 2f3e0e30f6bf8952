using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Interoperability with a plain TLS tool: OpenSSL's s_client against our responder and s_server
/// against our initiator, with certificates minted by the test and written to its own folder.
/// </summary>
public sealed class OpenSslInteropSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Root("Interop Root");
    private static readonly TestPki.Issued Ca = TestPki.Intermediate(Root, "Interop CA");
    private readonly TempDirectory _dir = new();
    private readonly List<Process> _processes = new();

    private static TlsCredentials Credentials(X509Certificate2? own) => new(own, [Ca.Certificate], [Root.Certificate], []);

    private static PeerRequirements Requires(string? sslPeer = null) =>
        new(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!, sslPeer is null ? null : DistinguishedNameFilter.Parse(sslPeer));

    /// <summary>Writes certificate and key as PEM files for OpenSSL, and the intermediate it sends along (ca.pem).</summary>
    private (string Cert, string Key) WritePem(TestPki.Issued issued, string name)
    {
        var cert = _dir.File(name + ".pem");
        var key = _dir.File(name + ".key");
        File.WriteAllText(cert, issued.Certificate.ExportCertificatePem());
        File.WriteAllText(key, issued.Key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(_dir.File("ca.pem"), Ca.Certificate.ExportCertificatePem());
        return (cert, key);
    }

    private string RootFile()
    {
        var path = _dir.File("root.pem");
        File.WriteAllText(path, Root.Certificate.ExportCertificatePem());
        return path;
    }

    private Process OpenSsl(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { };
        process.ErrorDataReceived += (_, e) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private async Task<object> RespondTo(Func<int, Process> client, string? sslPeer = null, RevocationSettings? revocation = null)
    {
        var qm = TestPki.Leaf(Ca, "CN=QM2,O=Example").WithKey();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        client(((IPEndPoint)listener.LocalEndpoint).Port);
        using var socket = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(StepTimeout: TimeSpan.FromSeconds(15))));
        var probe = CreateTestProbe();
        supervisor.Tell(new StartHandshake("from-openssl", HandshakeRole.Responder, socket.GetStream(), "QM2", Credentials(qm), Requires(sslPeer), probe)
        {
            Revocation = revocation ?? RevocationSettings.None,
        });
        return await probe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Responder_must_accept_openssl_s_client_with_a_good_certificate()
    {
        var (cert, key) = WritePem(TestPki.Leaf(Ca, "CN=APP1,O=Example"), "app1");
        var root = RootFile();

        var outcome = await RespondTo(port => OpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-cert", cert, "-cert_chain", _dir.File("ca.pem"), "-key", key, "-CAfile", root, "-verify_return_error", "-ign_eof", "-quiet"), sslPeer: "CN=APP1");

        var accepted = Assert.IsType<HandshakeSucceeded>(outcome);
        Assert.Equal("APP1", accepted.Session.Peer!.Subject.ValuesOf("CN").Single());
        accepted.Stream.Dispose();
    }

    [Fact]
    public async Task Responder_must_refuse_openssl_s_client_with_an_expired_certificate_at_chain_validation()
    {
        var (cert, key) = WritePem(TestPki.Leaf(Ca, "CN=APP1", notBefore: TestPki.Now.AddDays(-9), notAfter: TestPki.Now.AddDays(-2)), "expired");
        var root = RootFile();

        var outcome = await RespondTo(port => OpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-cert", cert, "-cert_chain", _dir.File("ca.pem"), "-key", key, "-CAfile", root, "-ign_eof", "-quiet"));

        var refused = Assert.IsType<HandshakeFailed>(outcome);
        Assert.Equal(HandshakeStep.ChainValidation, refused.Step);
        Assert.Equal("AMQ9633E", refused.AmqCode);
    }

    [Fact]
    public async Task Responder_must_refuse_openssl_s_client_with_a_revoked_certificate()
    {
        var issued = TestPki.Leaf(Ca, "CN=REVOKED.APP");
        var (cert, key) = WritePem(issued, "revoked");
        var root = RootFile();
        var crls = new RevocationSettings([CrlDocument.Parse(TestPki.Crl(Ca, [issued.Certificate]), "CA CRL"), CrlDocument.Parse(TestPki.Crl(Root, []), "root CRL")]);

        var outcome = await RespondTo(port => OpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-cert", cert, "-cert_chain", _dir.File("ca.pem"), "-key", key, "-CAfile", root, "-ign_eof", "-quiet"), revocation: crls);

        var refused = Assert.IsType<HandshakeFailed>(outcome);
        Assert.Equal((HandshakeStep.Revocation, "AMQ9633E", ActorQm.Messages.MqReason.SslCertificateRevoked), (refused.Step, refused.AmqCode, refused.Reason));
    }

    [Theory]
    [InlineData("CN=QM2", true)]
    [InlineData("CN=QM9", false)]
    public async Task Initiator_must_check_openssl_s_server_by_chain_and_SSLPEER(string sslPeer, bool accepted)
    {
        var (cert, key) = WritePem(TestPki.Leaf(Ca, "CN=QM2,O=Example"), "server");
        var root = RootFile();
        int port;
        using (var probeSocket = new TcpListener(IPAddress.Loopback, 0))
        {
            probeSocket.Start();
            port = ((IPEndPoint)probeSocket.LocalEndpoint).Port;
        }

        OpenSsl("s_server", "-accept", $"127.0.0.1:{port}", "-cert", cert, "-cert_chain", _dir.File("ca.pem"), "-key", key, "-CAfile", root, "-Verify", "2", "-verify_return_error", "-quiet", "-naccept", "1");
        using var client = new TcpClient();
        await ConnectWithRetry(client, port);
        var own = TestPki.Leaf(Ca, "CN=QM1,O=Example").WithKey();
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(StepTimeout: TimeSpan.FromSeconds(15))));
        var probe = CreateTestProbe();

        supervisor.Tell(new StartHandshake("to-openssl", HandshakeRole.Initiator, client.GetStream(), "QM2", Credentials(own), Requires(sslPeer), probe));
        var outcome = await probe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(30));

        if (accepted)
        {
            Assert.IsType<HandshakeSucceeded>(outcome);
        }
        else
        {
            Assert.Equal("AMQ9636E", Assert.IsType<HandshakeFailed>(outcome).AmqCode);
        }
    }

    private static async Task ConnectWithRetry(TcpClient client, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public new void Dispose()
    {
        Shutdown();
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }

                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _dir.Dispose();
        base.Dispose();
    }
}
