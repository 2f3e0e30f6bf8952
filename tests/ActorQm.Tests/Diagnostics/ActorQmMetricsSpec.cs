using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Xunit.Abstractions;

namespace ActorQm.Tests.Diagnostics;

/// <summary>
/// The meter "ActorQm" through OpenTelemetry's own SDK and in-memory exporter (docs/operations.md, "Metrics"): a channel
/// moving batches, the queues and journal behind it, an accepted handshake with its revocation source and a refused one
/// with the step and AMQ code that decided. Measured alone: handshake counts have no queue manager attribute.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(MeasuredAlone.Name)]
public sealed class ActorQmMetricsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<Metric> _exported = [];

    [Fact]
    public async Task Metrics_must_report_queues_channels_batches_the_journal_and_each_handshake_with_its_deciding_step()
    {
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(ActorQmTelemetry.MeterName).AddInMemoryExporter(_exported).Build();
        File.WriteAllBytes(_dir.File("ca.crl"), TestPki.Crl(TestPki.Shared.Ca, []));
        File.WriteAllBytes(_dir.File("root.crl"), TestPki.Crl(TestPki.Shared.Root, []));
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "NPMSPEED(NORMAL)",
            qm2Hocon: $"tls.crl-files = [\"{_dir.File("ca.crl")}\", \"{_dir.File("root.crl")}\"]");
        // A peer whose certificate no trusted CA issued: refused by QM2's listener at chain validation, AMQ9633E.
        await Stranger(pair.Port);
        for (var i = 0; i < 20; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"m{i}", Persistence.Persistent));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(20, (await pair.Status(pair.Qm2.Actor))!.LastSeq), TimeSpan.FromSeconds(20));
        await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(5) });

        await AwaitAssertAsync(() =>
        {
            _exported.Clear();
            meters.ForceFlush();
            Assert.Equal(19, Sum("actorqm.queue.depth", ("actorqm.qmgr", "QM2"), ("actorqm.queue", "APP.IN")));
            Assert.Equal(20, Sum("actorqm.queue.messages.put", ("actorqm.qmgr", "QM2"), ("actorqm.queue", "APP.IN")));
            Assert.Equal(1, Sum("actorqm.queue.messages.got", ("actorqm.qmgr", "QM2"), ("actorqm.queue", "APP.IN")));
            Assert.Equal(20, Sum("actorqm.channel.messages", ("actorqm.qmgr", "QM1"), ("actorqm.channel", QueueManagerPair.Channel)));
            Assert.Equal(1, Sum("actorqm.channel.instances", ("actorqm.qmgr", "QM1"), ("actorqm.channel", QueueManagerPair.Channel), ("actorqm.channel.state", "RUNNING")));
            Assert.InRange(Count("actorqm.channel.batch.duration", ("actorqm.qmgr", "QM1"), ("actorqm.channel", QueueManagerPair.Channel)), 1, 20);
            Assert.True(Count("actorqm.journal.commit.duration") > 0);
            Assert.True(Sum("actorqm.handshakes", ("actorqm.handshake.role", "responder"), ("actorqm.handshake.outcome", "accepted"), ("actorqm.handshake.step", "peer_filter")) >= 1);
            Assert.True(Sum("actorqm.revocation.checks", ("actorqm.revocation.source", "crl_file"), ("actorqm.revocation.status", "good")) >= 1);
            Assert.Equal(1, Sum("actorqm.handshakes", ("actorqm.handshake.outcome", "refused"), ("actorqm.handshake.step", "chain_validation"), ("actorqm.amq_code", "AMQ9633E")));
            Assert.True(Count("actorqm.handshake.step.duration", ("actorqm.handshake.step", "chain_validation")) >= 2);
        }, TimeSpan.FromSeconds(10));

        // A counter never goes back: the messages of an instance that ended still count, and the next one's add to them.
        await pair.Conn1.RunMqscAsync($"STOP CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(ActorQm.Channels.ChannelState.Stopped, (await pair.Status(pair.Qm1.Actor))?.State), TimeSpan.FromSeconds(10));
        await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text("after", Persistence.Persistent));
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        await AwaitAssertAsync(async () => Assert.Equal(21, (await pair.Status(pair.Qm2.Actor))!.LastSeq), TimeSpan.FromSeconds(20));
        await AwaitAssertAsync(() =>
        {
            _exported.Clear();
            meters.ForceFlush();
            Assert.Equal(21, Sum("actorqm.channel.messages", ("actorqm.qmgr", "QM1"), ("actorqm.channel", QueueManagerPair.Channel)));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Metrics_must_count_dead_letters_by_destination_and_reason_channel_retries_and_revocation_cache_lookups()
    {
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(ActorQmTelemetry.MeterName).AddInMemoryExporter(_exported).Build();
        var nowhere = Loopback.FreePort();
        // APP.IN holds one message: the next two are dead-lettered by QM2's receiver, MQRC 2053 (queue full), once committed.
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "NPMSPEED(NORMAL)", qm2Extra: "ALTER QLOCAL('APP.IN') MAXDEPTH(1)",
            qm1Extra: $"""
                DEFINE QLOCAL('NOWHERE.XMITQ') USAGE(XMITQ)
                DEFINE CHANNEL('NOWHERE') CHLTYPE(SDR) CONNAME('127.0.0.1({nowhere})') XMITQ('NOWHERE.XMITQ') SSLCIPH(TLS_AES_128_GCM_SHA256) SHORTRTY(3) SHORTTMR(1) LONGRTY(0)
                """);
        for (var i = 0; i < 3; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"m{i}", Persistence.Persistent));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        await pair.Conn1.RunMqscAsync("START CHANNEL('NOWHERE')");
        // The CRL cache: a first lookup fetches, the second is answered from the cache, a re-check asks again.
        var crls = new ActorQm.Tls.CrlCache();
        var crl = TestPki.Crl(TestPki.Shared.Ca, []);
        foreach (var fresh in new[] { false, false, true })
        {
            await crls.GetAsync("crl-under-test", _ => Task.FromResult<byte[]?>(crl), _ => null, TimeSpan.FromSeconds(5), CancellationToken.None, fresh);
        }

        await AwaitAssertAsync(() =>
        {
            _exported.Clear();
            meters.ForceFlush();
            Assert.Equal(2, Sum("actorqm.queue.messages.dead_lettered", ("actorqm.qmgr", "QM2"), ("actorqm.queue", "APP.IN"), ("actorqm.mqrc", 2053)));
            Assert.True(Sum("actorqm.channel.retries", ("actorqm.qmgr", "QM1"), ("actorqm.channel", "NOWHERE"), ("actorqm.channel.retry", "short")) >= 2);
            Assert.Equal(0, Sum("actorqm.channel.retries", ("actorqm.channel", QueueManagerPair.Channel)));
            Assert.Equal((1, 1, 1), (Sum("actorqm.revocation.cache.lookups", ("actorqm.revocation.cache", "crl"), ("actorqm.revocation.cache.result", "miss")),
                Sum("actorqm.revocation.cache.lookups", ("actorqm.revocation.cache", "crl"), ("actorqm.revocation.cache.result", "hit")),
                Sum("actorqm.revocation.cache.lookups", ("actorqm.revocation.cache", "crl"), ("actorqm.revocation.cache.result", "bypass"))));
        }, TimeSpan.FromSeconds(20));
    }

    private static async Task Stranger(int port)
    {
        var stranger = TestPki.Leaf(TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA"), "CN=QM1,O=Example").WithKey();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        // The refusal (a TLS alert, or after TLS 1.3's handshake a status frame and the close) is read to the end.
        await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "QM2", ClientCertificates = [stranger],
            });
            await tls.CopyToAsync(Stream.Null);
        });
    }

    /// <summary>The sum (counters, gauges) of the points whose attributes include all of <paramref name="tags"/>.</summary>
    private long Sum(string name, params (string Key, object Value)[] tags) =>
        Points(name, tags).Sum(p => p.Metric.MetricType is MetricType.LongSum or MetricType.LongSumNonMonotonic ? p.Point.GetSumLong() : p.Point.GetGaugeLastValueLong());

    /// <summary>How many values a histogram recorded over the points whose attributes include all of <paramref name="tags"/>.</summary>
    private long Count(string name, params (string Key, object Value)[] tags) => Points(name, tags).Sum(p => p.Point.GetHistogramCount());

    private List<(Metric Metric, MetricPoint Point)> Points(string name, (string Key, object Value)[] tags)
    {
        var found = new List<(Metric, MetricPoint)>();
        foreach (var metric in _exported.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var attributes = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    attributes[tag.Key] = tag.Value;
                }

                if (tags.All(t => attributes.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
                {
                    found.Add((metric, point));
                }
            }
        }

        return found;
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
