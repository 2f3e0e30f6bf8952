using System.Text.Json;
using System.Text.Json.Serialization;
using ActorQm.Messages;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorQm.Rest.WebConsole;

/// <summary>
/// The web console under <c>/ibmmq/console/</c> (docs/rest.md, "Console"): one static page, its script and style sheet
/// (embedded resources), and the JSON it polls. Served behind the same mutual TLS and principal as the REST API; what it
/// shows is read with the principal's authority (<see cref="ConsoleSnapshot"/>).
/// </summary>
internal static class ConsoleApi
{
    public const string Base = "/ibmmq/console";

    // The page's own script and style only; no inline script or style, nothing from elsewhere, no framing. Peer DNs are
    // attacker-controlled text: the script writes them with textContent, and this stops anything that slips through.
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static readonly (string Path, string Resource, string Type)[] Files =
    [
        ("/", "console.html", "text/html; charset=utf-8"),
        ("/console.js", "console.js", "text/javascript; charset=utf-8"),
        ("/console.css", "console.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Headers every console answer carries, refusals included (set before the principal is checked).</summary>
    public static void Secure(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments(Base, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
    }

    public static void Map(IEndpointRouteBuilder app, IReadOnlyDictionary<string, IActorRef> queueManagers, IActorRef timeline, Func<HttpContext, RestPeer> peerOf, TimeSpan timeout)
    {
        foreach (var (path, resource, type) in Files)
        {
            var bytes = Resource(resource);
            app.MapGet(Base + path, async (HttpContext http) =>
            {
                // Routing matches "/ibmmq/console" too: the page's relative links need the slash.
                if (path == "/" && !http.Request.Path.Value!.EndsWith('/'))
                {
                    http.Response.Redirect(Base + "/");
                    return;
                }

                // The page only for a principal that may display a queue manager; its script and style sheet hold no data.
                if (path == "/" && await ConsoleSnapshot.RefusalAsync(queueManagers.Values, peerOf(http), timeout).ConfigureAwait(false) is { } refusal)
                {
                    await RestErrors.Mq(http, MqReason.NotAuthorized, refusal, "The console's DISPLAY QMGR").ConfigureAwait(false);
                    return;
                }

                http.Response.ContentType = type;
                await http.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
            });
        }

        app.MapGet(Base + "/api/qmgr", () => Results.Json(new { qmgr = queueManagers.Keys.Order(StringComparer.Ordinal) }, Json));
        app.MapGet(Base + "/api/qmgr/{qmgr}", async (HttpContext http, string qmgr) =>
        {
            if (!queueManagers.TryGetValue(qmgr, out var qm))
            {
                await RestApi.NotFound(qmgr).ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            var (view, refusal) = await ConsoleSnapshot.ReadAsync(qmgr, qm, peerOf(http), timeline, timeout).ConfigureAwait(false);
            if (view is null)
            {
                // As the REST API answers a command the principal may not run: 403, MQWB0103E, MQRC 2035.
                await RestErrors.Mq(http, MqReason.NotAuthorized, refusal!, "The console's DISPLAY").ConfigureAwait(false);
                return;
            }

            await http.Response.WriteAsJsonAsync(view, Json).ConfigureAwait(false);
        });
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(ConsoleApi).Assembly.GetManifestResourceStream("WebConsole/" + name)
            ?? throw new InvalidOperationException($"the console's {name} is not embedded in {typeof(ConsoleApi).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
