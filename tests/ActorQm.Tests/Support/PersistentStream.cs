using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using Akka.Actor;
using Xunit;

namespace ActorQm.Tests.Support;

/// <summary>
/// The stream the multi-process crash specs send: QM1 puts persistent messages numbered 0..N-1
/// (priority n % 3) to APP.IN on QM2 through a mutually authenticated TLS channel, and afterwards
/// every one must be on APP.IN exactly once, in order within its priority.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class PersistentStream
{
    public const string Channel = "QM1.TO.QM2";

    /// <summary>
    /// QM1's and QM2's objects (key repositories created in <paramref name="dir"/>); the sender calls <paramref name="conname"/>.
    /// HBINT(2) on both ends: a connection that goes silent is given up within 4 s.
    /// </summary>
    public static (string Qm1, string Qm2) Objects(TempDirectory dir, string conname)
    {
        var key1 = QueueManagerPair.KeyRepository(dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var key2 = QueueManagerPair.KeyRepository(dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        return ($"""
            ALTER QMGR SSLKEYR('{key1}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ) MAXDEPTH(100000)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            DEFINE CHANNEL('{Channel}') CHLTYPE(SDR) CONNAME('{conname}') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2') BATCHSZ(50) HBINT(2) SHORTRTY(1000) SHORTTMR(1)
            """, $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE CHANNEL('{Channel}') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1') HBINT(2)
            """);
    }

    /// <summary>Puts the whole stream on QM1's transmission queue before any process starts, so a kill lands while messages are in flight.</summary>
    public static async Task PrefillAsync(ActorSystem system, QueueManagerSettings qm1, int count)
    {
        var qm = await QueueManagerBootstrap.StartAsync(system, qm1);
        var output = await new QueueManagerConnection(qm.Actor, "crash-test").OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Output);
        for (var start = 0; start < count; start += 500)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(500, count - start)).Select(i =>
                output.PutAsync(TestMessages.Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Persistence.Persistent, priority: i % 3))));
        }

        await QueueManagerBootstrap.StopAsync(qm.Actor);
    }

    public static void AssertExactlyOnceInOrder(IReadOnlyList<MqMessage> messages, int count)
    {
        var indexes = messages.Select(m => int.Parse(TestMessages.Text(m), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(count, messages.Count);
        Assert.Equal(count, messages.Select(m => m.Descriptor.MsgId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, count), indexes.Order());
        Assert.Equal(Enumerable.Range(0, count).OrderByDescending(i => i % 3).ThenBy(i => i), indexes);
    }

    /// <summary>
    /// Fails as soon as <paramref name="condition"/> stops holding within <paramref name="quiet"/>: a quiet period that is checked,
    /// such as "no late duplicate arrives after the last message", rather than a silent wait.
    /// </summary>
    public static async Task Holds(Func<bool> condition, TimeSpan quiet, string what, int pollMs = 20)
    {
        var until = DateTime.UtcNow + quiet;
        while (DateTime.UtcNow < until)
        {
            Assert.True(condition(), $"stopped holding within {quiet.TotalMilliseconds} ms: {what}");
            await Task.Delay(pollMs);
        }
    }

    /// <summary>A seed for a spec's randomness: ACTORQM_TEST_SEED when set, else a fresh one; always written to the output, so a failure can be replayed.</summary>
    public static int Seed(Action<string> output)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ACTORQM_TEST_SEED"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var given)
            ? given
            : Environment.TickCount & 0x7fffffff;
        output($"seed {seed} (ACTORQM_TEST_SEED={seed} repeats this run)");
        return seed;
    }

    public static async Task WaitFor(Func<bool> condition, TimeSpan timeout, string what, int pollMs = 20)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for: {what}");
            }

            await Task.Delay(pollMs);
        }
    }
}
