using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorQm.Rest;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorQm.Tests.Rest.WebConsole;

/// <summary>
/// Who may see the console (docs/rest.md, "Console"): the page and its JSON need DSP as the REST API's DISPLAY would, and
/// are refused as the REST API refuses (403 MQWB0103E, MQRC 2035); every answer carries the strict Content-Security-Policy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConsoleApiSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IAsyncLifetime
{
    private readonly ITestOutputHelper _output = output;
    private readonly TempDirectory _dir = new();
    private RestServer _rest = null!;

    public async Task InitializeAsync()
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(42)
            {TestGrants.App()}
            {TestGrants.Admin()}
            """);
        var settings = RestSettings.From(ConfigurationFactory.ParseString("actorqm.rest.listen = \"127.0.0.1:0\""));
        _rest = await RestServer.StartAsync(settings, new Dictionary<string, Akka.Actor.IActorRef> { ["QM2"] = qm.Actor }, qm.Actor, Sys, TestOutputLogger.Factory(_output));
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        _dir.Dispose();
    }

    private HttpClient Client(string subject) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificateContext = SslStreamCertificateContext.Create(TestPki.Leaf(TestPki.Shared.Ca, subject, server: false).WithKey(), [TestPki.Shared.Ca.Certificate], offline: true),
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == TestPki.Shared.Qm2.GetCertHashString(),
        },
    })
    { BaseAddress = _rest.Address };

    [Fact]
    public async Task Console_must_refuse_a_principal_without_display_authority_as_the_REST_API_does()
    {
        using var app = Client("CN=app,O=Example");

        using var page = await app.GetAsync("/ibmmq/console/");
        using var data = await app.GetAsync("/ibmmq/console/api/qmgr/QM2");

        foreach (var refused in new[] { page, data })
        {
            var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error")[0];
            Assert.Equal((HttpStatusCode.Forbidden, "MQWB0103E", 2035), (refused.StatusCode, error.GetProperty("msgId").GetString(), error.GetProperty("reasonCode").GetInt32()));
            Assert.Contains("AMQ8135E", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", refused.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Console_must_serve_the_page_its_script_and_the_queue_managers_state_to_an_administrator_with_a_strict_policy()
    {
        using var admin = Client("CN=admin,O=Example");

        using var page = await admin.GetAsync("/ibmmq/console/");
        using var bare = await admin.GetAsync("/ibmmq/console");
        using var script = await admin.GetAsync("/ibmmq/console/console.js");
        var state = await admin.GetFromJsonAsync<JsonElement>("/ibmmq/console/api/qmgr/QM2");
        using var unknown = await admin.GetAsync("/ibmmq/console/api/qmgr/QM9");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"console.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal((HttpStatusCode.Redirect, "/ibmmq/console/"), (bare.StatusCode, bare.Headers.Location?.OriginalString));
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("QM2", state.GetProperty("name").GetString());
        var queue = state.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "APP.IN");
        Assert.Equal((0, 42), (queue.GetProperty("depth").GetInt32(), queue.GetProperty("maxDepth").GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>
    /// ASP.NET routing matches route literals whatever their case: /IBMMQ/CONSOLE/ serves the page and its JSON, and must
    /// carry the CSP, no-store, nosniff and anti-framing headers too (found by review: it did not).
    /// </summary>
    [Fact]
    public async Task Console_must_send_its_security_headers_whatever_the_case_of_the_path()
    {
        using var admin = Client("CN=admin,O=Example");

        using var page = await admin.GetAsync("/IBMMQ/CONSOLE/");
        using var state = await admin.GetAsync("/ibmmq/Console/api/qmgr/QM2");

        foreach (var answer in new[] { page, state })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.True(answer.Headers.Contains("Content-Security-Policy"), $"{answer.RequestMessage!.RequestUri}: no Content-Security-Policy");
            Assert.True(answer.Headers.CacheControl?.NoStore == true, $"{answer.RequestMessage!.RequestUri}: not no-store");
            Assert.True(answer.Headers.Contains("X-Frame-Options"), $"{answer.RequestMessage!.RequestUri}: no X-Frame-Options");
        }
    }
}
