using System.Diagnostics;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Store;
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
/// manager must go on serving, and every acknowledged message must be there after a restart. And a device that fails
/// under SQLite (a loop device, also set up by the spec), so that a commit ends in an I/O error.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalFailureSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Stack<string[]> _cleanup = new();

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
    /// A write nobody waits for (a sender's record and deletes after its partner confirmed) refused by a full disk: dropped, it
    /// left the journal behind memory, and a later record carried the sender past its deletes (duplicates after a restart).
    /// It is owed: the writes behind it are refused as the disk is full (2192), and once space returns it goes in first.
    /// </summary>
    [Fact]
    public async Task Journal_must_write_a_write_nobody_waits_for_that_a_full_disk_refused_first_once_space_returns()
    {
        var disk = Mount("owed-disk", "1m");
        using var journal = MessageJournal.Open("QMO", Settings("QMO", disk).Store);
        var answers = CreateTestProbe();
        JournalWriteFailed? full = null;
        for (var i = 0; i < 1000 && full is null; i++)
        {
            var fill = new StoredMessage(journal.NextSeq(), Text($"fill{i}:" + new string('x', 8 * 1024), Persistence.Persistent), StoredMessage.NeverExpires);
            journal.Enqueue(JournalOp.Insert("APP.IN", fill, answers.Ref.Tell, i));
            full = await answers.ExpectMsgAsync<object>(TimeSpan.FromSeconds(10)) as JournalWriteFailed;
        }

        Assert.True(full is { StorageFull: true }, $"the disk did not fill: {full?.Reason}");

        // Too large for what is left, and nobody waits for it; the small write behind it might fit, but must not go first.
        var owed = new StoredMessage(journal.NextSeq(), Text("owed:" + new string('y', 64 * 1024), Persistence.Persistent), StoredMessage.NeverExpires);
        journal.Enqueue(JournalOp.Unit([JournalOp.Insert("APP.IN", owed, null, null)], null, null));
        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMB", 7, 0, []), answers.Ref.Tell, "behind"));
        var behind = await answers.ExpectMsgAsync<JournalWriteFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal(("behind", true), (behind.Ack, behind.StorageFull));

        Run("mount", "-o", "remount,size=64m", disk);
        await AwaitAssertAsync(() => Assert.Contains(journal.LoadMessages()["APP.IN"], m => m.Seq == owed.Seq), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        journal.Enqueue(JournalOp.SaveChannelSync(new ChannelSyncRecord("TO.QMB", 8, 0, []), answers.Ref.Tell, "after"));
        await answers.ExpectMsgAsync("after", TimeSpan.FromSeconds(10));
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

    /// <summary>
    /// A commit whose sync fails (SQLITE_IOERR_FSYNC) is in the WAL file, so a later open may find it committed though the
    /// connection that wrote it saw it roll back. The journal is on ext4 on a loop device whose image lives on a tmpfs the
    /// spec fills: from then on a write to a block of the image never written before fails. The writer must settle the
    /// commit (AMQ7082W while it does) and answer as the journal holds it once the device works again: here its new
    /// connection never saw the commit, so it fails with 2102, a put is not in the journal and a get's message still is.
    /// </summary>
    [Theory]
    [InlineData("put")]
    [InlineData("get")]
    public async Task Write_must_fail_with_2102_once_its_commit_in_doubt_after_an_io_error_is_settled_and_nothing_acknowledged_must_be_lost(string write)
    {
        var (disk, backing) = MountFailingDevice("failing-disk");
        var qm = await Start(disk);
        var app = new QueueManagerConnection(qm, "spec", TimeSpan.FromSeconds(90));
        var (inDoubt, acknowledged, filler) = await WriteUntilInDoubt(app, write, backing);

        // The device works again: the commit is settled, and the queue manager writes on a new connection.
        File.Delete(filler);
        var failed = await Assert.ThrowsAsync<MqException>(() => inDoubt);
        Output!.WriteLine(failed.Message);
        Assert.Equal(MqReason.ResourceProblem, failed.Reason);
        await app.PutAsync("APP.IN", Text("after", Persistence.Persistent));
        acknowledged.Add("after");

        await QueueManagerBootstrap.StopAsync(qm);
        Assert.Equal(acknowledged, await DrainAsync(await Start(disk), "APP.IN"));
    }

    /// <summary>
    /// The queue manager ends while the device still fails: the commit in doubt is never answered, and the next start finds
    /// it or not. Before commits were settled, the write was refused with 2102 at once, and at the next start the refused put
    /// was there and the refused get's message was gone. Only what was acknowledged before the tmpfs filled is held to be
    /// there: this device still reports the first sync after that a success without keeping it (plain SQLite loses that
    /// commit when the file system is mounted again), so what the next start reads of it depends on the page cache.
    /// </summary>
    [Theory]
    [InlineData("put")]
    [InlineData("get")]
    public async Task Write_must_not_be_answered_while_its_commit_is_in_doubt_after_an_io_error_and_nothing_durable_must_be_lost(string write)
    {
        var (disk, backing) = MountFailingDevice("failing-disk");
        var qm = await Start(disk);
        var app = new QueueManagerConnection(qm, "spec", TimeSpan.FromSeconds(10));
        var (inDoubt, acknowledged, filler) = await WriteUntilInDoubt(app, write, backing);

        await QueueManagerBootstrap.StopAsync(qm);
        await Assert.ThrowsAsync<AskTimeoutException>(() => inDoubt);
        File.Delete(filler);

        var survived = await DrainAsync(await Start(disk), "APP.IN");
        Output!.WriteLine($"acknowledged {string.Join(", ", acknowledged)}; the journal holds {string.Join(", ", survived)}");
        var put = Enumerable.Range(0, 50).Select(i => $"m{i}").ToList();
        if (write == "put")
        {
            Assert.Equal(put, survived.Take(put.Count));
            Assert.All(survived, m => Assert.True(acknowledged.Contains(m) || m == $"m{acknowledged.Count}", $"{m} was never acknowledged nor in doubt"));
        }
        else
        {
            // Every get since the fill took the head of the queue, the one in doubt too: the rest was never got.
            Assert.Equal(acknowledged.Skip(1), survived.TakeLast(acknowledged.Count - 1));
            Assert.All(survived, m => Assert.Contains(m, put));
        }

        Assert.Equal(survived.Distinct(), survived);
    }

    /// <summary>
    /// Persistent puts, then the device stops taking writes; puts (or gets of what was put) until a commit goes in doubt: the
    /// first sync after the fill still reports success. The write in doubt, those acknowledged, and the file to delete for
    /// the device to work again.
    /// </summary>
    private async Task<(Task<string> InDoubt, List<string> Acknowledged, string Filler)> WriteUntilInDoubt(QueueManagerConnection app, string write, string backing)
    {
        var acknowledged = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            await app.PutAsync("APP.IN", Text($"m{i}", Persistence.Persistent));
            acknowledged.Add($"m{i}");
        }

        var warnings = CreateTestProbe("warnings");
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.Warning));
        var filler = Fill(backing);
        var doubt = warnings.FishForMessageAsync<Akka.Event.Warning>(w => w.Message.ToString()!.Contains("AMQ7082W", StringComparison.Ordinal), TimeSpan.FromSeconds(30)).AsTask();
        for (var i = acknowledged.Count; ; i++)
        {
            var next = write == "put" ? Put(app, $"m{i}") : Get(app);
            if (await Task.WhenAny(next, doubt) == doubt)
            {
                var warning = (await doubt).Message.ToString()!;
                Output!.WriteLine(warning);
                Assert.Contains("disk I/O error", warning, StringComparison.Ordinal);
                Assert.False(next.IsCompleted, "the write was answered while its commit was in doubt");
                return (next, acknowledged, filler);
            }

            var done = await next;
            if (write == "put")
            {
                acknowledged.Add(done);
            }
            else
            {
                Assert.True(acknowledged.Remove(done), $"{done} was got twice");
            }
        }
    }

    private static async Task<string> Put(QueueManagerConnection app, string text)
    {
        await app.PutAsync("APP.IN", Text(text, Persistence.Persistent));
        return text;
    }

    private static async Task<string> Get(QueueManagerConnection app) => Text(await app.GetAsync("APP.IN"));

    private string Mount(string name, string size)
    {
        var disk = Directory.CreateDirectory(_dir.File(name)).FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", disk);
        _cleanup.Push(["umount", "-l", disk]);
        return disk;
    }

    /// <summary>
    /// ext4 on a loop device over a 64 MiB sparse image on an 8 MiB tmpfs: the file system sees room, the tmpfs runs out
    /// (<see cref="Fill"/>). No ext4 journal and errors=continue, so a failed metadata write does not make it read-only.
    /// </summary>
    private (string Disk, string Backing) MountFailingDevice(string name)
    {
        var backing = Mount(name + "-image", "8m");
        var image = Path.Combine(backing, "disk.img");
        using (var file = File.Create(image))
        {
            file.SetLength(64L << 20);
        }

        var loop = Run("losetup", "--find", "--show", image).Trim();
        _cleanup.Push(["losetup", "-d", loop]);
        Run("mkfs.ext4", "-q", "-b", "4096", "-O", "^has_journal", loop);
        var disk = Directory.CreateDirectory(_dir.File(name)).FullName;
        Run("mount", "-o", "errors=continue", loop, disk);
        _cleanup.Push(["umount", "-l", disk]);
        return (disk, backing);
    }

    /// <summary>Takes every free page of the image's tmpfs; the file that does, to delete when the device is to work again.</summary>
    private static string Fill(string backing)
    {
        var filler = Path.Combine(backing, "filler");
        using var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // No space left: the loop device can no longer grow its image.
        }

        return filler;
    }

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        }

        return output;
    }

    public new void Dispose()
    {
        base.Dispose();
        while (_cleanup.TryPop(out var command))
        {
            Run(command[0], command[1..]);
        }

        _dir.Dispose();
    }
}
