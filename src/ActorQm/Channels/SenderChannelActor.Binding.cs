using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Channels.Channel;

namespace ActorQm.Channels;

/// <summary>A sending channel's start: connect, handshake, initial data, and settling an in-doubt batch with the partner.</summary>
internal sealed partial class SenderChannelActor
{
    private void Connect()
    {
        var addresses = Def.ConnectAddresses;
        var self = Self;
        _ = Task.Run(async () =>
        {
            try
            {
                self.Tell(await ChannelConnector.ConnectAsync(addresses, TimeSpan.FromSeconds(30)).ConfigureAwait(false));
            }
            catch (ChannelConnector.ConnectFailedException e)
            {
                self.Tell(new ConnectFailed(e.Message));
            }
        });
    }

    private IActorRef OpenTransport(ChannelConnector.Connected connected)
    {
        var id = $"{Def.Name}-{++_nextConnection}";
        var conName = $"{connected.Host}({connected.Port})";
        _board.Update(Def.Name, s => s with { ConName = conName });
        if (_start.Requirements is null)
        {
            // No SSLCIPH and tls.development-channels-in-the-clear: no TLS at all (docs/tls.md, "Plaintext channels").
            return Context.ActorOf(Transport.InTheClear(id, connected.Client.GetStream(), Self, _start.TransportSettings), "connection-" + _nextConnection);
        }

        var request = new Handshake.StartHandshake(id, HandshakeRole.Initiator, connected.Client.GetStream(), ChannelSni.Encode(Def.Name), _start.Credentials, _start.Requirements, ActorRefs.Nobody)
        {
            Revocation = _start.Revocation,
            ConnectionName = conName,
            ChannelName = Def.Name,
        };
        return Context.ActorOf(Transport.Props(request, _handshakes, Self, _start.TransportSettings), "connection-" + _nextConnection);
    }

    /// <summary>No SSLCIPH here: the partner is told in the clear and refuses (AMQ9639E there); this end reports AMQ9641E and retries.</summary>
    private State<ChannelState, SenderData> CallInTheClear(ChannelConnector.Connected connected)
    {
        var id = $"{Def.Name}-{++_nextConnection}";
        _board.Update(Def.Name, s => s with { ConName = $"{connected.Host}({connected.Port})" });
        var hello = Hello();
        var self = Self;
        _ = Task.Run(async () =>
        {
            using var client = connected.Client;
            var failure = await PlaintextChannel.CallAsync(client.GetStream(), hello, CancellationToken.None).ConfigureAwait(false);
            self.Tell(new Handshake.HandshakeFailed(id, failure.Step, failure.AmqCode, failure.Reason, failure.Detail, null));
        });
        return Stay();
    }

    private InitialData Hello()
    {
        var record = _sync.Get(Def.Name);
        return new InitialData(Def.Name, Def.WireType, _start.QMgrName, Def.BatchSize, Def.MaxMessageLength,
            (int)Def.HeartbeatInterval.TotalSeconds, Def.SequenceWrap, Def.SslCiph, record.LastSeq, record.InDoubtSeq, FastNonPersistent: Def.FastNonPersistent, ReadsTraceContext: true, Pipelines: true);
    }

    private State<ChannelState, SenderData> SendInitialData(Transport.Connected connected, SenderData data)
    {
        var hs = connected.Session;
        // A new connection starts with an empty send queue; a read held for the previous one belonged to its session.
        (_sendQueueFull, _heldAsk, _fastUnwritten) = (false, null, 0);
        _board.Update(Def.Name, s => s with
        {
            SslCipherSpec = hs.CipherSpec,
            SslPeer = hs.Peer?.Subject.ToString() ?? string.Empty,
            SslCertIssuer = hs.Peer?.Issuer.ToString() ?? string.Empty,
            SslCertSerial = hs.Peer?.Serial ?? string.Empty,
        });
        Send(data, Hello());
        SetTimer(ReplyTimer, ReplyTimedOut.Instance, ReplyTimeout);
        return Stay();
    }

    private State<ChannelState, SenderData> OnBindingFrame(Transport.FrameReceived frame, SenderData data)
    {
        var segment = Read(frame, data);
        switch (segment)
        {
            case InitialDataReply reply:
                CancelTimer(ReplyTimer);
                _batchSize = Math.Min(Def.BatchSize, reply.BatchSize);
                _fast = Def.FastNonPersistent && reply.FastNonPersistent;
                _partnerReadsTrace = reply.ReadsTraceContext;
                _pipeline = reply.Pipelines ? _start.PipelineLength : 1;
                _board.Update(Def.Name, s => s with { RemoteQMgr = reply.QMgrName, NpmSpeed = ChannelStatus.NpmSpeedOf(_fast) });
                return SettleInDoubt(reply.LastCommittedSeq, data);
            case StatusSegment status:
                return Fail(data, RemoteRefusal.CodeAtInitiator(status.AmqCode), RemoteRefusal.Detail(status, "the channel"));
            case null:
                return Stay();
            default:
                return ProtocolError(data, $"unexpected {segment.GetType().Name} during initial data");
        }
    }

    /// <summary>A requester called: agree the limits, then settle by the number it reported, as a sender does with its receiver's.</summary>
    private State<ChannelState, SenderData> AnswerRequester(InitialData hello, SenderData data)
    {
        var hs = _inbound!.Session;
        _batchSize = Math.Min(Def.BatchSize, hello.BatchSize);
        _fast = Def.FastNonPersistent && hello.FastNonPersistent;
        _partnerReadsTrace = hello.ReadsTraceContext;
        _pipeline = hello.Pipelines ? _start.PipelineLength : 1;
        _board.Update(Def.Name, s => s with
        {
            RemoteQMgr = hello.QMgrName,
            NpmSpeed = ChannelStatus.NpmSpeedOf(_fast),
            SslCipherSpec = hs.CipherSpec,
            SslPeer = hs.Peer?.Subject.ToString() ?? string.Empty,
            SslCertIssuer = hs.Peer?.Issuer.ToString() ?? string.Empty,
            SslCertSerial = hs.Peer?.Serial ?? string.Empty,
        });
        Send(data, new InitialDataReply(_start.QMgrName, _batchSize, Math.Min(Def.MaxMessageLength, hello.MaxMessageLength),
            Math.Max(hello.HeartbeatSeconds, (int)Def.HeartbeatInterval.TotalSeconds), _sync.Get(Def.Name).LastSeq, _fast, ReadsTraceContext: hello.ReadsTraceContext, Pipelines: hello.Pipelines));
        return SettleInDoubt(hello.LastCommittedSeq, data);
    }

    /// <summary>
    /// The receiver's last committed number says how many of the in-doubt batches arrived (docs/protocol.md, "Pipelining"):
    /// those are removed from the transmission queue in one transaction with the record that nothing is in doubt any more;
    /// the rest, still on the queue, are sent again from the next number.
    /// </summary>
    private State<ChannelState, SenderData> SettleInDoubt(long partnerLastSeq, SenderData data)
    {
        var record = _sync.Get(Def.Name);
        if (record.SettleAt(partnerLastSeq, Def.SequenceWrap) is not { } settlement)
        {
            return Fail(data, "AMQ9526E", $"message sequence number error: this end last committed {record.LastSeq}{(record.IsInDoubt ? $" with batches to {record.InDoubtSeq} in doubt" : string.Empty)}, the remote end {partnerLastSeq}; RESET CHANNEL or RESOLVE CHANNEL");
        }

        var (arrived, settled) = settlement;
        _nextSeq = NextAfter(partnerLastSeq);
        if (!record.IsInDoubt)
        {
            return EnterRunning(data);
        }

        if (arrived.Count == 0)
        {
            _log.Info("AMQ9548I: channel {0}: in-doubt batches to {1} never reached the remote end; sending them again.", Def.Name, record.InDoubtSeq);
            _sync.Save(settled, ActorRefs.Nobody, null);
            return EnterRunning(data);
        }

        _log.Info("AMQ9548I: channel {0}: in-doubt batches to {1} were committed by the remote end ({2} messages){3}; removing them from {4}.",
            Def.Name, partnerLastSeq, arrived.Count, partnerLastSeq == record.InDoubtSeq ? string.Empty : $", those after it never reached it and are sent again", Def.XmitQ);
        var parts = arrived.Select(key => JournalOp.Delete(key, null, null)).Append(ChannelSyncStore.Record(settled)).ToList();
        _sync.Remember(settled);
        _sync.Enqueue(JournalOp.Unit(parts, Self.Tell, null));
        _start.XmitQueue.Tell(new LocalQueue.Discard(arrived));
        return Stay();
    }

    private State<ChannelState, SenderData> EnterRunning(SenderData data)
    {
        _log.Info("AMQ9002I: channel {0} is starting (to {1}({2})).", Def.Name, Def.Host, Def.Port);
        _board.Update(Def.Name, s => s with { InDoubt = false, LastError = string.Empty });
        return GoTo(ChannelState.Running).Using(Next(data with { Attempts = 0, LastError = null, Idle = TimeSpan.Zero, Asking = false }));
    }
}
