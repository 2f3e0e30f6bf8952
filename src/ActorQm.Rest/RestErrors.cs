using System.Text.Json;
using ActorQm.Messages;
using ActorQm.Tls;
using Microsoft.AspNetCore.Http;

namespace ActorQm.Rest;

/// <summary>MQ's REST error body: <c>{"error":[{type, msgId, message, explanation, action, completionCode, reasonCode}]}</c> (docs/rest.md).</summary>
internal static class RestErrors
{
    /// <summary>The connection's client certificate did not pass (or none came): 401 without a certificate or with a bad one, 403 when filtered out.</summary>
    public static Task Refused(HttpContext http, RestPeer? peer)
    {
        var failure = peer?.Failure;
        var status = failure?.Step == HandshakeStep.PeerFilter ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        var reason = failure?.Reason ?? MqReason.NotAuthorized;
        var message = failure is null
            ? "MQWB0104E: The REST API request was not authenticated: no client certificate was verified on this connection."
            : $"MQWB0104E: The REST API request was not authenticated: {failure.AmqCode} at {failure.Step} (the queue manager's log says why).";
        return Write(http, status, "MQWB0104E", message, "Send a client certificate the queue manager trusts, not revoked, whose subject the REST API's SSLPEER filter accepts, with exactly one CN.", reason);
    }

    /// <summary>An MQ reason from the queue manager, with the status MQ's mqweb gives it (2035 403, 2085 404, otherwise 500).</summary>
    public static Task Mq(HttpContext http, MqReason reason, string detail, string what)
    {
        var (status, id) = reason switch
        {
            MqReason.NotAuthorized => (StatusCodes.Status403Forbidden, "MQWB0103E"),
            MqReason.UnknownObjectName or MqReason.UnknownRemoteQMgr => (StatusCodes.Status404NotFound, "MQWB0004E"),
            _ => (StatusCodes.Status500InternalServerError, "MQWB0004E"),
        };
        var name = MqReasonInfo.All.FirstOrDefault(i => i.Reason == reason)?.Name ?? reason.ToString();
        return Write(http, status, id, $"{id}: {what} failed with reason code {(int)reason} ({name}): {detail}", "See docs/messages.md for the reason code.", reason);
    }

    public static Task Write(HttpContext http, int status, string id, string message, string action, MqReason? reason = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        var error = new Dictionary<string, object>
        {
            ["type"] = reason is null ? "rest" : "pcf",
            ["msgId"] = id,
            ["message"] = message,
            ["explanation"] = message,
            ["action"] = action,
        };
        if (reason is { } r)
        {
            error["completionCode"] = 2;
            error["reasonCode"] = (int)r;
        }

        return http.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["error"] = new[] { error } }));
    }
}
