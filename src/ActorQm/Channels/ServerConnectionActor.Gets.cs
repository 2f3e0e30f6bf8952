using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;

namespace ActorQm.Channels;

/// <summary>
/// Calls served on the actor's own thread: MQGET and MQPUT on a handle are told to their queue and answered when
/// its reply comes to this actor, with no Ask, continuation or piped message per call (docs/protocol.md, "Serving
/// calls"). One call runs at a time, so at most one reply is awaited; a get's reply names its call.
/// </summary>
internal sealed partial class ServerConnectionActor
{
    private const string DeadlineTimer = "call-deadline";

    private long _calls;

    // The call whose queue has not answered yet.
    private PendingCall? _pending;

    public ITimerScheduler Timers { get; set; } = null!;

    private void ReceiveQueueReplies()
    {
        Receive<LocalQueue.MessagePut>(PutReplied);
        Receive<LocalQueue.PutRejected>(PutReplied);
        Receive<LocalQueue.PutStaged>(PutReplied);
        Receive<LocalQueue.StagedPutRejected>(PutReplied);
        Receive<LocalQueue.MessageGot>(got =>
        {
            if (_pending is PendingGet p && p.Call == got.Call)
            {
                _pending = null;
                Answer answer;
                try
                {
                    answer = GetAnswer(p, got);
                }
                catch (Exception e)
                {
                    // An answer that cannot be built is 2195 and the message stays on the queue; the connection goes on.
                    p.Queue.Tell(new LocalQueue.ReleaseGets([got.Token]), _self);
                    answer = new Answer(p.Correlation, (int)MqReason.UnexpectedError, e.Message, []);
                }

                Answered(answer);
                return;
            }

            // Not the get this connection waits for (none is, once a deadline has ended it): nothing may keep it.
            if (got.Token != 0)
            {
                Sender.Tell(new LocalQueue.ReleaseGets([got.Token]), _self);
            }
        });
        Receive<LocalQueue.GetRejected>(no =>
        {
            if (_pending is PendingGet p && p.Call == no.Call)
            {
                _pending = null;
                Answered(new Answer(p.Correlation, (int)no.Reason, no.Detail, []));
            }
        });
        Receive<CheckDeadline>(_ =>
        {
            if (_pending is null || _pending.Deadline == long.MaxValue)
            {
                Timers.Cancel(DeadlineTimer);
            }
            else if (Environment.TickCount64 > _pending.Deadline)
            {
                var correlation = _pending.Correlation;
                _pending = null;
                NotAnswered(correlation);
            }
        });
        Receive<CallTimedOut>(t => NotAnswered(t.Correlation));
    }

    /// <summary>
    /// A call the queue manager did not answer in time has an unknown outcome (a put may still happen, an open may still
    /// register its handle): the connection ends, as a broken one would, so no late reply is taken for a later call and the
    /// unit of work is backed out.
    /// </summary>
    private void NotAnswered(int correlation)
    {
        if (_brokeProtocol)
        {
            return;
        }

        var detail = $"the queue manager did not answer call {correlation} within {Timeout.TotalSeconds:0} s";
        _log.Error("AMQ9999E: client connection {0} on channel {1} ended abnormally: {2}", _statusKey, _channel, detail);
        _brokeProtocol = true;
        _waiting.Clear();
        Send(new StatusSegment("AMQ9999E", (int)MqReason.ConnectionBroken, detail));
        _transport.Tell(Transport.Close.Instance);
    }

    private void PutReplied(object reply)
    {
        if (_pending is PendingPut p)
        {
            _pending = null;
            Answer answer;
            try
            {
                answer = PutAnswer(p.Correlation, p.Queue, reply);
            }
            catch (Exception e)
            {
                answer = new Answer(p.Correlation, (int)MqReason.UnexpectedError, e.Message, []);
            }

            Answered(p.Async ? answer with { Asynchronous = true } : answer);
        }
        else
        {
            _log.Debug("client connection {0}: a put reply {1} for no call", _statusKey, reply.GetType().Name);
        }
    }

    private void Await(PendingCall pending)
    {
        _pending = pending;
        if (pending.Deadline != long.MaxValue && !Timers.IsTimerActive(DeadlineTimer))
        {
            // Checked now and then, not timed per call: a late answer is found within a quarter of the timeout.
            Timers.StartPeriodicTimer(DeadlineTimer, CheckDeadline.Instance, Timeout / 4);
        }
    }

    /// <summary>When a call waiting <paramref name="wait"/> at its queue has waited too long: never, for an unlimited wait.</summary>
    private long Deadline(TimeSpan wait) =>
        wait == System.Threading.Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)(wait + Timeout).TotalMilliseconds;

    /// <summary>MQGET (or a browse) on a handle.</summary>
    /// <returns>The refusal, or null once the get is on its way to its queue.</returns>
    private Answer? Get(int c, GetCall get)
    {
        var browse = get.Flags.HasFlag(ClientGetFlags.BrowseFirst) || get.Flags.HasFlag(ClientGetFlags.BrowseNext);
        if (!_handles.TryGetValue(get.Handle, out var h))
        {
            return new Answer(c, (int)MqReason.ObjectHandleError, "MQRC_HOBJ_ERROR: no such handle on this connection", []);
        }

        if (browse ? !h.Options.HasFlag(MqOpenOptions.Browse) : (h.Options & MqOpenOptions.Input) == 0)
        {
            return browse
                ? new Answer(c, (int)MqReason.NotOpenForBrowse, "MQRC_NOT_OPEN_FOR_BROWSE: the handle was opened without MQOO_BROWSE", [])
                : new Answer(c, (int)MqReason.NotOpenForInput, "MQRC_NOT_OPEN_FOR_INPUT: the handle was opened without an MQOO_INPUT_* option", []);
        }

        if (!browse && get.Flags.HasFlag(ClientGetFlags.Syncpoint) && UnitOfWorkFull(c) is { } full)
        {
            return full;
        }

        var options = new GetOptions
        {
            Wait = get.WaitMs < 0 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(get.WaitMs),
            MsgId = get.MsgId,
            CorrelId = get.CorrelId,
            // Even a get outside syncpoint is taken under syncpoint: it is removed once its answer is written.
            Syncpoint = !browse,
            BrowseAfter = get.Flags.HasFlag(ClientGetFlags.BrowseFirst) ? BrowseCursor.Start
                : get.Flags.HasFlag(ClientGetFlags.BrowseNext) ? _cursors.GetValueOrDefault(get.Handle, BrowseCursor.Start) : null,
        };
        var call = ++_calls;
        h.Handle.Queue.Tell(new LocalQueue.Get(options, _self) { Call = call }, _self);
        Await(new PendingGet(c, Deadline(options.Wait), call, get, h.Handle.Queue, h.Options, browse));
        return null;
    }

    private Answer GetAnswer(PendingGet p, LocalQueue.MessageGot got)
    {
        var c = p.Correlation;
        if (got.Message.Payload.Length + ReplyOverhead > _limits.MaxReplyBytes)
        {
            // Not taken: the message stays where it was, as MQ leaves it with 2010 on a client channel.
            p.Queue.Tell(new LocalQueue.ReleaseGets([got.Token]), _self);
            return new Answer(c, (int)MqReason.DataLengthError, $"MQRC_DATA_LENGTH_ERROR: a message of {got.Message.Payload.Length} bytes does not fit this channel's frame limit of {_limits.MaxReplyBytes} bytes; it stays on the queue", []);
        }

        if (!p.Browse && p.Options.HasFlag(MqOpenOptions.SaveAllContext))
        {
            _savedContext[p.Get.Handle] = got.Message.Descriptor;
        }

        (IActorRef, long)? afterWrite = null;
        if (p.Browse)
        {
            _cursors[p.Get.Handle] = got.Cursor;
        }
        else if (!p.Get.Flags.HasFlag(ClientGetFlags.Syncpoint))
        {
            afterWrite = (p.Queue, got.Token);
        }
        else
        {
            if (!_uowGets.TryGetValue(p.Queue, out var tokens))
            {
                _uowGets[p.Queue] = tokens = [];
            }

            tokens.Add(got.Token);
            _uncommitted++;
        }

        var w = new FrameWriter(got.Message.Payload.Length + 300);
        ClientProtocol.WriteMessage(w, got.Message, _clientReadsTrace);
        return new Answer(c, 0, string.Empty, w.ToArray()) { AfterWrite = afterWrite };
    }

    /// <param name="Deadline">When, in <see cref="Environment.TickCount64"/> milliseconds, the call has waited too long.</param>
    private abstract record PendingCall(int Correlation, long Deadline);

    private sealed record PendingPut(int Correlation, long Deadline, IActorRef Queue, bool Async) : PendingCall(Correlation, Deadline);

    private sealed record PendingGet(int Correlation, long Deadline, long Call, GetCall Get, IActorRef Queue, MqOpenOptions Options, bool Browse) : PendingCall(Correlation, Deadline);

    /// <summary>A call served off the thread (open, MQPUT1, commit, MQSC) whose Ask gave up.</summary>
    private sealed record CallTimedOut(int Correlation);

    private sealed record CheckDeadline
    {
        public static readonly CheckDeadline Instance = new();
    }
}
