using System.Buffers;
using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Channels;

/// <summary>
/// The server-connection agent alone (docs/protocol.md, "Serving calls"): its transport, queue manager and queues are
/// probes, its client's calls frames written as <c>ActorQm.Client</c> writes them. A put on a handle and a get are told
/// to their queue and answered from its reply; a get's answer only from the reply naming its call; a call its queue does
/// not answer within the call timeout ends the connection with AMQ9999E.
/// </summary>
public sealed class ServerConnectionActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Nothing = TimeSpan.FromMilliseconds(300);

    private readonly TempDirectory _dir = new();
    private readonly List<MessageJournal> _journals = [];
    private int _correlation;

    private sealed record Connection(IActorRef Agent, TestProbe Transport, TestProbe QueueManager);

    private Connection Connect(ConnectionLimits? limits = null)
    {
        var transport = CreateTestProbe("transport");
        var queueManager = CreateTestProbe("qm");
        var journal = MessageJournal.Open("QM1", Settings("QM1", _dir.Path).Store);
        _journals.Add(journal);
        var sync = new ChannelSyncStore(journal, new Dictionary<string, ChannelSyncRecord>());
        var board = new ChannelStatusBoard();
        var principal = new ActorQm.Authority.Principal("app", new HashSet<string>());
        var l = limits ?? ConnectionLimits.Default;
        var agent = Sys.ActorOf(Props.Create(() => new ServerConnectionActor(
            transport.Ref, queueManager.Ref, sync, board, "QM1", "APP.SVRCONN", "APP.SVRCONN@1", "spec", l, principal, true)));
        return new Connection(agent, transport, queueManager);
    }

    /// <summary>A client's call as its transport hands it on: one frame in a pooled buffer the agent disposes.</summary>
    private static Transport.FrameReceived Frame(Segment segment)
    {
        var bytes = ChannelFrames.Encode(segment);
        var owner = MemoryPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(owner.Memory.Span);
        return new Transport.FrameReceived(owner, bytes.Length);
    }

    private int Call(Connection c, ClientOp op, byte[] body)
    {
        var correlation = ++_correlation;
        c.Agent.Tell(Frame(new ClientRequest(correlation, op, body)), c.Transport.Ref);
        return correlation;
    }

    // Bodies as MqClient.OpenAsync, MqClientQueue.PutAsync and MqClientQueue.Get write them.
    private static byte[] OpenBody(string queue, MqOpenOptions options)
    {
        var w = new FrameWriter();
        w.String(queue);
        w.String(string.Empty);
        w.Int((int)options);
        w.String(string.Empty);
        return w.ToArray();
    }

    private static byte[] PutBody(int handle, MqMessage message)
    {
        var w = new FrameWriter(message.Payload.Length + 300);
        w.Int(handle);
        w.Byte(ClientProtocol.PutFlags(syncpoint: false, asyncResponse: false, MqPutContext.Default));
        ClientProtocol.WriteMessage(w, message, traced: true);
        return w.ToArray();
    }

    private static byte[] Put1Body(string queue, MqMessage message, bool syncpoint)
    {
        var w = new FrameWriter(message.Payload.Length + 400);
        w.String(queue);
        w.String(string.Empty);
        w.Byte(ClientProtocol.PutFlags(syncpoint, asyncResponse: false, MqPutContext.Default));
        ClientProtocol.WriteMessage(w, message, traced: true);
        return w.ToArray();
    }

    private static byte[] GetBody(int handle, TimeSpan wait)
    {
        var w = new FrameWriter(64);
        w.Int(handle);
        w.Byte((byte)ClientGetFlags.None);
        w.Int((int)wait.TotalMilliseconds);
        ClientProtocol.WriteId(w, null);
        ClientProtocol.WriteId(w, null);
        return w.ToArray();
    }

    /// <summary>The next frame the agent sends its transport (read credit given back meanwhile is passed over).</summary>
    private static async Task<Segment> NextSent(TestProbe transport, TimeSpan? within = null)
    {
        var send = await transport.FishForMessageAsync<Transport.Send>(_ => true, within ?? Answer);
        var (segment, error) = ChannelFrames.Decode(send.Frame.Span);
        Assert.Null(error);
        return segment!;
    }

    private static async Task<ClientResponse> NextResponse(TestProbe transport) =>
        Assert.IsType<ClientResponse>(await NextSent(transport));

    /// <summary>Nothing sent to the transport for <paramref name="within"/> (read credit may be given back).</summary>
    private static async Task ExpectNoSend(TestProbe transport, TimeSpan within)
    {
        var end = DateTime.UtcNow + within;
        while (end - DateTime.UtcNow is { Ticks: > 0 } left)
        {
            if (await transport.ReceiveOneAsync(left) is Transport.Send send)
            {
                Assert.Fail($"the agent sent {ChannelFrames.Decode(send.Frame.Span).Segment}");
            }
        }
    }

    /// <summary>MQOPEN answered by the queue manager probe with a handle on <paramref name="queue"/>; the client's handle number.</summary>
    private async Task<int> Open(Connection c, TestProbe queue, string name, MqOpenOptions options)
    {
        var correlation = Call(c, ClientOp.Open, OpenBody(name, options));
        var open = await c.QueueManager.ExpectMsgAsync<QueueManagerApi.OpenQueue>(Answer);
        Assert.Equal(name, open.QueueName);
        c.QueueManager.Reply(new QueueManagerApi.QueueOpened(new QueueHandle(queue.Ref, name, null, null, false, 0, true, 4 * 1024 * 1024)));
        var opened = await NextResponse(c.Transport);
        Assert.Equal(correlation, opened.Correlation);
        Assert.Equal(0, opened.Reason);
        var r = new FrameReader(opened.Body);
        return r.Int();
    }

    [Fact]
    public async Task ServerConnectionActor_must_answer_a_put_on_a_handle_from_its_queues_reply()
    {
        var c = Connect();
        var queue = CreateTestProbe("queue");
        var handle = await Open(c, queue, "APP.OUT", MqOpenOptions.Output);

        var first = Call(c, ClientOp.Put, PutBody(handle, Text("one")));
        var put = await queue.ExpectMsgAsync<LocalQueue.Put>(Answer);
        Assert.Equal(c.Agent, queue.LastSender);
        Assert.Equal("one", Text(put.Message));
        var stored = put.Message.Descriptor with { MsgId = MqId.FromBytes(Enumerable.Repeat((byte)7, MqId.Length).ToArray()) };
        queue.Reply(new LocalQueue.MessagePut(stored));
        var done = await NextResponse(c.Transport);
        Assert.Equal(first, done.Correlation);
        Assert.Equal(0, done.Reason);
        var r = new FrameReader(done.Body);
        Assert.Equal(stored.MsgId, ClientProtocol.ReadDescriptor(ref r)!.MsgId);

        var second = Call(c, ClientOp.Put, PutBody(handle, Text("two")));
        await queue.ExpectMsgAsync<LocalQueue.Put>(Answer);
        Assert.Equal(c.Agent, queue.LastSender);
        queue.Reply(new LocalQueue.PutRejected(MqReason.QFull, "MQRC_Q_FULL: spec"));
        var refused = await NextResponse(c.Transport);
        Assert.Equal(second, refused.Correlation);
        Assert.Equal((int)MqReason.QFull, refused.Reason);
        Assert.Contains("spec", refused.Detail);
    }

    [Fact]
    public async Task ServerConnectionActor_must_take_a_gets_answer_only_from_the_reply_that_names_its_call()
    {
        var c = Connect();
        var queue = CreateTestProbe("queue");
        var handle = await Open(c, queue, "APP.IN", MqOpenOptions.InputAsQueueDefault);

        var correlation = Call(c, ClientOp.Get, GetBody(handle, TimeSpan.Zero));
        var get = await queue.ExpectMsgAsync<LocalQueue.Get>(Answer);
        Assert.Equal(c.Agent, queue.LastSender);
        Assert.NotEqual(0, get.Call);

        // What a backout of a get the queue does not know is answered with: it names no call.
        c.Agent.Tell(new LocalQueue.GetRejected(MqReason.UnexpectedError, "no such get") { Call = 0 }, queue.Ref);
        // A reply for another call (a get this connection no longer waits for).
        c.Agent.Tell(new LocalQueue.GetRejected(MqReason.NoMsgAvailable, "an earlier call") { Call = get.Call + 1 }, queue.Ref);
        await ExpectNoSend(c.Transport, Nothing);

        c.Agent.Tell(new LocalQueue.MessageGot(Text("hello"), 5, BrowseCursor.Start) { Call = get.Call }, queue.Ref);
        var got = await NextResponse(c.Transport);
        Assert.Equal(correlation, got.Correlation);
        Assert.Equal(0, got.Reason);
        var r = new FrameReader(got.Body);
        Assert.Equal("hello", Text(ClientProtocol.ReadMessage(ref r)!));
    }

    [Fact]
    public async Task ServerConnectionActor_must_give_back_a_message_that_arrives_for_no_waiting_get()
    {
        var c = Connect();
        var queue = CreateTestProbe("queue");
        await Open(c, queue, "APP.IN", MqOpenOptions.InputAsQueueDefault);

        c.Agent.Tell(new LocalQueue.MessageGot(Text("stray"), 7, BrowseCursor.Start) { Call = 999 }, queue.Ref);

        var release = await queue.ExpectMsgAsync<LocalQueue.ReleaseGets>(Answer);
        Assert.Contains(7L, release.Tokens);
        Assert.Equal(c.Agent, queue.LastSender);
        await ExpectNoSend(c.Transport, Nothing);
    }

    [Fact]
    public async Task ServerConnectionActor_must_end_the_connection_with_AMQ9999E_when_a_queue_does_not_answer_within_the_call_timeout()
    {
        var c = Connect(ConnectionLimits.Default with { CallTimeout = TimeSpan.FromSeconds(1) });
        var queue = CreateTestProbe("queue");
        var handle = await Open(c, queue, "APP.OUT", MqOpenOptions.Output);

        Segment? status = null;
        await EventFilter.Error(start: "AMQ9999E").ExpectOneAsync(TimeSpan.FromSeconds(3), async () =>
        {
            Call(c, ClientOp.Put, PutBody(handle, Text("never answered")));
            await queue.ExpectMsgAsync<LocalQueue.Put>(Answer);
            status = await NextSent(c.Transport, TimeSpan.FromSeconds(3));
        });

        var broken = Assert.IsType<StatusSegment>(status);
        Assert.Equal("AMQ9999E", broken.AmqCode);
        Assert.Equal((int)MqReason.ConnectionBroken, broken.Reason);
        await c.Transport.FishForMessageAsync<Transport.Close>(_ => true, Answer);

        // The outcome was given up: a late reply answers nothing.
        c.Agent.Tell(new LocalQueue.MessagePut(Text("never answered").Descriptor), queue.Ref);
        await ExpectNoSend(c.Transport, Nothing);
    }

    // The put may still happen after the timeout: answering 2195 would tell the client it did not.
    [Fact]
    public async Task ServerConnectionActor_must_end_the_connection_with_AMQ9999E_when_an_MQPUT1_is_not_answered_within_the_call_timeout()
    {
        var c = Connect(ConnectionLimits.Default with { CallTimeout = TimeSpan.FromSeconds(1) });
        var queue = CreateTestProbe("queue");

        Call(c, ClientOp.Put1, Put1Body("APP.OUT", Text("never answered"), syncpoint: false));
        await c.QueueManager.ExpectMsgAsync<QueueManagerApi.OpenQueue>(Answer);
        c.QueueManager.Reply(new QueueManagerApi.QueueOpened(new QueueHandle(queue.Ref, "APP.OUT", null, null, false, 0, true, 4 * 1024 * 1024)));
        await queue.ExpectMsgAsync<LocalQueue.Put>(Answer);

        var answer = await NextSent(c.Transport, TimeSpan.FromSeconds(3));
        var broken = Assert.IsType<StatusSegment>(answer);
        Assert.Equal("AMQ9999E", broken.AmqCode);
        Assert.Equal((int)MqReason.ConnectionBroken, broken.Reason);
        await c.Transport.FishForMessageAsync<Transport.Close>(_ => true, Answer);
    }

    [Fact]
    public async Task ServerConnectionActor_must_serve_calls_one_at_a_time_in_arrival_order()
    {
        var c = Connect();
        var a = CreateTestProbe("queue-a");
        var b = CreateTestProbe("queue-b");
        var onA = await Open(c, a, "APP.A", MqOpenOptions.Output);
        var onB = await Open(c, b, "APP.B", MqOpenOptions.Output);

        var first = Call(c, ClientOp.Put, PutBody(onA, Text("first")));
        var second = Call(c, ClientOp.Put, PutBody(onB, Text("second")));

        var put = await a.ExpectMsgAsync<LocalQueue.Put>(Answer);
        Assert.Equal("first", Text(put.Message));
        // The second call waits for the first's reply, though it is for another queue.
        await b.ExpectNoMsgAsync(Nothing);

        a.Reply(new LocalQueue.MessagePut(put.Message.Descriptor));
        var putB = await b.ExpectMsgAsync<LocalQueue.Put>(Answer);
        Assert.Equal("second", Text(putB.Message));
        b.Reply(new LocalQueue.MessagePut(putB.Message.Descriptor));

        Assert.Equal(first, (await NextResponse(c.Transport)).Correlation);
        Assert.Equal(second, (await NextResponse(c.Transport)).Correlation);
    }

    [Fact]
    public async Task ServerConnectionActor_must_give_a_heartbeats_read_credit_back_at_once_behind_a_get_that_waits()
    {
        var c = Connect();
        var queue = CreateTestProbe("queue");
        var handle = await Open(c, queue, "APP.IN", MqOpenOptions.InputAsQueueDefault);
        // A second call answered at once: its frame and the open's go back together, so none is held from here on.
        Call(c, ClientOp.Stat, []);
        await NextResponse(c.Transport);
        Call(c, ClientOp.Get, GetBody(handle, System.Threading.Timeout.InfiniteTimeSpan));
        await queue.ExpectMsgAsync<LocalQueue.Get>(Answer);
        Call(c, ClientOp.Get, GetBody(handle, TimeSpan.Zero));
        Call(c, ClientOp.Get, GetBody(handle, TimeSpan.Zero));
        // Three of the four frames of credit are held by calls; whatever else is read must not take the last one.
        c.Transport.ReceiveWhile<object>(o => o, Nothing);

        c.Agent.Tell(Frame(new Heartbeat(false)), c.Transport.Ref);
        var resumed = await c.Transport.FishForMessageAsync<Transport.ResumeReading>(_ => true, Answer);
        Assert.Equal(1, resumed.Frames);
    }

    [Fact]
    public async Task ServerConnectionActor_must_serve_calls_read_together_in_order_and_give_back_a_frame_of_credit_each()
    {
        var c = Connect();
        var queue = CreateTestProbe("queue");
        var handle = await Open(c, queue, "APP.OUT", MqOpenOptions.Output);
        c.Transport.ReceiveWhile<object>(o => o, Nothing);

        // Three calls in one burst, as the transport hands over calls read together: MQSTAT, a put, MQSTAT.
        var calls = new[] { (ClientOp.Stat, Array.Empty<byte>()), (ClientOp.Put, PutBody(handle, Text("burst"))), (ClientOp.Stat, Array.Empty<byte>()) }
            .Select(call => ChannelFrames.Encode(new ClientRequest(++_correlation, call.Item1, call.Item2))).ToArray();
        var burst = CountingBuffer.Frames(calls);
        c.Agent.Tell(new Transport.FramesReceived(burst, burst.Length, calls.Length), c.Transport.Ref);
        var put = await queue.ExpectMsgAsync<LocalQueue.Put>(Answer);
        queue.Reply(new LocalQueue.MessagePut(put.Message.Descriptor));

        var answered = new List<int>();
        var credit = 0;
        while (answered.Count < 3 || credit < 3)
        {
            switch (await c.Transport.ReceiveOneAsync(Answer))
            {
                case Transport.Send send:
                    answered.Add(Assert.IsType<ClientResponse>(ChannelFrames.Decode(send.Frame.Span).Segment).Correlation);
                    break;
                case Transport.ResumeReading resume:
                    credit += resume.Frames;
                    break;
                case null:
                    Assert.Fail($"answers {string.Join(",", answered)} and {credit} frames of credit only");
                    break;
            }
        }

        Assert.Equal([_correlation - 2, _correlation - 1, _correlation], answered);
        // Each call's frame, and the open's if it was still held for a second call's.
        Assert.InRange(credit, 3, 4);
    }

    public new void Dispose()
    {
        base.Dispose();
        foreach (var journal in _journals)
        {
            journal.Dispose();
        }

        _dir.Dispose();
    }
}
