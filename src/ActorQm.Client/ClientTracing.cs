using System.Diagnostics;
using ActorQm.Messages;
using ActorQm.Protocol;

namespace ActorQm.Client;

/// <summary>
/// The client's spans (docs/operations.md, "Traces"): one per MQI call in the application's trace, the message's trace
/// context set at put, and a receive span in the message's own trace when the application gets it, so one trace follows a
/// message from its put, through transmission queues and channels, to its get on another queue manager.
/// </summary>
internal static class ClientTracing
{
    private static readonly ActivitySource Source = new(MqClient.ActivitySourceName);

    /// <summary>A span for one MQI call, a child of the application's current activity, e.g. <c>actorqm.client.put</c> (a producer span for puts).</summary>
    public static Activity? StartCall(ClientOp op, MqClient client)
    {
        var kind = op is ClientOp.Put or ClientOp.Put1 ? ActivityKind.Producer : ActivityKind.Client;
        var span = Source.StartActivity($"actorqm.client.{op.ToString().ToLowerInvariant()}", kind);
        span?.SetTag("actorqm.qmgr", client.QueueManagerName);
        span?.SetTag("actorqm.channel", client.ChannelName);
        return span;
    }

    /// <summary>
    /// The message as it is put: in the trace of its put span, or of the application's current activity when nobody listens
    /// to the client's source; a trace context the application set itself is kept (it propagates its own).
    /// </summary>
    public static MqMessage Traced(MqMessage message, Activity? putSpan)
    {
        if (message.Descriptor.TraceContext != default || (putSpan ?? Activity.Current) is not { } parent)
        {
            return message;
        }

        return message with { Descriptor = message.Descriptor with { TraceContext = parent.Context } };
    }

    /// <summary>
    /// A consumer span in the trace the message carries, from when the application asked for it to now, linked to the
    /// application's current activity (whose trace the get call's own span is in); nothing for an untraced message.
    /// </summary>
    public static void Received(MqMessage message, DateTime askedAt, MqClient client, string queue)
    {
        var context = message.Descriptor.TraceContext;
        if (context == default || !Source.HasListeners())
        {
            return;
        }

        var links = Activity.Current is { } caller ? new[] { new ActivityLink(caller.Context) } : null;
        using var span = Source.StartActivity("actorqm.client.receive", ActivityKind.Consumer, context, links: links, startTime: askedAt);
        span?.SetTag("actorqm.qmgr", client.QueueManagerName);
        span?.SetTag("actorqm.channel", client.ChannelName);
        span?.SetTag("actorqm.queue", queue);
    }
}
