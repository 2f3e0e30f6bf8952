using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Mqi;
using ActorQm.Rest;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ActorQm.Tests.Rest.WebConsole;

/// <summary>
/// The web console in a real headless Chromium (Debian's, driven by Playwright; scripts/test.sh installs it), over the REST
/// API's mutual TLS with the browser presenting a client certificate: a RUNNING channel with its peer DN, and a refused
/// handshake on the channel listener with its deciding step and AMQ code, the attacker's subject shown as text. A browser
/// with no certificate gets no console. Set ACTORQM_CONSOLE_SCREENSHOT to a path to keep a screenshot (docs/console.png).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConsoleBrowserSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IAsyncLifetime
{
    // Markup in a certificate subject: the page must show it as text (no <img> element, no script run).
    private const string HostileCn = "<img src=x onerror=window.pwned=1>";
    private static readonly string[] Chromiums = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];
    private readonly ITestOutputHelper _output = output;
    private readonly TempDirectory _dir = new();
    private QueueManagerPair _pair = null!;
    private RestServer _rest = null!;

    public async Task InitializeAsync()
    {
        _pair = await QueueManagerPair.StartAsync(Sys, _dir, qm2Extra: TestGrants.Admin());
        var settings = RestSettings.From(ConfigurationFactory.ParseString("actorqm.rest { listen = \"127.0.0.1:0\", console.handshakes = 10 }"));
        _rest = await RestServer.StartAsync(settings, new Dictionary<string, Akka.Actor.IActorRef> { ["QM2"] = _pair.Qm2.Actor }, _pair.Qm2.Actor, Sys, TestOutputLogger.Factory(_output));
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Console_must_show_a_running_channel_and_a_refused_handshake_over_mutual_TLS_and_nothing_without_a_certificate()
    {
        var chromium = Chromiums.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "Chromium is not installed (apt-get install chromium; scripts/test.sh installs it)");
        await _pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        var output = await _pair.Conn1.OpenAsync("APP.REMOTE", QueueManagerApi.OpenPurpose.Output);
        for (var i = 0; i < 5; i++)
        {
            await output.PutAsync(TestMessages.Text($"m{i}"));
        }

        await AwaitAssertAsync(async () => Assert.Equal(ChannelState.Running, (await _pair.Status(_pair.Qm2.Actor))?.State), TimeSpan.FromSeconds(20));
        await UntrustedHandshake();
        var origin = _rest.Address.GetLeftPart(UriPartial.Authority);
        var admin = TestPki.Leaf(TestPki.Shared.Ca, "CN=admin,O=Example", server: false);
        File.WriteAllText(_dir.File("admin.pem"), admin.Certificate.ExportCertificatePem() + "\n" + TestPki.Shared.Ca.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("admin.key"), admin.Key.ExportPkcs8PrivateKeyPem());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        await using var withCertificate = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            // The test CA signed QM2's certificate: the browser does not know it, the client certificate is what is tested.
            IgnoreHTTPSErrors = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ClientCertificates = [new ClientCertificate { Origin = origin, CertPath = _dir.File("admin.pem"), KeyPath = _dir.File("admin.key") }],
        });
        var page = await withCertificate.NewPageAsync();
        var response = await page.GotoAsync(origin + "/ibmmq/console/");

        Assert.Equal(200, response!.Status);
        Assert.Contains("script-src 'self'", (await response.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        var channel = page.Locator("tr.channel", new() { HasText = QueueManagerPair.Channel });
        await Microsoft.Playwright.Assertions.Expect(channel).ToContainTextAsync("RUNNING");
        await Microsoft.Playwright.Assertions.Expect(channel.Locator("td.peer")).ToContainTextAsync("CN=QM1");
        await Microsoft.Playwright.Assertions.Expect(channel).ToContainTextAsync("TLS_AES_128_GCM_SHA256");
        var refused = page.Locator("li.handshake[data-outcome=Rejected]", new() { HasText = "<img src" });
        await Microsoft.Playwright.Assertions.Expect(refused.Locator(".amq")).ToHaveTextAsync("AMQ9633E");
        await Microsoft.Playwright.Assertions.Expect(refused.Locator(".step.decided")).ToContainTextAsync("ChainValidation");
        await Microsoft.Playwright.Assertions.Expect(refused.Locator(".peer")).ToContainTextAsync(HostileCn);
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.pwned === undefined"));
        if (Environment.GetEnvironmentVariable("ACTORQM_CONSOLE_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        }

        await using var without = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        var stranger = await without.NewPageAsync();
        var refusedPage = await stranger.GotoAsync(origin + "/ibmmq/console/");
        var api = await stranger.APIRequest.GetAsync(origin + "/ibmmq/console/api/qmgr/QM2");

        Assert.Equal((401, 401), (refusedPage!.Status, api.Status));
        Assert.Contains("MQWB0104E", await refusedPage.TextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(QueueManagerPair.Channel, await stranger.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(QueueManagerPair.Channel, await api.TextAsync(), StringComparison.Ordinal);
    }

    /// <summary>A client whose certificate no trusted CA issued, against QM2's channel listener: refused at chain validation.</summary>
    private async Task UntrustedHandshake()
    {
        var strangerCa = TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA");
        using var certificate = TestPki.Leaf(strangerCa, $"CN=\"{HostileCn}\",O=Stranger", server: false).WithKey();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _pair.Port);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "QM2",
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, [strangerCa.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            // TLS 1.3 checks the client's certificate after the client's side is done: the refusal closes the connection.
            _ = await tls.ReadAsync(new byte[1]);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused: what the timeline must show.
        }
    }
}
