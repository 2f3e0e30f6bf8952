using System.Globalization;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// Chaos on a stream of persistent messages QM1 -> QM2 over a TLS channel between two real
/// <c>actorqm start</c> processes, through a proxy that can cut or stall the connection: each round, at
/// a random point, SIGKILLs the sender, SIGKILLs the receiver, cuts the connection mid-batch or stalls
/// it (nothing passes, not even the close, until both ends give up on it by their heartbeat rules). After
/// every round no message is on QM2 twice; at the end every message is there exactly once, in order
/// per priority. A short run is part of the suite; <c>scripts/chaos.sh</c> runs 20 rounds
/// (ACTORQM_CHAOS_ROUNDS, ACTORQM_CHAOS_MESSAGES, ACTORQM_CHAOS_SEED; ACTORQM_CHAOS_REPORT gets the figures).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChaosSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task Chaos_rounds_of_kills_and_cut_connections_must_lose_and_duplicate_nothing()
    {
        var rounds = Setting("ACTORQM_CHAOS_ROUNDS", 4);
        var count = Setting("ACTORQM_CHAOS_MESSAGES", 3000);
        var seed = Setting("ACTORQM_CHAOS_SEED", Environment.TickCount & 0x7fffffff);
        var random = new Random(seed);
        Output!.WriteLine($"chaos: {rounds} rounds over {count} persistent messages, seed {seed}");

        var listener = Loopback.FreePort();
        using var proxy = new FaultProxy(listener);
        var pair = await ProcessPair.PrepareAsync(Sys, _dir, count, listener, proxy.Port);
        var qm2 = pair.Start("QM2");
        var qm1 = pair.Start("QM1");
        string[] kinds = ["SIGKILL sender", "SIGKILL receiver", "connection cut", "connection stall"];
        var faults = kinds.ToDictionary(k => k, _ => 0);
        // Every kind of fault once (in random order) before the rest are drawn at random.
        var firsts = Enumerable.Range(0, kinds.Length).OrderBy(_ => random.Next()).ToArray();
        var done = 0;
        try
        {
            // Rounds are spread over the first 80 % of the stream, each at a random point of its slice.
            var slice = count * 4 / 5 / rounds;
            for (var round = 0; round < rounds; round++)
            {
                var at = Math.Min(count - 1, round * slice + random.Next(1, Math.Max(2, slice)));
                await PersistentStream.WaitFor(() => pair.Delivered >= at, TimeSpan.FromMinutes(2), $"round {round + 1}: {at} messages delivered");
                var fault = round < firsts.Length ? firsts[round] : random.Next(kinds.Length);
                switch (fault)
                {
                    case 0:
                        qm1.KillHard();
                        qm1.Dispose();
                        qm1 = pair.Start("QM1");
                        break;
                    case 1:
                        qm2.KillHard();
                        qm2.Dispose();
                        qm2 = pair.Start("QM2");
                        break;
                    case 2:
                        proxy.CutAll();
                        break;
                    default:
                        proxy.StallAll();
                        break;
                }

                faults[kinds[fault]]++;

                var duplicates = pair.Duplicates;
                Output.WriteLine($"round {round + 1}: {kinds[fault]} at {pair.Delivered} delivered; duplicates on QM2: {duplicates}");
                Assert.Equal(0, duplicates);
                done++;
            }

            await PersistentStream.WaitFor(() => pair.OnTransmissionQueue == 0 && pair.Delivered >= count, TimeSpan.FromMinutes(3), "every message delivered");
            await PersistentStream.Holds(() => pair.Delivered == count, TimeSpan.FromMilliseconds(500), "no late duplicate arrives");
        }
        finally
        {
            ProcessPair.Stop(qm1, qm2);
        }

        var delivered = await pair.BrowseDeliveredAsync(Sys);
        var distinct = delivered.Select(m => TestMessages.Text(m)).Distinct().Count();
        var line = $"{done} rounds (seed {seed}): {string.Join(", ", faults.Select(f => $"{f.Value} {f.Key}"))}; {count} messages checked, {count - distinct} lost, {delivered.Count - distinct} duplicated";
        Output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ACTORQM_CHAOS_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, line + "\n");
        }

        PersistentStream.AssertExactlyOnceInOrder(delivered, count);
    }

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
