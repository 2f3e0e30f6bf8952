using ActorQm.Messages;
using ActorQm.Mqsc;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Routing;
using ActorQm.Store;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Event;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.QueueManagers;

public sealed class QueueManagerActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private const string Objects = """
        DEFINE QLOCAL(APP.IN) DEFPSIST(YES)
        DEFINE QLOCAL(DLQ)
        DEFINE QLOCAL(QM2) USAGE(XMITQ)
        DEFINE QREMOTE(APP.REMOTE) RNAME(APP.IN) RQMNAME(QM2)
        DEFINE QALIAS(NO.GET) TARGET(APP.IN) GET(DISABLED)
        """;

    private async Task<(StartedQueueManager Qm, QueueManagerConnection Connection)> StartQm(string? script = null)
    {
        var settings = Settings("QM1", _dir.Path);
        if (script is not null)
        {
            await File.WriteAllTextAsync(_dir.File("qm1.mqsc"), script);
            settings = settings with { MqscFile = _dir.File("qm1.mqsc") };
        }

        var qm = await QueueManagerBootstrap.StartAsync(Sys, settings);
        return (qm, new QueueManagerConnection(qm.Actor, "spec"));
    }

    [Fact]
    public async Task QueueManager_must_put_to_a_remote_queue_onto_its_transmission_queue_with_an_MQXQH()
    {
        var (_, conn) = await StartQm(Objects);

        var put = await conn.PutAsync("APP.REMOTE", Text("to qm2"));
        var onXmitQ = await conn.GetAsync("QM2");
        var (header, data) = TransmissionHeader.Unwrap(onXmitQ);

        Assert.Equal(MessageFormats.XmitQHeader, onXmitQ.Descriptor.Format);
        Assert.Equal(("APP.IN", "QM2"), (header.RemoteQName, header.RemoteQMgrName));
        Assert.Equal(put.MsgId, header.Original.MsgId);
        Assert.Equal(MessageFormats.String, header.Original.Format);
        Assert.Equal("to qm2", System.Text.Encoding.UTF8.GetString(data.Span));
    }

    [Fact]
    public async Task QueueManager_must_dead_letter_with_an_MQDLH_carrying_the_reason()
    {
        var (qm, conn) = await StartQm(Objects);

        qm.Actor.Tell(new QueueManager.PutDeadLetter(Text("undeliverable"), (int)MqReason.QFull, "APP.FULL", "QM1", "spec"), TestActor);
        Assert.Equal(MqReason.UnknownObjectName, (await ExpectMsgAsync<LocalQueue.PutRejected>()).Reason);

        await conn.RunMqscAsync("ALTER QMGR DEADQ(DLQ)");
        qm.Actor.Tell(new QueueManager.PutDeadLetter(Text("undeliverable"), (int)MqReason.QFull, "APP.FULL", "QM1", "spec"), TestActor);
        await ExpectMsgAsync<LocalQueue.MessagePut>();

        var (header, data) = DeadLetterHeader.Unwrap(await conn.GetAsync("DLQ"));
        Assert.Equal((int)MqReason.QFull, header.Reason);
        Assert.Equal(("APP.FULL", "QM1", MessageFormats.String), (header.DestQName, header.DestQMgrName, header.Format));
        Assert.Equal("undeliverable", System.Text.Encoding.UTF8.GetString(data.Span));
    }

    [Fact]
    public async Task QueueManager_must_keep_definitions_and_persistent_messages_across_a_restart()
    {
        var (qm, conn) = await StartQm();
        await conn.RunMqscAsync("DEFINE QLOCAL(KEEP) MAXDEPTH(9)\nDEFINE CHANNEL(TO.QM2) CHLTYPE(SDR) CONNAME('h(1414)') XMITQ(QM2)");
        await conn.PutAsync("KEEP", Text("durable", Persistence.Persistent));
        await conn.PutAsync("KEEP", Text("fleeting", Persistence.NotPersistent));
        await QueueManagerBootstrap.StopAsync(qm.Actor);

        var (_, again) = await StartQm();
        var shown = await again.RunMqscAsync("DISPLAY QLOCAL(KEEP) MAXDEPTH\nDISPLAY CHANNEL(TO.QM2) CONNAME");

        Assert.Contains(shown.Lines, l => l.Contains("MAXDEPTH(9)", StringComparison.Ordinal));
        Assert.Contains(shown.Lines, l => l.Contains("CONNAME(h(1414))", StringComparison.Ordinal));
        Assert.Equal("durable", Text(await again.GetAsync("KEEP")));
        var e = await Assert.ThrowsAsync<MqException>(() => again.GetAsync("KEEP"));
        Assert.Equal(MqReason.NoMsgAvailable, e.Reason);
    }

    [Fact]
    public async Task QueueManager_must_refuse_to_start_on_a_script_with_a_syntax_error_and_say_where()
    {
        var e = await Assert.ThrowsAsync<MqscException>(() => StartQm("DEFINE QLOCAL(A)\nDEFINE QLOCAL(B) +\n  DESCR('unclosed)"));

        Assert.Equal(new MqscPosition(3, 9), e.Position);
        Assert.Contains("qm1.mqsc", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("QM1.db")));
    }

    [Fact]
    public async Task QueueManager_must_report_failed_commands_and_apply_the_others()
    {
        var (_, conn) = await StartQm();

        var result = await conn.RunMqscAsync("DEFINE QLOCAL(GOOD)\nDEFINE QLOCAL(BAD) MAXDEPTH(lots)\nDEFINE QLOCAL(ALSO.GOOD)");

        Assert.Equal((3, 1), (result.Commands, result.Failed));
        Assert.Contains(result.Lines, l => l.StartsWith("AMQ8405E", StringComparison.Ordinal) && l.Contains("line 2, column 29", StringComparison.Ordinal));
        await conn.PutAsync("ALSO.GOOD", Text("x"));
        Assert.Equal(MqReason.UnknownObjectName, (await Assert.ThrowsAsync<MqException>(() => conn.PutAsync("BAD", Text("x")))).Reason);
    }

    [Fact]
    public async Task QueueManager_must_delete_a_queue_with_its_persistent_messages()
    {
        var (qm, conn) = await StartQm(Objects);
        await conn.PutAsync("APP.IN", Text("doomed"));

        var refused = await conn.RunMqscAsync("DELETE QLOCAL(APP.IN)");
        var deleted = await conn.RunMqscAsync("DELETE QLOCAL(APP.IN) PURGE");
        await QueueManagerBootstrap.StopAsync(qm.Actor);

        Assert.Contains(refused.Lines, l => l.StartsWith("AMQ8143E", StringComparison.Ordinal));
        Assert.Contains("AMQ8007I: ActorQm queue deleted.", deleted.Lines);
        using var journal = MessageJournal.Open("QM1", Settings("QM1", _dir.Path).Store);
        Assert.Empty(journal.LoadMessages());
    }

    [Fact]
    public async Task QueueManager_must_check_open_options_and_queue_manager_limits()
    {
        var (_, conn) = await StartQm(Objects + "\nALTER QMGR MAXMSGL(32768) DEFXMITQ(QM2)");

        var noGet = await Assert.ThrowsAsync<MqException>(() => conn.OpenAsync("NO.GET", Mqi.QueueManagerApi.OpenPurpose.Input));
        var remoteInput = await Assert.ThrowsAsync<MqException>(() => conn.OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Input));
        var tooBig = await Assert.ThrowsAsync<MqException>(() => conn.PutAsync("APP.IN", new MqMessage(MessageDescriptor.Default, new byte[40_000])));

        var longName = await Assert.ThrowsAsync<MqException>(() => conn.PutAsync("APP.IN", Text("x"), new string('Q', 49)));
        Assert.Equal(MqReason.UnknownRemoteQMgr, longName.Reason);
        Assert.Contains("longer than MQ's 48", longName.Message, StringComparison.Ordinal);
        Assert.Equal(MqReason.GetInhibited, noGet.Reason);
        Assert.Equal(MqReason.OptionNotValidForType, remoteInput.Reason);
        Assert.Equal(MqReason.MsgTooBigForQMgr, tooBig.Reason);
    }

    [Fact]
    public async Task QueueManager_must_refuse_a_second_runtime_on_the_same_journal()
    {
        await StartQm();

        await Assert.ThrowsAsync<QueueManagerInUseException>(() => QueueManagerBootstrap.StartAsync(Sys, Settings("QM1", _dir.Path)));
    }

    [Fact]
    public async Task QueueManager_must_hand_out_handles_that_put_and_get_without_it()
    {
        var (_, conn) = await StartQm(Objects);
        var output = await conn.OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Output);
        var input = await conn.OpenAsync("QM2", Mqi.QueueManagerApi.OpenPurpose.Input);

        await output.PutAsync(Text("via handle"));
        var got = await input.GetAsync();

        Assert.True(output.Handle.IsRemote);
        Assert.Equal(Persistence.NotPersistent, got.Message.Descriptor.Persistence);
        Assert.Equal("APP.IN", TransmissionHeader.Unwrap(got.Message).Header.RemoteQName);
    }

    [Fact]
    public async Task QueueManager_must_survive_a_failing_request_with_its_queues_and_messages_intact()
    {
        var (qm, conn) = await StartQm(Objects);
        await conn.PutAsync("APP.IN", Text("kept", Persistence.NotPersistent));
        var queue = (await conn.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Output)).Handle.Queue;

        // The filter waits (within its bound) for both errors to be logged.
        await EventFilter.Error(contains: "AMQ6184E").ExpectAsync(2, () =>
        {
            queue.Tell(new LocalQueue.Put(null!));
            qm.Actor.Tell(new QueueManager.PutMessage(null!, Text("x")));
            return Task.CompletedTask;
        });

        Assert.Equal("kept", Text(await conn.GetAsync("APP.IN")));
        await conn.PutAsync("APP.IN", Text("still serving"));
    }

    [Fact]
    public async Task QueueManager_must_tell_routed_listeners_its_BLOCKADDR_rules_at_once_when_they_change()
    {
        var (qm, conn) = await StartQm(Objects);
        var listener = CreateTestProbe("routed-listener");

        qm.Actor.Tell(RoutedConnection.DescribeSecurity.Instance, listener.Ref);
        var first = await listener.ExpectMsgAsync<RoutedConnection.SecurityDescribed>();
        Assert.DoesNotContain(first.Definitions, d => d.Contains("BLOCKADDR", StringComparison.Ordinal));

        await conn.RunMqscAsync("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.9.*')");
        var pushed = await listener.ExpectMsgAsync<RoutedConnection.SecurityDescribed>();
        Assert.Contains(pushed.Definitions, d => d.Contains("BLOCKADDR", StringComparison.Ordinal) && d.Contains("10.9.*", StringComparison.Ordinal));

        // A listener that has gone is no longer told (nothing for it ends in dead letters).
        var deadLetters = CreateTestProbe("dead-letters");
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        Watch(listener.Ref);
        listener.Ref.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(listener.Ref);
        await Task.Delay(200);
        await conn.RunMqscAsync("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.8.*') ACTION(REPLACE)");
        var letters = new List<object>();
        while (await deadLetters.ReceiveOneAsync(TimeSpan.FromMilliseconds(500)) is DeadLetter letter)
        {
            letters.Add(letter.Message);
        }

        Assert.DoesNotContain(letters, m => m is RoutedConnection.SecurityDescribed);
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
