using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ActorQm.Diagnostics;

/// <summary>
/// The names under which ActorQm reports to OpenTelemetry: listen with <c>AddMeter(ActorQmTelemetry.MeterName)</c> and
/// <c>AddSource(ActorQmTelemetry.ActivitySourceName)</c> (docs/operations.md, "Metrics").
/// </summary>
public static class ActorQmTelemetry
{
    /// <summary>The meter of every ActorQm instrument.</summary>
    public const string MeterName = "ActorQm";

    /// <summary>The activity source of the handshake spans.</summary>
    public const string ActivitySourceName = "ActorQm.Tls";

    /// <summary>The activity source of the channel batch spans.</summary>
    public const string ChannelSourceName = "ActorQm.Channels";
}

/// <summary>What a queue manager reports of one local queue when metrics are collected.</summary>
internal readonly record struct QueueFigures(string Queue, long Depth, long Uncommitted, long Put, long Got, long Expired);

/// <summary>What a queue manager reports of one channel when metrics are collected: its instances added up (a SVRCONN has one per client), with how many are in each state.</summary>
internal sealed record ChannelFigures(string Channel, string Type, long Messages, long Batches, long BytesSent, long BytesReceived, long InDoubt, IReadOnlyDictionary<string, int> States);

/// <summary>
/// ActorQm's instruments (docs/operations.md, "Metrics"), named in OpenTelemetry's style. Queue and channel figures are
/// read from each running queue manager only when a listener collects them (observable instruments), so the message
/// path pays nothing per message; events that happen a few times per batch or connection are recorded as they happen.
/// </summary>
internal static class ActorQmMetrics
{
    private static readonly Meter Meter = new(ActorQmTelemetry.MeterName, typeof(ActorQmMetrics).Assembly.GetName().Version?.ToString(3));
    private static readonly ConcurrentDictionary<string, Source> Sources = new(StringComparer.Ordinal);

    /// <summary>Time from a batch's first message sent to the partner's confirm, per sending channel.</summary>
    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>("actorqm.channel.batch.duration", "s", "Time from a batch's first message to the partner's confirm");

    /// <summary>Messages in each confirmed batch.</summary>
    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>("actorqm.channel.batch.size", "{message}", "Messages in each confirmed batch");

    /// <summary>Handshakes ended, by role, outcome, the step that decided and the AMQ code of a refusal.</summary>
    public static readonly Counter<long> Handshakes = Meter.CreateCounter<long>("actorqm.handshakes", "{handshake}", "TLS handshakes ended, by outcome and the step that decided");

    /// <summary>Time spent in each handshake step.</summary>
    public static readonly Histogram<double> HandshakeStepDuration = Meter.CreateHistogram<double>("actorqm.handshake.step.duration", "s", "Time spent in each step of the handshake");

    /// <summary>Revocation checks of a peer's chain, by the source that answered and its answer.</summary>
    public static readonly Counter<long> RevocationChecks = Meter.CreateCounter<long>("actorqm.revocation.checks", "{check}", "Revocation checks by source (ocsp, ocsp_stapled, crl_http, crl_ldap, crl_file, none) and status");

    /// <summary>Time the revocation step took, by source.</summary>
    public static readonly Histogram<double> RevocationDuration = Meter.CreateHistogram<double>("actorqm.revocation.check.duration", "s", "Time of the revocation step of a handshake, by source");

    /// <summary>Messages put to the dead-letter queue instead of their destination, by the destination and the reason.</summary>
    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("actorqm.queue.messages.dead_lettered", "{message}", "Messages put to the dead-letter queue instead of the destination queue, by reason (MQRC)");

    /// <summary>Attempts of a sending channel to start again after it failed (SHORTRTY/LONGRTY), by kind.</summary>
    public static readonly Counter<long> ChannelRetries = Meter.CreateCounter<long>("actorqm.channel.retries", "{retry}", "Retries scheduled by a sending channel after a failure, short (SHORTRTY) or long (LONGRTY)");

    /// <summary>Time of each journal transaction (its sync included).</summary>
    public static readonly Histogram<double> JournalCommitDuration = Meter.CreateHistogram<double>("actorqm.journal.commit.duration", "s", "Time of each journal transaction, its sync included");

    /// <summary>Operations in each journal transaction: how many writes share one sync.</summary>
    public static readonly Histogram<long> JournalCommitSize = Meter.CreateHistogram<long>("actorqm.journal.commit.size", "{operation}", "Journal operations committed in one transaction");

    static ActorQmMetrics()
    {
        Meter.CreateObservableGauge("actorqm.queue.depth", () => Queues(q => q.Depth), "{message}", "Messages on the queue (CURDEPTH)");
        Meter.CreateObservableGauge("actorqm.queue.uncommitted", () => Queues(q => q.Uncommitted), "{message}", "Messages got under syncpoint or sent ahead and not yet committed (UNCOM)");
        Meter.CreateObservableCounter("actorqm.queue.messages.put", () => Queues(q => q.Put), "{message}", "Messages that became available on the queue");
        Meter.CreateObservableCounter("actorqm.queue.messages.got", () => Queues(q => q.Got), "{message}", "Messages removed from the queue by a committed get");
        Meter.CreateObservableCounter("actorqm.queue.messages.expired", () => Queues(q => q.Expired), "{message}", "Messages removed because their expiry passed");
        Meter.CreateObservableGauge("actorqm.channel.instances", ChannelStates, "{instance}", "Channel instances by state (STATUS)");
        Meter.CreateObservableCounter("actorqm.channel.messages", () => Channels(c => c.Messages), "{message}", "Messages moved by the channel instance (MSGS)");
        Meter.CreateObservableCounter("actorqm.channel.batches", () => Channels(c => c.Batches), "{batch}", "Batches completed by the channel instance (BATCHES)");
        Meter.CreateObservableCounter("actorqm.channel.bytes.sent", () => Channels(c => c.BytesSent), "By", "Bytes sent by the channel instance (BYTSSENT)");
        Meter.CreateObservableCounter("actorqm.channel.bytes.received", () => Channels(c => c.BytesReceived), "By", "Bytes received by the channel instance (BYTSRCVD)");
        Meter.CreateObservableGauge("actorqm.channel.in_doubt", () => Channels(c => c.InDoubt), "{instance}", "Channel instances with a batch in doubt (INDOUBT)");
    }

    /// <summary>A running queue manager's figures, read on collection; disposing the result withdraws them.</summary>
    public static IDisposable Register(string qmgr, Func<IReadOnlyList<QueueFigures>> queues, Func<IReadOnlyList<ChannelFigures>> channels)
    {
        var source = new Source(qmgr, queues, channels);
        Sources[qmgr] = source;
        return source;
    }

    /// <summary>
    /// Counts a message put to the dead-letter queue: <paramref name="queue"/> is the destination that did not take it, named
    /// only when it <paramref name="resolved"/> to an object here; otherwise "(unresolved)", because the name came from
    /// whoever sent the message and a partner naming a million queues must not make a million series.
    /// </summary>
    public static void RecordDeadLettered(string qmgr, string queue, bool resolved, int reason) =>
        DeadLettered.Add(1, new KeyValuePair<string, object?>("actorqm.qmgr", qmgr), new KeyValuePair<string, object?>("actorqm.queue", resolved ? queue : "(unresolved)"),
            new KeyValuePair<string, object?>("actorqm.mqrc", reason));

    /// <summary>The source of a revocation answer as a metric attribute (its text names the location, which would make one series per URL).</summary>
    public static string SourceKind(string source) => source switch
    {
        _ when source.StartsWith("OCSP", StringComparison.Ordinal) => source.Contains("stapl", StringComparison.OrdinalIgnoreCase) ? "ocsp_stapled" : "ocsp",
        _ when source.StartsWith("CRL http", StringComparison.Ordinal) => "crl_http",
        _ when source.StartsWith("CRL ldap", StringComparison.Ordinal) => "crl_ldap",
        _ when source.StartsWith("CRL", StringComparison.Ordinal) => "crl_file",
        _ => "none",
    };

    private static IEnumerable<Measurement<long>> Queues(Func<QueueFigures, long> value)
    {
        foreach (var source in Sources.Values)
        {
            foreach (var q in source.Queues())
            {
                yield return new Measurement<long>(value(q), new KeyValuePair<string, object?>("actorqm.qmgr", source.QMgr), new KeyValuePair<string, object?>("actorqm.queue", q.Queue));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Channels(Func<ChannelFigures, long> value)
    {
        foreach (var source in Sources.Values)
        {
            foreach (var c in source.Channels())
            {
                yield return new Measurement<long>(value(c), ChannelTags(source.QMgr, c));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ChannelStates()
    {
        foreach (var source in Sources.Values)
        {
            foreach (var c in source.Channels())
            {
                foreach (var (state, count) in c.States)
                {
                    var tags = ChannelTags(source.QMgr, c);
                    tags.Add("actorqm.channel.state", state);
                    yield return new Measurement<int>(count, tags);
                }
            }
        }
    }

    private static TagList ChannelTags(string qmgr, ChannelFigures c) => new()
    {
        { "actorqm.qmgr", qmgr },
        { "actorqm.channel", c.Channel },
        { "actorqm.channel.type", c.Type },
    };

    private sealed class Source(string qmgr, Func<IReadOnlyList<QueueFigures>> queues, Func<IReadOnlyList<ChannelFigures>> channels) : IDisposable
    {
        public string QMgr { get; } = qmgr;

        public Func<IReadOnlyList<QueueFigures>> Queues { get; } = queues;

        public Func<IReadOnlyList<ChannelFigures>> Channels { get; } = channels;

        public void Dispose() => Sources.TryRemove(new KeyValuePair<string, Source>(QMgr, this));
    }
}
