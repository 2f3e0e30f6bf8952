using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tests.CrashHost;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Store;

/// <summary>
/// A queue manager in a real child process is killed with SIGKILL; the journal it leaves is
/// opened again here and must hold every acknowledged persistent message and no acknowledged get.
/// </summary>
public sealed class CrashRecoverySpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output = output;

    private const int Workers = 4;

    private string JournalPath => _dir.File("CRASH.QM.db");

    private Task<List<MqMessage>> Recover()
    {
        var settings = TestMessages.Settings(CrashPayload.QMgr, _dir.Path);
        return JournalBrowse.AllAsync(Sys, settings with { Store = settings.Store with { Path = JournalPath } }, CrashPayload.Queue);
    }

    [Fact]
    public async Task Journal_must_hold_all_10000_acknowledged_messages_byte_identical_in_priority_order_after_SIGKILL()
    {
        const int count = 10_000;
        using (var host = new ChildProcess("ActorQm.Tests.CrashHost.dll", JournalPath, "put", count.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var lines = host.ReadUntil(l => l == "DONE", TimeSpan.FromMinutes(3));
            Assert.Equal(count, lines.Count(l => l.StartsWith("PUT ", StringComparison.Ordinal)));
            host.KillHard();
        }

        var recovered = await Recover();

        Assert.Equal(count, recovered.Count);
        var indexes = recovered.Select(CrashPayload.IndexOf).ToList();
        var expectedOrder = Enumerable.Range(0, count).OrderByDescending(i => i % 3).ThenBy(i => i).ToList();
        Assert.Equal(expectedOrder, indexes);
        foreach (var m in recovered)
        {
            var i = CrashPayload.IndexOf(m);
            Assert.True(m.Payload.Span.SequenceEqual(CrashPayload.Bytes(i)), $"message {i} differs after recovery");
            Assert.Equal(i % 3, m.Descriptor.Priority);
            Assert.Equal(Persistence.Persistent, m.Descriptor.Persistence);
        }
    }

    [Fact]
    public async Task Journal_must_keep_acknowledged_puts_and_drop_acknowledged_gets_when_killed_mid_stream()
    {
        var lines = new List<string>();
        using (var host = new ChildProcess("ActorQm.Tests.CrashHost.dll", JournalPath, "churn", Workers.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            host.ReadUntil(l => l.StartsWith("PUT 600", StringComparison.Ordinal), TimeSpan.FromMinutes(2), lines);
            host.KillHard();
            host.Drain(lines);
        }

        var put = lines.Where(l => l.StartsWith("PUT ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var got = lines.Where(l => l.StartsWith("GOT ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var recovered = (await Recover()).Select(CrashPayload.IndexOf).ToList();
        _output.WriteLine($"acknowledged puts {put.Count}, acknowledged gets {got.Count}, recovered {recovered.Count}");

        Assert.True(got.Count > 100, "the host consumed too little before the kill to test anything");

        // A get that was durable but killed before it printed took a message legitimately: at most one per worker.
        var vanished = put.Except(got).Except(recovered).ToList();
        _output.WriteLine($"consumed by gets in flight at the kill: {string.Join(", ", vanished)}");
        Assert.InRange(vanished.Count, 0, Workers);
        Assert.Empty(got.Intersect(recovered));
        Assert.Equal(recovered.Count, recovered.Distinct().Count());
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
