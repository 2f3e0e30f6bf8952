using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Pipelining (docs/protocol.md, "Pipelining") between two real <c>actorqm start</c> processes: the receiver's answers are
/// held back by a proxy, so the sender fills its pipeline with batches that the receiver has all committed and none of
/// which is confirmed. Then the sender is killed, the receiver is killed, or the connection is cut, and afterwards every
/// message is on the target queue exactly once, in order: an in-doubt record that held only the newest batch would have
/// the older ones sent again.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PipelineSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const int Count = 1000;
    private const int BatchSize = 50;
    private const int Pipeline = 3;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Sender_killed_with_a_full_pipeline_committed_but_unconfirmed_must_deliver_every_message_exactly_once()
    {
        await Run(Fault.KillSender);
    }

    [Fact]
    public async Task Receiver_killed_after_committing_a_full_pipeline_unconfirmed_must_deliver_every_message_exactly_once()
    {
        await Run(Fault.KillReceiver);
    }

    [Fact]
    public async Task Connection_cut_with_a_full_pipeline_committed_but_unconfirmed_must_deliver_every_message_exactly_once()
    {
        await Run(Fault.Cut);
    }

    private async Task Run(Fault fault)
    {
        var listener = Loopback.FreePort();
        using var proxy = new FaultProxy(listener);

        // At most about 1 MB/s towards the receiver (a few thousand of these small messages a second): the depth polled below
        // moves in small steps even on a fast machine, so the replies are held while the stream is still well short of its end.
        proxy.PaceCalls(1024);
        var pair = await ProcessPair.PrepareAsync(Sys, _dir, Count, listener, proxy.Port, $"channels.pipeline-length = {Pipeline}");
        var qm2 = pair.Start("QM2");
        var qm1 = pair.Start("QM1");
        try
        {
            var at = new Random(PersistentStream.Seed(_output.WriteLine)).Next(Count / 10, Count / 2);
            await PersistentStream.WaitFor(() => pair.Delivered >= at, TimeSpan.FromMinutes(2), $"{at} messages delivered");
            proxy.HoldReplies();

            // Within the confirm wait (twice HBINT(2)): a full pipeline of batches is committed at the receiver and still on
            // the sender's transmission queue, unconfirmed, and stays so (a confirm read before the hold can still arrive
            // and let one more batch go: the wait starts again then).
            bool Full() => pair.Delivered + pair.OnTransmissionQueue - Count == Pipeline * BatchSize;
            await Steady(Full, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(3.5), $"{Pipeline} batches committed at the receiver and unconfirmed at the sender",
                () => $"{pair.Delivered} delivered, {pair.OnTransmissionQueue} on the transmission queue, the sender's record {pair.Sync("QM1.db")}");
            _output.WriteLine($"{fault} with {Pipeline * BatchSize} messages committed at the receiver and unconfirmed; the sender's record (last, in doubt to, keys): {pair.Sync("QM1.db")}");

            switch (fault)
            {
                case Fault.KillSender:
                    qm1.KillHard();
                    qm1.Dispose();
                    proxy.ResumeReplies();
                    qm1 = pair.Start("QM1");
                    break;
                case Fault.KillReceiver:
                    qm2.KillHard();
                    qm2.Dispose();
                    proxy.CutAll();
                    proxy.ResumeReplies();
                    qm2 = pair.Start("QM2");
                    break;
                default:
                    proxy.CutAll();
                    proxy.ResumeReplies();
                    break;
            }

            await PersistentStream.WaitFor(() => pair.OnTransmissionQueue == 0 && pair.Delivered >= Count, TimeSpan.FromMinutes(2), "every message delivered");
            await PersistentStream.Holds(() => pair.Delivered == Count, TimeSpan.FromMilliseconds(500), "no late duplicate arrives");
        }
        finally
        {
            ProcessPair.Stop(qm1, qm2);
        }

        PersistentStream.AssertExactlyOnceInOrder(await pair.BrowseDeliveredAsync(Sys), Count);
        Assert.Equal((0L, 0), (pair.Sync("QM1.db")!.Value.InDoubtSeq, pair.Sync("QM1.db")!.Value.InDoubtMessages));
    }

    /// <summary>Until <paramref name="condition"/> has held for <paramref name="quiet"/> without a break, within <paramref name="timeout"/>.</summary>
    private static async Task Steady(Func<bool> condition, TimeSpan quiet, TimeSpan timeout, string what, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        var since = (DateTime?)null;
        while (since is null || DateTime.UtcNow - since < quiet)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for: {what} ({describe()})");
            }

            since = condition() ? since ?? DateTime.UtcNow : null;
            await Task.Delay(10);
        }
    }

    private enum Fault
    {
        KillSender,
        KillReceiver,
        Cut,
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
