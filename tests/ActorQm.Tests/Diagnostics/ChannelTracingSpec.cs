using System.Diagnostics;
using ActorQm.Diagnostics;
using ActorQm.Messages;
using ActorQm.Queues;
using ActorQm.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace ActorQm.Tests.Diagnostics;

/// <summary>The batch spans of a channel through OpenTelemetry's SDK and in-memory exporter (docs/operations.md, "Traces").</summary>
/// <remarks>
/// The channel source is process-wide and other specs run channels of the same name, so this spec runs alone: in
/// parallel it counted their batches too.
/// </remarks>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(MeasuredAlone.Name)]
public sealed class ChannelTracingSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<Activity> _spans = [];

    [Fact]
    public async Task ChannelTracing_must_give_each_batch_a_span_at_the_sender_and_one_at_the_receiver_with_its_sequence_numbers()
    {
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(ActorQmTelemetry.ChannelSourceName).AddInMemoryExporter(_spans).Build();
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "BATCHSZ(10) NPMSPEED(NORMAL)");
        for (var i = 0; i < 10; i++)
        {
            await pair.Conn1.PutAsync("APP.REMOTE", TestMessages.Text($"m{i}", Persistence.Persistent));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");
        for (var i = 0; i < 10; i++)
        {
            await pair.Conn2.GetAsync("APP.IN", new GetOptions { Wait = TimeSpan.FromSeconds(20) });
        }

        await AwaitAssertAsync(() =>
        {
            tracer.ForceFlush();
            var mine = _spans.Where(s => Equals(s.GetTagItem("actorqm.channel"), QueueManagerPair.Channel)).ToList();
            var send = Assert.Single(mine, s => s.DisplayName == "actorqm.channel.batch send");
            var receive = Assert.Single(mine, s => s.DisplayName == "actorqm.channel.batch receive");
            Assert.Equal(("QM1", 1L, 10L, 10, ActivityKind.Producer, ActivityStatusCode.Unset), (send.GetTagItem("actorqm.qmgr"), send.GetTagItem("actorqm.batch.first_seq"), send.GetTagItem("actorqm.batch.last_seq"), send.GetTagItem("actorqm.batch.messages"), send.Kind, send.Status));
            Assert.Equal(("QM2", 10L, ActivityKind.Consumer), (receive.GetTagItem("actorqm.qmgr"), receive.GetTagItem("actorqm.batch.last_seq"), receive.Kind));
            // The receiver commits before it confirms: its span ends inside the sender's.
            Assert.True(receive.StartTimeUtc + receive.Duration <= send.StartTimeUtc + send.Duration);
        }, TimeSpan.FromSeconds(10));
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
