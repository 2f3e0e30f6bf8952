using System.Diagnostics;
using System.Net;
using System.Net.Security;
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

    /// <summary>
    /// docs/tls.md, "Resumption": every connection to a responder is a full handshake. OpenSSL saves what the first
    /// connection gave it and offers it on the second; a bare SslStream server that allows resumption is the control that
    /// shows the tool would resume (so the refusal is ours, not the tool's or the platform's). Two things keep it so:
    /// AllowTlsResume = false, and on Linux .NET builds a fresh OpenSSL context for every handshake whose options carry a
    /// CipherSuitesPolicy (the responder's always do), so no session outlives its connection either way.
    /// </summary>
    [Fact]
    public async Task Responder_must_not_resume_a_TLS_session_that_a_bare_SslStream_server_would()
    {
        var (cert, key) = WritePem(TestPki.Leaf(Ca, "CN=APP1,O=Example"), "app1");
        var root = RootFile();
        var server = TestPki.Leaf(Ca, "CN=QM2,O=Example").WithKey();

        var control = await TwoConnections("control", async network =>
        {
            var stream = new SslStream(network, leaveInnerStreamOpen: false);
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(server, new X509Certificate2Collection(Ca.Certificate), offline: true),
                ClientCertificateRequired = true,
                AllowTlsResume = true,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            return (stream, stream.RemoteCertificate is not null);
        }, cert, key, root);
        Assert.True(control.Saved, "the control server issued no session: this platform cannot show resumption");
        Assert.Contains("Reused, TLSv1.3", control.Second);

        // One set of credentials for both connections, as a listener has: resumption state lives with them.
        var credentials = Credentials(server);
        var ours = await TwoConnections("ours", async network =>
        {
            var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(StepTimeout: TimeSpan.FromSeconds(15))));
            var probe = CreateTestProbe();
            supervisor.Tell(new StartHandshake("from-openssl", HandshakeRole.Responder, network, "QM2", credentials, Requires("CN=APP1"), probe));
            var accepted = await probe.ExpectMsgAsync<HandshakeSucceeded>(TimeSpan.FromSeconds(30));
            // Every connection, the second included, presented its certificate and was checked on it.
            return ((SslStream)accepted.Stream, accepted.Session.Peer?.Subject.ValuesOf("CN").Single() == "APP1");
        }, cert, key, root);
        Assert.All(ours.Presented, Assert.True);
        Assert.DoesNotContain("Reused", ours.First + ours.Second);
        Assert.Contains("New, TLSv1.3", ours.Second);
    }

    private sealed record Resumption(bool Saved, string First, string Second, bool[] Presented);

    /// <summary>Two s_client connections, the second offering the session the first saved (when it saved one).</summary>
    private async Task<Resumption> TwoConnections(string name, Func<Stream, Task<(SslStream Stream, bool Presented)>> serve, string cert, string key, string root)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var session = _dir.File(name + ".session");
        var outputs = new List<string>();
        var presented = new List<bool>();
        for (var i = 0; i < 2; i++)
        {
            string[] offer = i == 0 ? ["-sess_out", session] : File.Exists(session) ? ["-sess_in", session] : [];
            var client = SClient(["-connect", $"127.0.0.1:{port}", "-cert", cert, "-cert_chain", _dir.File("ca.pem"), "-key", key, "-CAfile", root, "-tls1_3", "-ign_eof", .. offer]);
            using var socket = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var (stream, wasPresented) = await serve(socket.GetStream());
            presented.Add(wasPresented);
            // Some data after the handshake, so the client reads the tickets a server sends before it sees the close.
            await stream.WriteAsync("bye\n"u8.ToArray());
            await stream.ShutdownAsync();
            stream.Dispose();
            outputs.Add(await client);
        }

        return new Resumption(File.Exists(session), outputs[0], outputs[1], [.. presented]);
    }

    private async Task<string> SClient(string[] args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("s_client");
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        _processes.Add(process);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return await stdout + await stderr;
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
