using System.Diagnostics;

namespace ActorQm.Diagnostics;

/// <summary>
/// A span per channel batch (docs/operations.md, "Traces"): at the sender from the moment its messages are written to the
/// partner's confirm, at the receiver from the batch end to the commit that confirms it, with the channel, the queue
/// manager, the sequence numbers and the message count; a batch that ends otherwise carries the reason as an error.
/// </summary>
internal static class ChannelTracing
{
    private static readonly ActivitySource Source = new(ActorQmTelemetry.ChannelSourceName);

    /// <summary>Started, never made current: the actor's thread serves other actors next, and no other work belongs to the batch.</summary>
    public static Activity? StartBatch(string qmgr, string channel, bool sender, long firstSeq, long lastSeq, int messages)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var span = Source.StartActivity(sender ? "actorqm.channel.batch send" : "actorqm.channel.batch receive", sender ? ActivityKind.Producer : ActivityKind.Consumer);
        Activity.Current = previous;
        span?.SetTag("actorqm.qmgr", qmgr);
        span?.SetTag("actorqm.channel", channel);
        span?.SetTag("actorqm.batch.first_seq", firstSeq);
        span?.SetTag("actorqm.batch.last_seq", lastSeq);
        span?.SetTag("actorqm.batch.messages", messages);
        return span;
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
