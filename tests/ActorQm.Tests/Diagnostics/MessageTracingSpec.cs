using System.Diagnostics;
using ActorQm.Client;
using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace ActorQm.Tests.Diagnostics;

/// <summary>
/// One trace per message across two queue managers (docs/operations.md, "Traces"): a client puts on QM1 inside its own
/// activity, the message crosses the QM1 -> QM2 channel, and a client of QM2 gets it; OpenTelemetry's SDK and in-memory exporter.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MessageTracingSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const string ClientChannel = "APP.SVRCONN";
    private readonly TempDirectory _dir = new();
    private readonly List<Activity> _spans = [];

    [Fact]
    public async Task Message_must_carry_the_trace_of_its_put_through_the_channel_to_the_get_on_the_other_queue_manager()
    {
        using var application = new ActivitySource("MessageTracingSpec");
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(application.Name, MqClient.ActivitySourceName, ActorQmTelemetry.ChannelSourceName)
            .AddInMemoryExporter(_spans).Build();
        var clientSide = $"""
            DEFINE CHANNEL('{ClientChannel}') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP1,O=Example') MCAUSER('app')
            {TestGrants.App()}
            """;
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "BATCHSZ(10)",
            qm1Extra: clientSide + "\nDEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)", qm2Extra: clientSide);
        await using var producer = await MqClient.ConnectAsync(Options("QM1", await QueueManagerPair.ListenerPort(pair.Qm1.Actor)));
        await using var consumer = await MqClient.ConnectAsync(Options("QM2", pair.Port));

        // Three messages, each put in its own application activity: two persistent (in a batch), one non-persistent (FAST,
        // outside batches); and one whose application set a trace context of its own.
        var output = await producer.OpenAsync("APP.REMOTE", ClientOpenPurpose.Output);
        var orders = new List<Activity>();
        foreach (var persistence in new[] { Persistence.Persistent, Persistence.Persistent, Persistence.NotPersistent })
        {
            using var order = application.StartActivity("order")!;
            await output.PutAsync(TestMessages.Text(order.TraceId.ToString(), persistence));
            orders.Add(order);
        }

        var own = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        await output.PutAsync(TestMessages.Text(own.TraceId.ToString(), Persistence.Persistent) is var m ? m with { Descriptor = m.Descriptor with { TraceContext = own } } : m);
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        var input = await consumer.OpenAsync("APP.IN", ClientOpenPurpose.Input);
        var got = new List<MqMessage>();
        for (var i = 0; i < 4; i++)
        {
            got.Add(await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(20) }));
        }

        await AwaitAssertAsync(() =>
        {
            tracer.ForceFlush();
            foreach (var order in orders)
            {
                var put = Assert.Single(_spans, s => s.DisplayName == "actorqm.client.put" && s.ParentSpanId == order.SpanId);
                var message = Assert.Single(got, g => TestMessages.Text(g) == order.TraceId.ToString());
                // The message travels in its put's span; the get on QM2 is a consumer span under it, in the same trace.
                Assert.Equal((put.TraceId, put.SpanId), (message.Descriptor.TraceContext.TraceId, message.Descriptor.TraceContext.SpanId));
                var receive = Assert.Single(_spans, s => s.DisplayName == "actorqm.client.receive" && s.ParentSpanId == put.SpanId);
                Assert.Equal((order.TraceId, ActivityKind.Consumer, "QM2", "APP.IN"), (receive.TraceId, receive.Kind, receive.GetTagItem("actorqm.qmgr"), receive.GetTagItem("actorqm.queue")));
            }

            // The persistent ones crossed in one batch: both batch spans link to both puts (the FAST one is in no batch).
            var puts = orders.Take(2).Select(o => _spans.Single(s => s.DisplayName == "actorqm.client.put" && s.ParentSpanId == o.SpanId).SpanId).ToHashSet();
            foreach (var name in new[] { "actorqm.channel.batch send", "actorqm.channel.batch receive" })
            {
                var linked = _spans.Where(s => s.DisplayName == name).SelectMany(s => s.Links).Select(l => l.Context.SpanId).ToHashSet();
                Assert.Superset(puts, linked);
                Assert.Contains(own.SpanId, linked);
                Assert.DoesNotContain(_spans.Single(s => s.DisplayName == "actorqm.client.put" && s.ParentSpanId == orders[2].SpanId).SpanId, linked);
            }

            // A context the application set is kept, not replaced by the put's span.
            var mine = Assert.Single(got, g => TestMessages.Text(g) == own.TraceId.ToString());
            Assert.Equal((own.TraceId, own.SpanId), (mine.Descriptor.TraceContext.TraceId, mine.Descriptor.TraceContext.SpanId));
            Assert.Single(_spans, s => s.DisplayName == "actorqm.client.receive" && s.TraceId == own.TraceId && s.ParentSpanId == own.SpanId);
        }, TimeSpan.FromSeconds(10));
    }

    private MqClientOptions Options(string qmgr, int port)
    {
        var folder = "client-" + qmgr;
        if (!Directory.Exists(_dir.File(folder)))
        {
            QueueManagerPair.KeyRepository(_dir, folder, "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        }

        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = ClientChannel, QueueManager = qmgr, KeyRepository = _dir.File(folder), CertificateLabel = "app",
            CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = $"CN={qmgr}*", ApplicationName = "tracing-spec",
        };
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
