using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorQm.Rest;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorQm.Tests.Rest.WebConsole;

/// <summary>
/// Two queue managers of one process listening on one port at two addresses (127.0.0.1:P and 127.0.0.2:P): a principal who
/// may display QMA sees the handshakes of QMA's listener and none of QMB's, on which it has no authority (found by review:
/// listeners were known by port only, so QMB's peer DNs and refusal details showed in QMA's console).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConsoleSharedPortSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IAsyncLifetime
{
    private readonly ITestOutputHelper _output = output;
    private readonly TempDirectory _dir = new();
    private RestServer _rest = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var keyA = QueueManagerPair.KeyRepository(_dir, "qmakey", "ibmwebspheremqqma", TestPki.Shared.Qm2);
        var keyB = QueueManagerPair.KeyRepository(_dir, "qmbkey", "ibmwebspheremqqmb", TestPki.Shared.Qm1);
        var qma = await QueueManagerPair.Start(Sys, _dir, "QMA", $"""
            ALTER QMGR SSLKEYR('{keyA}')
            {TestGrants.Admin()}
            DEFINE LISTENER('L1') PORT({_port}) IPADDR('127.0.0.1') CONTROL(QMGR)
            """);
        var qmb = await QueueManagerPair.Start(Sys, _dir, "QMB", $"""
            ALTER QMGR SSLKEYR('{keyB}')
            DEFINE LISTENER('L1') PORT({_port}) IPADDR('127.0.0.2') CONTROL(QMGR)
            """);
        await QueueManagerPair.ListenerPort(qma.Actor);
        await QueueManagerPair.ListenerPort(qmb.Actor);
        var settings = RestSettings.From(ConfigurationFactory.ParseString("actorqm.rest.listen = \"127.0.0.1:0\""));
        _rest = await RestServer.StartAsync(settings, new Dictionary<string, Akka.Actor.IActorRef> { ["QMA"] = qma.Actor, ["QMB"] = qmb.Actor }, qma.Actor, Sys, TestOutputLogger.Factory(_output));
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Console_must_show_a_queue_manager_only_its_own_listeners_handshakes()
    {
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(ActorQm.Tls.Handshake.ChannelSslError));
        // A caller of each listener, refused there: its certificate comes from a CA nobody trusts.
        var stranger = TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA");
        await CallRefused(stranger, "127.0.0.1", "CN=QMA.CALLER,O=Elsewhere");
        await CallRefused(stranger, "127.0.0.2", "CN=QMB.CALLER,O=Elsewhere");
        await refusals.ExpectMsgAsync<ActorQm.Tls.Handshake.ChannelSslError>(TimeSpan.FromSeconds(20));
        await refusals.ExpectMsgAsync<ActorQm.Tls.Handshake.ChannelSslError>(TimeSpan.FromSeconds(20));
        using var admin = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(TestPki.Leaf(TestPki.Shared.Ca, "CN=admin,O=Example", server: false).WithKey(), [TestPki.Shared.Ca.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        })
        { BaseAddress = _rest.Address };

        // admin may display QMA only: it sees the refusal at QMA's listener, and nothing of QMB's on the same port.
        using var b = await admin.GetAsync("/ibmmq/console/api/qmgr/QMB");
        Assert.Equal(HttpStatusCode.Forbidden, b.StatusCode);
        await AwaitAssertAsync(async () =>
        {
            var a = await admin.GetFromJsonAsync<JsonElement>("/ibmmq/console/api/qmgr/QMA");
            var handshakes = a.GetProperty("listeners").EnumerateArray().Single().GetProperty("handshakes").ToString();
            Assert.Contains("QMA.CALLER", handshakes, StringComparison.Ordinal);
            Assert.DoesNotContain("QMB.CALLER", handshakes, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
    }

    private async Task CallRefused(TestPki.Issued stranger, string address, string subject)
    {
        var intruder = TestPki.Leaf(stranger, subject, server: false).WithKey();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Parse(address), _port);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "qm",
                ClientCertificateContext = SslStreamCertificateContext.Create(intruder, [stranger.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            _ = await tls.ReadAsync(new byte[16]);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
        }
    }
}
