using System.Diagnostics;

namespace ActorQm.Diagnostics;

/// <summary>
/// A span per channel batch (docs/operations.md, "Traces"): at the sender from the moment its messages are written to the
/// partner's confirm, at the receiver from the batch end to the commit that confirms it, with the channel, the queue
/// manager, the sequence numbers and the message count, linked to the trace context each of its messages carries (OpenTelemetry's
/// convention for a batch: the messages' traces stay theirs, the batch points to them); a batch that ends otherwise carries
/// the reason as an error.
/// </summary>
internal static class ChannelTracing
{
    private static readonly ActivitySource Source = new(ActorQmTelemetry.ChannelSourceName);

    /// <summary>At most this many links per batch span, one per distinct message trace context (OpenTelemetry's default span limit).</summary>
    public const int MaxLinks = 128;

    /// <summary>
    /// Started, never made current: the actor's thread serves other actors next, and no other work belongs to the batch.
    /// <paramref name="xmitMessage"/> gives each message's bytes as on the transmission queue (header first), read for its
    /// trace context only when somebody listens.
    /// </summary>
    public static Activity? StartBatch<T>(string qmgr, string channel, bool sender, long firstSeq, long lastSeq, IReadOnlyList<T> messages, Func<T, ReadOnlyMemory<byte>> xmitMessage)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var span = Source.StartActivity(sender ? "actorqm.channel.batch send" : "actorqm.channel.batch receive", sender ? ActivityKind.Producer : ActivityKind.Consumer, default(ActivityContext), links: LinksOf(messages, xmitMessage));
        Activity.Current = previous;
        span?.SetTag("actorqm.qmgr", qmgr);
        span?.SetTag("actorqm.channel", channel);
        span?.SetTag("actorqm.batch.first_seq", firstSeq);
        span?.SetTag("actorqm.batch.last_seq", lastSeq);
        span?.SetTag("actorqm.batch.messages", messages.Count);
        return span;
    }

    private static List<ActivityLink>? LinksOf<T>(IReadOnlyList<T> messages, Func<T, ReadOnlyMemory<byte>> xmitMessage)
    {
        List<ActivityLink>? links = null;
        HashSet<ActivityContext>? seen = null;
        foreach (var m in messages)
        {
            var context = Messages.TransmissionHeader.TraceContextOf(xmitMessage(m).Span);
            if (context != default && (seen ??= []).Add(context))
            {
                (links ??= []).Add(new ActivityLink(context));
                if (links.Count == MaxLinks)
                {
                    break;
                }
            }
        }

        return links;
    }

    /// <summary>Ends the span: confirmed when <paramref name="error"/> is null, otherwise with the reason (an AMQ code first where there is one).</summary>
    public static void End(Activity? span, string? error = null)
    {
        if (span is null)
        {
            return;
        }

        if (error is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, error);
        }

        span.Dispose();
    }
}
