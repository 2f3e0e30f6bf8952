using System.Diagnostics;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// Journal writes that fail under a put: a journal another process holds locked past the busy timeout,
/// and a disk that fills up (a 1 MiB tmpfs, mounted by the spec: like the rest of the test command,
/// which installs packages, it runs as root). The put must fail with a clear reason code, the queue
/// manager must go on serving, and every acknowledged message must be there after a restart.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalFailureSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _mounted = [];

    private async Task<IActorRef> Start(string directory) =>
        (await QueueManagerPair.Start(Sys, _dir, "QMJ", "DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)",
            $"store {{ path = \"{Path.Combine(directory, "QMJ.db")}\", busy-timeout = 300ms }}")).Actor;

    [Fact]
    public async Task Put_must_fail_with_2102_while_the_journal_cannot_be_written_and_lose_nothing_acknowledged()
    {
        var qm = await Start(_dir.Path);
        var app = new QueueManagerConnection(qm, "spec");
        await app.PutAsync("APP.IN", Text("before", Persistence.Persistent));

        // Another process holds the journal's write lock for longer than the busy timeout.
        using (var holder = new SqliteConnection($"Data Source={_dir.File("QMJ.db")};Pooling=False"))
        {
            holder.Open();
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();

            var failed = await Assert.ThrowsAsync<MqException>(() => app.PutAsync("APP.IN", Text("while locked", Persistence.Persistent)));
            Assert.Equal(MqReason.ResourceProblem, failed.Reason);
            Assert.Contains("could not be made durable", failed.Message, StringComparison.Ordinal);

            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        await app.PutAsync("APP.IN", Text("after", Persistence.Persistent));
        await QueueManagerBootstrap.StopAsync(qm);
        var restarted = await Start(_dir.Path);

        Assert.Equal(["before", "after"], await DrainAsync(restarted, "APP.IN"));
    }

    [Fact]
    public async Task Put_must_fail_with_2192_when_the_disk_is_full_and_lose_nothing_acknowledged()
    {
        var disk = Mount("small-disk", "1m");
        var qm = await Start(disk);
        var app = new QueueManagerConnection(qm, "spec");
        var acknowledged = new List<string>();
        MqException? full = null;
        for (var i = 0; i < 5000 && full is null; i++)
        {
            try
            {
                await app.PutAsync("APP.IN", Text($"m{i}:" + new string('x', 1000), Persistence.Persistent));
                acknowledged.Add($"m{i}");
            }
            catch (MqException e)
            {
                full = e;
            }
        }

        Output!.WriteLine($"{acknowledged.Count} messages acknowledged before the disk filled: {full?.Message}");
        Assert.NotNull(full);
        Assert.Equal(MqReason.StorageMediumFull, full.Reason);

        // A get on a full disk either fails the same way and leaves its message on the queue (its delete could not be
        // written), or its delete fits in pages SQLite freed when the failed put rolled back: then the message is gone.
        try
        {
            var got = Text(await app.GetAsync("APP.IN"));
            Output.WriteLine($"the get's delete fitted: {got[..got.IndexOf(':', StringComparison.Ordinal)]} taken");
            Assert.Equal(acknowledged[0], got[..got.IndexOf(':', StringComparison.Ordinal)]);
            acknowledged.RemoveAt(0);
        }
        catch (MqException get)
        {
            Assert.Equal(MqReason.StorageMediumFull, get.Reason);
        }

        await QueueManagerBootstrap.StopAsync(qm);

        // Every acknowledged message is in the journal, in order, and nothing else.
        var settings = Settings("QMJ", disk);
        var survived = (await JournalBrowse.AllAsync(Sys, settings, "APP.IN")).Select(m => Text(m)).Select(t => t[..t.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(acknowledged, survived);
    }

    [Fact]
    public async Task Channel_batches_must_stay_on_the_sender_while_the_receivers_disk_is_full_and_arrive_once_when_space_returns()
    {
        var disk = Mount("qm2-disk", "1m");
        const int count = 1500;
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "BATCHSZ(20)",
            qm2Hocon: $"store {{ path = \"{Path.Combine(disk, "QM2.db")}\", busy-timeout = 300ms }}");
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe(failures.Ref, typeof(ActorQm.Channels.Channel.ChannelFailed));
        var output = await pair.Conn1.OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Output);
        for (var i = 0; i < count; i++)
        {
            await output.PutAsync(Text($"m{i}:" + new string('x', 1000), Persistence.Persistent));
        }

        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        // QM2's disk fills part-way through the stream: the batch that does not fit is refused, not confirmed.
        var full = await failures.FishForMessageAsync<ActorQm.Channels.Channel.ChannelFailed>(f => f.QMgrName == "QM2", TimeSpan.FromSeconds(60));
        Output!.WriteLine($"receiver: {full.AmqCode} {full.Detail}");
        Assert.Contains("MQRC 2192", full.Detail, StringComparison.Ordinal);
        var told = await failures.FishForMessageAsync<ActorQm.Channels.Channel.ChannelFailed>(f => f.QMgrName == "QM1", TimeSpan.FromSeconds(10));
        Output.WriteLine($"sender: {told.AmqCode} {told.Detail}");
        Assert.Contains($"(MQRC {(int)MqReason.StorageMediumFull})", told.Detail, StringComparison.Ordinal);

        // The sender retries into the full disk (each attempt refused the same way) before space returns.
        var again = await failures.FishForMessageAsync<ActorQm.Channels.Channel.ChannelFailed>(f => f.QMgrName == "QM2", TimeSpan.FromSeconds(10));
        Assert.Contains("MQRC 2192", again.Detail, StringComparison.Ordinal);
        var before = (await pair.Status(pair.Qm2.Actor))?.LastSeq;
        Output.WriteLine($"{before} of {count} messages committed on QM2 before space returned");

        // Space returns (the tmpfs grows): the sender's retries deliver the rest, each message once, in order.
        Run("mount", "-o", "remount,size=64m", disk);
        var delivered = await ReceiveAsync(pair.Qm2.Actor, "APP.IN", count, TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), delivered.Select(t => t[..t.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Empty(await DrainAsync(pair.Qm2.Actor, "APP.IN"));
    }

    /// <summary>
    /// A journal file moved away or removed while the queue manager runs: what the writer has open is no longer what the next
    /// start reads, so a persistent put is refused (2102), never acknowledged into it; everything else goes on. Moved back,
    /// the journal is whole at the next start.
    /// </summary>
    [Theory]
    [InlineData("moved")]
    [InlineData("removed")]
    public async Task Put_must_fail_with_2102_once_the_journal_file_is_moved_or_removed_and_nothing_else_must_stop(string how)
    {
        var qm = await Start(_dir.Path);
        var app = new QueueManagerConnection(qm, "spec");
        await app.PutAsync("APP.IN", Text("before", Persistence.Persistent));
        var journal = _dir.File("QMJ.db");
        var aside = _dir.File("QMJ.db.aside");
        if (how == "moved")
        {
            File.Move(journal, aside);
        }
        else
        {
            File.Delete(journal);
        }

        var refused = await Assert.ThrowsAsync<MqException>(() => app.PutAsync("APP.IN", Text("after the move", Persistence.Persistent)));
        Assert.Equal(MqReason.ResourceProblem, refused.Reason);
        Assert.Contains("removed, moved or replaced", refused.Message, StringComparison.Ordinal);
        // The queue manager goes on serving what needs no journal.
        await app.PutAsync("APP.IN", Text("fast", Persistence.NotPersistent));
        Assert.Equal(MqReason.ResourceProblem, (await Assert.ThrowsAsync<MqException>(() => app.PutAsync("APP.IN", Text("still refused", Persistence.Persistent)))).Reason);

        if (how == "moved")
        {
            await QueueManagerBootstrap.StopAsync(qm);
            File.Move(aside, journal);
            Assert.Equal(["before"], await DrainAsync(await Start(_dir.Path), "APP.IN"));
        }
    }

    private string Mount(string name, string size)
    {
        var disk = Directory.CreateDirectory(_dir.File(name)).FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", disk);
        _mounted.Add(disk);
        return disk;
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        foreach (var disk in _mounted)
        {
            Run("umount", "-l", disk);
        }

        _dir.Dispose();
    }
}
