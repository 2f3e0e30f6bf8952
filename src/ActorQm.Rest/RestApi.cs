using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Queues;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorQm.Rest;

/// <summary>
/// The routes, as MQ's mqweb has them (docs/rest.md): <c>GET admin/qmgr[/{qmgr}]</c>, <c>POST admin/action/qmgr/{qmgr}/mqsc</c>
/// (runCommand and runCommandJSON) and <c>POST</c> (put), <c>DELETE</c> (destructive get) and <c>GET</c> (browse) on
/// <c>messaging/qmgr/{qmgr}/queue/{queue}/message</c>, under <c>/ibmmq/rest/v1|v2|v3/</c>.
/// </summary>
internal static class RestApi
{
    /// <summary>The largest request body: a message (MAXMSGL's default, 4 MiB) or an MQSC script.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    private static readonly string[] Versions = ["v1", "v2", "v3"];
    private const string CsrfHeader = "ibm-mq-rest-csrf-token";
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(2);

    public static void Map(IEndpointRouteBuilder app, IReadOnlyDictionary<string, IActorRef> queueManagers, Func<HttpContext, RestPeer> peerOf, TimeSpan timeout, IActorRefFactory actors)
    {
        foreach (var version in Versions)
        {
            Map(app, $"/ibmmq/rest/{version}", queueManagers, peerOf, timeout, actors);
        }

        app.MapFallback((HttpContext http) => Error(StatusCodes.Status404NotFound, "MQWB0116E", $"MQWB0116E: the URL '{http.Request.Path}' does not match any REST API resource."));
    }

    private static void Map(IEndpointRouteBuilder app, string @base, IReadOnlyDictionary<string, IActorRef> queueManagers, Func<HttpContext, RestPeer> peerOf, TimeSpan timeout, IActorRefFactory actors)
    {
        app.MapGet(@base + "/admin/qmgr", () => Results.Json(new { qmgr = queueManagers.Keys.Select(n => new { name = n, state = "running" }) }));
        app.MapGet(@base + "/admin/qmgr/{qmgr}", (string qmgr) => queueManagers.ContainsKey(qmgr)
            ? Results.Json(new { qmgr = new[] { new { name = qmgr, state = "running" } } })
            : NotFound(qmgr));
        app.MapPost(@base + "/admin/action/qmgr/{qmgr}/mqsc", async (HttpContext http, string qmgr) =>
        {
            if (!queueManagers.TryGetValue(qmgr, out var qm))
            {
                return NotFound(qmgr);
            }

            if (Csrf(http) is { } missing)
            {
                return missing;
            }

            var peer = peerOf(http);
            var (script, json, error) = await AdminCommand.ReadAsync(http.Request).ConfigureAwait(false);
            if (error is not null)
            {
                return Error(StatusCodes.Status400BadRequest, "MQWB0400E", $"MQWB0400E: the request body is not a runCommand or runCommandJSON request: {error}");
            }

            // As a remote administrator: each command is checked against the principal's authority and logged with it.
            var principal = await PrincipalAt(qm, peer, timeout).ConfigureAwait(false);
            var done = await qm.Ask<QueueManagerApi.MqscCompleted>(new QueueManagerApi.RunMqsc(script!, As: principal, Origin: $"REST API client {peer.Describe()}"), timeout).ConfigureAwait(false);
            return Results.Json(AdminCommand.Response(done, json));
        });

        var message = @base + "/messaging/qmgr/{qmgr}/queue/{queue}/message";
        app.MapPost(message, (HttpContext http, string qmgr, string queue) => Messaging(http, queueManagers, qmgr, queue, peerOf, timeout, Put));
        app.MapDelete(message, (HttpContext http, string qmgr, string queue) => Messaging(http, queueManagers, qmgr, queue, peerOf, timeout,
            (h, qm, q, peer, t) => Get(h, qm, q, peer, t, actors)));
        app.MapGet(message, (HttpContext http, string qmgr, string queue) => Messaging(http, queueManagers, qmgr, queue, peerOf, timeout, Browse));
    }

    private delegate Task<IResult> MessagingCall(HttpContext http, IActorRef qm, string queue, RestPeer peer, TimeSpan timeout);

    private static async Task<IResult> Messaging(HttpContext http, IReadOnlyDictionary<string, IActorRef> queueManagers, string qmgr, string queue, Func<HttpContext, RestPeer> peerOf, TimeSpan timeout, MessagingCall call)
    {
        if (!queueManagers.TryGetValue(qmgr, out var qm))
        {
            return NotFound(qmgr);
        }

        if (!HttpMethods.IsGet(http.Request.Method) && Csrf(http) is { } missing)
        {
            return missing;
        }

        try
        {
            return await call(http, qm, queue, peerOf(http), timeout).ConfigureAwait(false);
        }
        catch (MqException e)
        {
            return new MqError(e.Reason, e.Detail ?? e.Message, $"{http.Request.Method} on queue {queue}");
        }
    }

    private static async Task<IResult> Put(HttpContext http, IActorRef qm, string queue, RestPeer peer, TimeSpan timeout)
    {
        if (!TextMedia(http.Request.ContentType))
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "MQWB0306E", $"MQWB0306E: the media type '{http.Request.ContentType}' is not one the messaging REST API takes (text/plain, text/html, text/xml, application/json, application/xml).");
        }

        if (Headers.Descriptor(http.Request.Headers) is not { } descriptor)
        {
            return Error(StatusCodes.Status400BadRequest, "MQWB0302E", "MQWB0302E: a header value is not valid (ibm-mq-md-correlationId: 48 hexadecimal digits; ibm-mq-md-persistence: persistent or nonPersistent; ibm-mq-md-expiry: unlimited or milliseconds; ibm-mq-md-replyTo: queue[@qmgr]).");
        }

        // Authority first: a caller who may not put does not get 4 MiB read on its behalf.
        var handle = await Open(qm, queue, MqOpenOptions.Output, peer, timeout).ConfigureAwait(false);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body).ConfigureAwait(false);
        // Who put it, as a client's put says (MQ's UserIdentifier is 12 characters).
        var user = peer.Principal!.Name.Length > 12 ? peer.Principal.Name[..12] : peer.Principal.Name;
        var (prepared, rejected) = handle.PreparePut(new MqMessage(descriptor with { UserIdentifier = user }, body.ToArray()), "ActorQm REST API");
        if (prepared is null)
        {
            throw new MqException(rejected!.Reason, rejected.Detail);
        }

        var reply = await handle.Queue.Ask<object>(prepared, timeout).ConfigureAwait(false);
        if (reply is LocalQueue.PutRejected refused)
        {
            throw new MqException(refused.Reason, refused.Detail);
        }

        http.Response.Headers["ibm-mq-md-messageId"] = ((LocalQueue.MessagePut)reply).Descriptor.MsgId.ToString();
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    /// <summary>A destructive get under syncpoint, committed once the answer is written: a failed write leaves the message on the queue.</summary>
    private static async Task<IResult> Get(HttpContext http, IActorRef qm, string queue, RestPeer peer, TimeSpan timeout, IActorRefFactory actors)
    {
        if (Headers.Match(http.Request.Query) is not { } match)
        {
            return Error(StatusCodes.Status400BadRequest, "MQWB0302E", "MQWB0302E: a query parameter is not valid (messageId and correlationId: 48 hexadecimal digits; wait: milliseconds).");
        }

        var handle = await Open(qm, queue, MqOpenOptions.InputAsQueueDefault, peer, timeout).ConfigureAwait(false);
        // The get's owner lives as long as the request: a message the queue hands out after the Ask gave up (or the client
        // went) is backed out when the owner ends, instead of staying locked with no one to settle it.
        var owner = actors.ActorOf(RestGetOwner.Props(handle.Queue));
        http.Response.RegisterForDispose(new RestGetOwner.EndsWithRequest(owner));
        // A client that goes while the get waits takes the waiter with it (the Ask ends and the queue drops it).
        var reply = await handle.Queue.Ask<object>(new LocalQueue.Get(match with { Syncpoint = true }, owner), timeout + match.Wait, http.RequestAborted).ConfigureAwait(false);
        if (Got(reply) is not { } got)
        {
            return Results.NoContent();
        }

        if (got.Message.Descriptor.Format != MessageFormats.String)
        {
            owner.Tell(new RestGetOwner.Settle(got.Token, Commit: false));
            return Error(StatusCodes.Status400BadRequest, "MQWB0307E", $"MQWB0307E: the message has format '{got.Message.Descriptor.Format.Trim()}', not MQSTR: the REST API gets text only; it stays on the queue.");
        }

        return new Delivered(got.Message, () => owner.Tell(new RestGetOwner.Settle(got.Token, Commit: true)), () => owner.Tell(new RestGetOwner.Settle(got.Token, Commit: false)));
    }

    private static async Task<IResult> Browse(HttpContext http, IActorRef qm, string queue, RestPeer peer, TimeSpan timeout)
    {
        if (Headers.Match(http.Request.Query) is not { } match)
        {
            return Error(StatusCodes.Status400BadRequest, "MQWB0302E", "MQWB0302E: a query parameter is not valid (messageId and correlationId: 48 hexadecimal digits; wait: milliseconds).");
        }

        var handle = await Open(qm, queue, MqOpenOptions.Browse, peer, timeout).ConfigureAwait(false);
        var reply = await handle.Queue.Ask<object>(new LocalQueue.Get(match with { BrowseAfter = BrowseCursor.Start }), timeout + match.Wait).ConfigureAwait(false);
        return Got(reply) is { } got ? new Delivered(got.Message, null, null) : Results.NoContent();
    }

    private static LocalQueue.MessageGot? Got(object reply) => reply switch
    {
        LocalQueue.MessageGot got => got,
        LocalQueue.GetRejected { Reason: MqReason.NoMsgAvailable } => null,
        LocalQueue.GetRejected r => throw new MqException(r.Reason, r.Detail),
        _ => throw new MqException(MqReason.UnexpectedError, $"unexpected reply {reply.GetType().Name}"),
    };

    private static async Task<QueueHandle> Open(IActorRef qm, string queue, MqOpenOptions options, RestPeer peer, TimeSpan timeout) =>
        await qm.Ask<object>(new QueueManagerApi.OpenQueue(queue, options, null, await PrincipalAt(qm, peer, timeout).ConfigureAwait(false)) { Connecting = true }, timeout).ConfigureAwait(false) switch
        {
            QueueManagerApi.QueueOpened opened => opened.Handle,
            QueueManagerApi.OpenRejected r => throw new MqException(r.Reason, r.Detail),
            var other => throw new MqException(MqReason.UnexpectedError, $"unexpected reply {other.GetType().Name}"),
        };

    /// <summary>The certificate's user as the target queue manager knows it: its own groups and administrators, not those of the queue manager whose certificate serves HTTPS.</summary>
    internal static async Task<Authority.Principal> PrincipalAt(IActorRef qm, RestPeer peer, TimeSpan timeout) =>
        (await qm.Ask<QueueManagers.QueueManager.ListenerTls>(QueueManagers.QueueManager.GetListenerTls.Instance, timeout).ConfigureAwait(false)).Security.PrincipalFor(peer.Principal!.Name);

    /// <summary>MQ requires the header on every request that changes something (any value, checked for presence: docs/rest.md).</summary>
    private static IResult? Csrf(HttpContext http) => http.Request.Headers.ContainsKey(CsrfHeader)
        ? null
        : Error(StatusCodes.Status403Forbidden, "MQWB0100E", $"MQWB0100E: the request has no {CsrfHeader} header; POST, PATCH and DELETE requests need one (any value).");

    private static bool TextMedia(string? contentType) =>
        contentType is { } type && type.Split(';')[0].Trim().ToLowerInvariant() is "text/plain" or "text/html" or "text/xml" or "application/json" or "application/xml";

    internal static IResult NotFound(string qmgr) =>
        Error(StatusCodes.Status404NotFound, "MQWB0009E", $"MQWB0009E: Could not find the queue manager '{qmgr}'.", MqReason.QMgrNameError);

    private static IResult Error(int status, string id, string message, MqReason? reason = null) => new RestError(status, id, message, reason);

    private sealed record RestError(int Status, string Id, string Message, MqReason? Reason) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => RestErrors.Write(httpContext, Status, Id, Message, "Correct the request and send it again.", Reason);
    }

    private sealed record MqError(MqReason Reason, string Detail, string What) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => RestErrors.Mq(httpContext, Reason, Detail, What);
    }

    /// <summary>A message as the body, its descriptor as MQ's headers; the get is committed only once the body is written.</summary>
    private sealed record Delivered(MqMessage Message, Action? Commit, Action? Backout) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            try
            {
                Headers.Write(response.Headers, Message.Descriptor);
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "text/plain; charset=utf-8";
                await response.Body.WriteAsync(Message.Payload).ConfigureAwait(false);
                await response.CompleteAsync().ConfigureAwait(false);
            }
            catch
            {
                Backout?.Invoke();
                throw;
            }

            // Kestrel drops writes to a client that has gone rather than failing them: it is asked.
            if (httpContext.RequestAborted.IsCancellationRequested)
            {
                Backout?.Invoke();
                return;
            }

            Commit?.Invoke();
        }
    }
}
