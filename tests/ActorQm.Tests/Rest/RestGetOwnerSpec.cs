using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.Queues;
using ActorQm.Rest;
using ActorQm.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Rest;

/// <summary>
/// The owner of one REST get under syncpoint: it settles the get itself, and its end backs out a get nobody settled (a
/// message handed out just after the request's Ask gave up, which stayed locked until a restart before).
/// </summary>
public sealed class RestGetOwnerSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RestGetOwner_must_settle_the_get_itself_and_then_end(bool commit)
    {
        var queue = CreateTestProbe();
        var owner = Sys.ActorOf(RestGetOwner.Props(queue.Ref));
        Watch(owner);

        owner.Tell(new RestGetOwner.Settle(7, commit));

        var settled = await queue.ExpectMsgAsync<object>();
        Assert.Equal(commit ? new LocalQueue.CommitGet(7) : new LocalQueue.BackoutGet(7), settled);
        await ExpectTerminatedAsync(owner);
        owner.Tell(RestGetOwner.Abandon.Instance);
        await queue.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task RestGetOwner_must_leave_a_get_it_did_not_settle_to_the_queue_to_back_out_when_the_request_ends()
    {
        var queue = Sys.ActorOf(LocalQueue.Props("QM1", new LocalQueueDefinition("Q1", 100, 1024, false, 0, true, true, QueueUsage.Normal), Settings("QM1", _dir.Path), null, [], new QueueCounters()));
        queue.Tell(new LocalQueue.Put(Text("taken by a request that gave up"), "spec"), TestActor);
        await ExpectMsgAsync<LocalQueue.MessagePut>();
        var owner = Sys.ActorOf(RestGetOwner.Props(queue));

        // The queue answers a request nobody listens to any more: the message is locked for the owner.
        queue.Tell(new LocalQueue.Get(GetOptions.NoWait with { Syncpoint = true }, owner), CreateTestProbe().Ref);
        await AwaitAssertAsync(async () => Assert.IsType<LocalQueue.GetRejected>(await queue.Ask<object>(new LocalQueue.Get(GetOptions.NoWait), TimeSpan.FromSeconds(5))));

        // The request ends (RestGetOwner.EndsWithRequest): the get is backed out and the message can be got again.
        new RestGetOwner.EndsWithRequest(owner).Dispose();

        await AwaitAssertAsync(async () =>
        {
            var got = Assert.IsType<LocalQueue.MessageGot>(await queue.Ask<object>(new LocalQueue.Get(GetOptions.NoWait), TimeSpan.FromSeconds(5)));
            Assert.Equal("taken by a request that gave up", Text(got.Message));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
