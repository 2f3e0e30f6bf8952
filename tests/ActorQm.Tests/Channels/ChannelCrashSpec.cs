using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Two real <c>actorqm start</c> processes joined by a TLS channel; one of them is killed with
/// SIGKILL in the middle of a stream of persistent messages and started again. Afterwards every
/// message is on the target queue exactly once (by MsgId and payload) and in order per priority.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChannelCrashSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const int Count = 5000;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Receiver_killed_mid_stream_and_restarted_must_end_with_every_message_exactly_once()
    {
        await Run(killReceiver: true);
    }

    [Fact]
    public async Task Sender_killed_mid_stream_and_restarted_must_end_with_every_message_exactly_once()
    {
        await Run(killReceiver: false);
    }

    private async Task Run(bool killReceiver)
    {
        var port = Loopback.FreePort();
        var pair = await ProcessPair.PrepareAsync(Sys, _dir, Count, port, port);
        var qm2 = pair.Start("QM2");
        var qm1 = pair.Start("QM1");
        try
        {
            var threshold = new Random(PersistentStream.Seed(_output.WriteLine)).Next(Count / 10, Count / 2);
            await PersistentStream.WaitFor(() => pair.Delivered >= threshold, TimeSpan.FromMinutes(2), $"{threshold} messages delivered");
            var seen = pair.Delivered;
            if (killReceiver)
            {
                qm2.KillHard();
                qm2.Dispose();
                qm2 = pair.Start("QM2");
            }
            else
            {
                qm1.KillHard();
                qm1.Dispose();
                qm1 = pair.Start("QM1");
            }

            _output.WriteLine($"killed the {(killReceiver ? "QM2" : "QM1")} process after {seen} of {Count} messages had arrived");
            await PersistentStream.WaitFor(() => pair.OnTransmissionQueue == 0 && pair.Delivered >= Count, TimeSpan.FromMinutes(2), "every message delivered");
            await PersistentStream.Holds(() => pair.Delivered == Count, TimeSpan.FromMilliseconds(500), "no late duplicate arrives");
        }
        finally
        {
            ProcessPair.Stop(qm1, qm2);
        }

        PersistentStream.AssertExactlyOnceInOrder(await pair.BrowseDeliveredAsync(Sys), Count);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
