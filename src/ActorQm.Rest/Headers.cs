using System.Globalization;
using ActorQm.Messages;
using ActorQm.Queues;
using Microsoft.AspNetCore.Http;

namespace ActorQm.Rest;

/// <summary>MQ's message headers (<c>ibm-mq-md-*</c>) and get parameters as the messaging REST API has them (docs/rest.md).</summary>
internal static class Headers
{
    private const string CorrelationId = "ibm-mq-md-correlationId";
    private const string Persistence = "ibm-mq-md-persistence";
    private const string Expiry = "ibm-mq-md-expiry";
    private const string ReplyTo = "ibm-mq-md-replyTo";
    private const int MaxNameLength = 48;

    /// <summary>The descriptor of a put, or null when a header's value is not valid (MQWB0302E).</summary>
    public static MessageDescriptor? Descriptor(IHeaderDictionary headers)
    {
        var descriptor = MessageDescriptor.Default with { Format = MessageFormats.String, Persistence = Messages.Persistence.NotPersistent, TraceContext = TraceContext(headers) };
        if (headers.TryGetValue(CorrelationId, out var correl))
        {
            if (Id(correl.ToString()) is not { } id)
            {
                return null;
            }

            descriptor = descriptor with { CorrelId = id };
        }

        if (headers.TryGetValue(Persistence, out var persistence))
        {
            // MQ's mqweb puts non-persistent unless told, whatever the queue's DEFPSIST.
            descriptor = persistence.ToString() switch
            {
                "persistent" => descriptor with { Persistence = Messages.Persistence.Persistent },
                "nonPersistent" => descriptor,
                _ => null,
            };
        }

        if (descriptor is not null && headers.TryGetValue(Expiry, out var expiry))
        {
            var text = expiry.ToString();
            descriptor = text == "unlimited" ? descriptor
                : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 99_999_999_900 ? descriptor with { Expiry = (int)Math.Max(1, ms / 100) }
                : null;
        }

        if (descriptor is not null && headers.TryGetValue(ReplyTo, out var replyTo))
        {
            var parts = replyTo.ToString().Split('@');
            descriptor = parts.Length <= 2 && parts[0].Length is > 0 and <= MaxNameLength && (parts.Length == 1 || parts[1].Length <= MaxNameLength)
                ? descriptor with { ReplyToQ = parts[0], ReplyToQMgr = parts.Length == 2 ? parts[1] : string.Empty }
                : null;
        }

        return descriptor;
    }

    /// <summary>The get's match and wait from <c>messageId</c>, <c>correlationId</c> and <c>wait</c>; null when one is not valid.</summary>
    public static GetOptions? Match(IQueryCollection query)
    {
        var options = new GetOptions();
        if (query.TryGetValue("messageId", out var msgId))
        {
            if (Id(msgId.ToString()) is not { } id)
            {
                return null;
            }

            options = options with { MsgId = id };
        }

        if (query.TryGetValue("correlationId", out var correlId))
        {
            if (Id(correlId.ToString()) is not { } id)
            {
                return null;
            }

            options = options with { CorrelId = id };
        }

        if (query.TryGetValue("wait", out var wait))
        {
            if (!int.TryParse(wait.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                return null;
            }

            // Bounded: a client cannot hold a get (and its connection) for longer than two minutes.
            options = options with { Wait = TimeSpan.FromMilliseconds(Math.Min(ms, 120_000)) };
        }

        return options;
    }

    /// <summary>
    /// The trace a put's message travels in (docs/operations.md, "Traces"): the request's activity when ASP.NET Core made one,
    /// else the W3C traceparent header; a malformed one is ignored, as W3C Trace Context says, not refused.
    /// </summary>
    private static System.Diagnostics.ActivityContext TraceContext(IHeaderDictionary headers) =>
        System.Diagnostics.Activity.Current is { } request ? request.Context
        : headers.TryGetValue("traceparent", out var parent) && System.Diagnostics.ActivityContext.TryParse(parent.ToString(), null, isRemote: true, out var context) ? context
        : default;

    public static void Write(IHeaderDictionary headers, MessageDescriptor d)
    {
        headers["ibm-mq-md-messageId"] = d.MsgId.ToString();
        if (!d.CorrelId.IsNone)
        {
            headers[CorrelationId] = d.CorrelId.ToString();
        }

        headers[Persistence] = d.Persistence == Messages.Persistence.Persistent ? "persistent" : "nonPersistent";
        headers[Expiry] = d.Expiry == MessageDescriptor.Unlimited ? "unlimited" : (d.Expiry * 100L).ToString(CultureInfo.InvariantCulture);
        if (d.ReplyToQ.Trim().Length > 0)
        {
            headers[ReplyTo] = d.ReplyToQMgr.Trim().Length > 0 ? $"{d.ReplyToQ.Trim()}@{d.ReplyToQMgr.Trim()}" : d.ReplyToQ.Trim();
        }
    }

    /// <summary>48 hexadecimal digits (MQ's 24-byte ids), or null.</summary>
    private static MqId? Id(string hex)
    {
        if (hex.Length != 2 * MqId.Length)
        {
            return null;
        }

        try
        {
            return MqId.FromBytes(Convert.FromHexString(hex));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
