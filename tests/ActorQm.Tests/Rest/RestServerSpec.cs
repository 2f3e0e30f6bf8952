using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using ActorQm.QueueManagers;
using ActorQm.Rest;
using ActorQm.Tests.Support;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorQm.Tests.Rest;

/// <summary>
/// MQ's REST APIs over real HTTPS with client certificates (docs/rest.md): a trusted certificate runs commands and
/// moves messages as its CN's principal; an untrusted, filtered-out or unauthorised one is refused with MQ's error
/// JSON and changes nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestServerSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IAsyncLifetime
{
    private readonly ITestOutputHelper _output = output;
    private readonly TestPki.Issued _revoked = TestPki.Leaf(TestPki.Shared.Ca, "CN=admin,O=Example", server: false);
    private readonly TempDirectory _dir = new();
    private StartedQueueManager _qm = null!;
    private RestServer _rest = null!;

    public async Task InitializeAsync()
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        File.WriteAllBytes(_dir.File("revoked.crl"), TestPki.Crl(TestPki.Shared.Ca, [_revoked.Certificate]));
        _qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('APP.IN')
            {TestGrants.App()}
            {TestGrants.Admin()}
            """, $$"""tls { crl-files = ["{{_dir.File("revoked.crl")}}"], ocsp-authentication = optional }""");
        var settings = RestSettings.From(ConfigurationFactory.ParseString("actorqm.rest { listen = \"127.0.0.1:0\", sslpeer = \"O=Example\" }"));
        _rest = await RestServer.StartAsync(settings, new Dictionary<string, Akka.Actor.IActorRef> { ["QM2"] = _qm.Actor }, _qm.Actor, Sys, TestOutputLogger.Factory(_output));
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        _dir.Dispose();
    }

    private HttpClient Client(X509Certificate2 certificate, X509Certificate2? intermediate = null, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, [intermediate ?? TestPki.Shared.Ca.Certificate], offline: true),
                // The queue manager's certificate, by our own root: the REST API is served with QM2's.
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == TestPki.Shared.Qm2.GetCertHashString(),
            },
            ConnectCallback = connect,
        };
        return new HttpClient(handler) { BaseAddress = _rest.Address };
    }

    private static X509Certificate2 User(string subject) => TestPki.Leaf(TestPki.Shared.Ca, subject, server: false).WithKey();

    private static HttpRequestMessage Mqsc(object body) => new(HttpMethod.Post, "/ibmmq/rest/v2/admin/action/qmgr/QM2/mqsc")
    {
        Content = JsonContent.Create(body),
        Headers = { { "ibm-mq-rest-csrf-token", "x" } },
    };

    [Fact]
    public async Task RestServer_must_run_MQSC_for_a_trusted_administrator_and_answer_as_MQ_does()
    {
        using var admin = Client(User("CN=admin,O=Example"));

        var qmgrs = await admin.GetFromJsonAsync<JsonElement>("/ibmmq/rest/v2/admin/qmgr");
        using var defined = await admin.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('REST.Q') MAXDEPTH(7)" } }));
        var definedJson = await defined.Content.ReadFromJsonAsync<JsonElement>();
        using var shown = await admin.SendAsync(Mqsc(new { type = "runCommandJSON", command = "display", qualifier = "qlocal", name = "REST.Q", responseParameters = new[] { "MAXDEPTH" } }));
        var shownJson = await shown.Content.ReadFromJsonAsync<JsonElement>();
        // MQSC splits lines before it reads quotes: a line break in a value would start a command of its own.
        using var injected = await admin.SendAsync(Mqsc(new { type = "runCommandJSON", command = "display", qualifier = "qlocal", name = "X\nDELETE QLOCAL(APP.IN)\n" }));
        using var injectedVerb = await admin.SendAsync(Mqsc(new { type = "runCommandJSON", command = "display\n", qualifier = "qlocal", name = "X" }));
        using var unknownQmgr = await admin.GetAsync("/ibmmq/rest/v2/admin/qmgr/QM9");

        Assert.Equal("QM2", qmgrs.GetProperty("qmgr")[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, defined.StatusCode);
        Assert.Equal(0, definedJson.GetProperty("overallCompletionCode").GetInt32());
        Assert.StartsWith("AMQ8006I", definedJson.GetProperty("commandResponse")[0].GetProperty("text")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(7, shownJson.GetProperty("commandResponse")[0].GetProperty("parameters").GetProperty("maxdepth").GetInt32());
        // A name is always one quoted value: nothing in the JSON becomes a command of its own.
        Assert.Equal(0, (await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DISPLAY QLOCAL('APP.IN')")).Failed);
        Assert.Equal(HttpStatusCode.NotFound, unknownQmgr.StatusCode);
        Assert.Equal("MQWB0009E", (await unknownQmgr.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error")[0].GetProperty("msgId").GetString());
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (injected.StatusCode, injectedVerb.StatusCode));
    }

    [Fact]
    public async Task RestServer_must_put_browse_and_get_text_messages_with_MQs_headers_as_the_mapped_principal()
    {
        using var app = Client(User("CN=app,O=Example"));
        using var put = await app.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message")
        {
            Content = new StringContent("Test 1", Encoding.UTF8, "text/plain"),
            Headers = { { "ibm-mq-rest-csrf-token", "" }, { "ibm-mq-md-persistence", "persistent" }, { "ibm-mq-md-correlationId", new string('a', 48) } },
        });
        using var browsed = await app.GetAsync("/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message");
        using var got = await app.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message") { Headers = { { "ibm-mq-rest-csrf-token", "x" } } });
        using var empty = await app.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message?wait=100") { Headers = { { "ibm-mq-rest-csrf-token", "x" } } });
        using var noCsrf = await app.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message") { Content = new StringContent("no token", Encoding.UTF8, "text/plain") });

        Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
        var messageId = put.Headers.GetValues("ibm-mq-md-messageId").Single();
        Assert.Matches("^[0-9A-F]{48}$", messageId);
        Assert.Equal(("Test 1", messageId), (await browsed.Content.ReadAsStringAsync(), browsed.Headers.GetValues("ibm-mq-md-messageId").Single()));
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("Test 1", await got.Content.ReadAsStringAsync());
        Assert.Equal("persistent", got.Headers.GetValues("ibm-mq-md-persistence").Single());
        Assert.Equal(new string('A', 48), got.Headers.GetValues("ibm-mq-md-correlationId").Single());
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        Assert.Equal(0, await Depth("APP.IN"));
    }

    [Fact]
    public async Task RestServer_must_put_a_message_in_the_trace_of_the_requests_traceparent_and_not_refuse_a_malformed_one()
    {
        using var app = Client(User("CN=app,O=Example"));
        HttpRequestMessage Put(string traceparent) => new(HttpMethod.Post, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message")
        {
            Content = new StringContent("traced", Encoding.UTF8, "text/plain"),
            Headers = { { "ibm-mq-rest-csrf-token", "" }, { "traceparent", traceparent } },
        };

        using var traced = await app.SendAsync(Put("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        using var malformed = await app.SendAsync(Put("00-not-a-trace-01"));
        var local = new QueueManagerConnection(_qm.Actor);
        var first = await local.GetAsync("APP.IN");
        await local.GetAsync("APP.IN");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (traced.StatusCode, malformed.StatusCode));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", first.Descriptor.TraceContext.TraceId.ToHexString());
    }

    [Theory]
    [InlineData("crl")]
    [InlineData("revoke")]
    public async Task RestServer_must_refuse_the_next_request_of_a_kept_alive_connection_once_its_certificate_is_revoked(string how)
    {
        var app = TestPki.Leaf(TestPki.Shared.Ca, "CN=app,O=Example", server: false);
        // One connection, kept alive: what is asked after the refresh travels on the connection verified before it.
        var connections = 0;
        using var client = Client(app.WithKey(), connect: async (context, cancel) =>
        {
            Interlocked.Increment(ref connections);
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        });

        using var before = await client.GetAsync("/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message");
        // A new CRL read at REFRESH SECURITY, or REVOKE CERT (which changes no TLS material, only the revoked list).
        if (how == "crl")
        {
            File.WriteAllBytes(_dir.File("revoked.crl"), TestPki.Crl(TestPki.Shared.Ca, [_revoked.Certificate, app.Certificate]));
        }

        var command = how == "crl" ? "REFRESH SECURITY TYPE(SSL)" : $"REVOKE CERT('{app.Certificate.SerialNumber}') ISSUER('{ActorQm.Tls.PeerName.Issuer(app.Certificate)}')";
        Assert.Equal(0, (await new QueueManagerConnection(_qm.Actor).RunMqscAsync(command)).Failed);

        await AwaitAssertAsync(async () =>
        {
            using var after = await client.GetAsync("/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message");
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Equal((int)ActorQm.Messages.MqReason.SslCertificateRevoked, (await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error")[0].GetProperty("reasonCode").GetInt32());
        }, TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.NoContent, before.StatusCode);
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task RestServer_must_answer_a_body_over_4MiB_with_413_and_MQRC_2031_and_put_nothing()
    {
        using var app = Client(User("CN=app,O=Example"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message")
        {
            Content = new ByteArrayContent(new byte[(4 * 1024 * 1024) + 1]) { Headers = { { "Content-Type", "text/plain" } } },
            Headers = { { "ibm-mq-rest-csrf-token", "" } },
        };
        // As curl does for a large body: the answer comes before the body is sent (without it the client may still be
        // writing when the server answers and closes, and see a broken pipe instead of the answer).
        request.Headers.ExpectContinue = true;
        using var put = await app.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        var body = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("error")[0];
        Assert.Equal(2031, body.GetProperty("reasonCode").GetInt32());
        Assert.Equal(0, await Depth("APP.IN"));
    }

    [Fact]
    public async Task RestServer_must_refuse_an_untrusted_a_filtered_out_and_an_unauthorised_certificate_and_change_nothing()
    {
        var strangerCa = TestPki.Intermediate(TestPki.Root("Stranger Root"));
        using var untrusted = Client(TestPki.Leaf(strangerCa, "CN=admin,O=Example", server: false).WithKey(), strangerCa.Certificate);
        using var filtered = Client(User("CN=admin,O=Elsewhere"));
        using var twoNames = Client(User("CN=admin,CN=app,O=Example"));
        using var nobody = Client(User("CN=nobody,O=Example"));
        using var revoked = Client(_revoked.WithKey());

        using var fromUntrusted = await untrusted.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('U1')" } }));
        using var fromFiltered = await filtered.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('U2')" } }));
        using var fromTwoNames = await twoNames.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('U3')" } }));
        using var fromRevoked = await revoked.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('U5')" } }));
        using var command = await nobody.SendAsync(Mqsc(new { type = "runCommand", parameters = new { command = "DEFINE QLOCAL('U4')" } }));
        using var put = await nobody.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/ibmmq/rest/v2/messaging/qmgr/QM2/queue/APP.IN/message")
        {
            Content = new StringContent("not allowed", Encoding.UTF8, "text/plain"),
            Headers = { { "ibm-mq-rest-csrf-token", "x" } },
        });

        static async Task<(HttpStatusCode, string?, int?)> Error(HttpResponseMessage response)
        {
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error")[0];
            return (response.StatusCode, error.GetProperty("msgId").GetString(), error.TryGetProperty("reasonCode", out var rc) ? rc.GetInt32() : null);
        }

        Assert.Equal((HttpStatusCode.Unauthorized, "MQWB0104E", 2393), await Error(fromUntrusted));
        Assert.Contains("AMQ9633E", (await fromUntrusted.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, "MQWB0104E", 2035), await Error(fromFiltered));
        Assert.Equal((HttpStatusCode.Unauthorized, "MQWB0104E", (int)ActorQm.Messages.MqReason.SslCertificateRevoked), await Error(fromRevoked));
        Assert.Equal(HttpStatusCode.Forbidden, fromTwoNames.StatusCode);
        var refused = await command.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, refused.GetProperty("overallCompletionCode").GetInt32());
        Assert.Equal((HttpStatusCode.Forbidden, "MQWB0103E", 2035), await Error(put));
        var (lines, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync("DISPLAY QLOCAL('U*')");
        Assert.Contains(lines, l => l.Contains("AMQ8147E", StringComparison.Ordinal));
        Assert.Equal(0, await Depth("APP.IN"));
    }

    [Fact]
    public async Task RestServer_must_refuse_messaging_to_a_principal_without_CONNECT_on_the_queue_manager()
    {
        // Every queue authority, but no CONNECT: MQ's mqweb connects as the caller, so the call fails as its MQCONN would.
        var admin = new QueueManagerConnection(_qm.Actor);
        await admin.RunMqscAsync("SET AUTHREC PROFILE('APP.IN') OBJTYPE(QUEUE) PRINCIPAL('noconn') AUTHADD(PUT,GET,BROWSE,INQ)");
        using var noconn = Client(User("CN=noconn,O=Example"));
        HttpRequestMessage Put() => new(HttpMethod.Post, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message")
        {
            Content = new StringContent("needs CONNECT", Encoding.UTF8, "text/plain"),
            Headers = { { "ibm-mq-rest-csrf-token", "x" } },
        };

        using var put = await noconn.SendAsync(Put());
        using var browse = await noconn.GetAsync("/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message");
        using var get = await noconn.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message") { Headers = { { "ibm-mq-rest-csrf-token", "x" } } });

        foreach (var refused in new[] { put, browse, get })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error")[0];
            Assert.Equal(("MQWB0103E", 2035), (error.GetProperty("msgId").GetString(), error.GetProperty("reasonCode").GetInt32()));
        }

        Assert.Equal(0, await Depth("APP.IN"));
        // The same principal with CONNECT: the put is taken.
        await admin.RunMqscAsync("SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('noconn') AUTHADD(CONNECT)");
        using var allowed = await noconn.SendAsync(Put());
        Assert.True(allowed.StatusCode == HttpStatusCode.Created, await allowed.Content.ReadAsStringAsync());
        Assert.Equal(1, await Depth("APP.IN"));
    }

    private async Task<int> Depth(string queue)
    {
        var (lines, _, _) = await new QueueManagerConnection(_qm.Actor).RunMqscAsync($"DISPLAY QSTATUS('{queue}') CURDEPTH");
        var match = System.Text.RegularExpressions.Regex.Match(string.Join(" ", lines), @"CURDEPTH\((\d+)\)");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
