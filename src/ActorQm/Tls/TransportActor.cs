using System.Buffers;
using System.Net.Security;
using ActorQm.Diagnostics;
using ActorQm.Protocol;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.Transport;
using TransportSettings = ActorQm.Tls.Transport.Settings;

namespace ActorQm.Tls;

/// <summary>
/// Owns one connection: waits for its handshake (no bytes are read or written for the owner until
/// the peer is accepted), then moves length-prefixed frames: reads into pooled buffers only as far
/// as the owner's credit allows, writes queued frames in batches through one pooled buffer, and
/// closes cleanly (close_notify) or on error with the reason. The send queue is bounded in bytes:
/// over the bound nothing more is read (so no call and no heartbeat adds to it) and the owner is told;
/// a peer that takes no byte for the slow-reader timeout meanwhile is cut off (docs/protocol.md).
/// </summary>
internal sealed partial class TransportActor : ReceiveActor, IWithTimers
{
    private const string RecheckTimer = "revocation-recheck";
    private const string SlowReaderTimer = "slow-reader";
    private const int HeaderBytes = FrameStream.HeaderBytes;
    // Null for a connection in the clear (development only), which has no handshake to walk.
    private readonly Handshake.StartHandshake? _handshake;
    private readonly IActorRef? _handshakes;
    private readonly string _connectionId;
    private readonly Stream? _inTheClear;
    // Written only by this actor; read by the reading loop, which picks up a redirect for the next frame.
    private volatile IActorRef _owner;
    private readonly TransportSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReadCredit _credit = new();
    // Set by this actor, read by the reading loop: which frames the owner takes in runs (Transport.ReadInBursts).
    private volatile FramePredicate? _burst;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<Outgoing> _pending = new();
    // Queued and being written; over MaxSendQueueBytes the reading loop waits on _full until the peer has taken enough.
    private long _queuedBytes;
    private volatile TaskCompletionSource? _full;
    private long _progressAt;
    private Stream? _stream;
    private bool _writing;
    private bool _closing;
    private bool _closed;
    private IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> _peerChain = [];
    private RevocationSettings _revocation = RevocationSettings.None;

    public TransportActor(Handshake.StartHandshake handshake, IActorRef handshakes, IActorRef owner, TransportSettings settings)
    {
        _handshake = handshake with { ReplyTo = Self };
        _handshakes = handshakes;
        _connectionId = handshake.ConnectionId;
        _owner = owner;
        _settings = settings;
        Become(Handshaking);
    }

    /// <summary>A connection in the clear (development only, <see cref="Transport.InTheClear"/>): no handshake, no peer.</summary>
    public TransportActor(string connectionId, Stream stream, IActorRef owner, TransportSettings settings)
    {
        _connectionId = connectionId;
        _inTheClear = stream;
        _owner = owner;
        _settings = settings;
        Become(Handshaking);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        if (_inTheClear is { } stream)
        {
            _log.Warning("connection {0} runs IN THE CLEAR (tls.development-channels-in-the-clear): no encryption, no peer identity; never use this setting in production", _connectionId);
            Self.Tell(new Handshake.HandshakeSucceeded(Handshake.PeerSession.Clear(_connectionId, TimeSpan.Zero), stream));
            return;
        }

        _handshakes!.Tell(_handshake!);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _stop.Cancel();
        while (_pending.TryDequeue(out var unsent))
        {
            unsent.Owner?.Dispose();
        }

        // A connection in the clear stopped before it opened still holds its socket in _inTheClear.
        (_stream ?? _inTheClear)?.Dispose();
        _stop.Dispose();
    }

    private void Handshaking()
    {
        Receive<Handshake.HandshakeSucceeded>(ok =>
        {
            _stream = ok.Stream;
            _peerChain = ok.Session.Chain;
            _revocation = ok.Session.Revocation ?? _handshake?.Revocation ?? RevocationSettings.None;
            _owner.Tell(new Connected(ok.Session));
            if (_settings.RevocationRecheck is { } every && _peerChain.Count > 1 && _revocation.ChecksAnything)
            {
                Timers.StartPeriodicTimer(RecheckTimer, Recheck.Instance, every);
            }

            _credit.Give(_settings.InitialReadCredit);
            ReadFrames(_stream).PipeTo(Self);
            if (_peerChain.Count > 0)
            {
                Context.System.EventStream.Subscribe(Self, typeof(RevokedCertificates.CertificateRevoked));
            }

            Become(Open);
        });
        Receive<Handshake.HandshakeFailed>(failed =>
        {
            _owner.Tell(failed);
            Context.Stop(Self);
        });
        Receive<Close>(_ =>
        {
            _owner.Tell(new ConnectionClosed(null, "closed before the handshake completed"));
            Context.Stop(Self);
        });
    }

    private void Open()
    {
        Receive<Send>(send =>
        {
            if (_closing)
            {
                return;
            }

            if (send.Frame.Length > _settings.MaxFrameBytes)
            {
                _log.Error("AMQ9504E: refusing to send a frame of {0} bytes (maximum {1}) on {2}", send.Frame.Length, _settings.MaxFrameBytes, _connectionId);
                return;
            }

            Enqueue(new Outgoing(send.Frame, Framed: false, null, send.Ack));
        });
        Receive<SendFrames>(frames =>
        {
            if (_closing)
            {
                frames.Dispose();
                return;
            }

            Enqueue(new Outgoing(frames.Buffer.Memory[..frames.Length], Framed: true, frames, frames.Ack));
        });
        Receive<WriteDone>(done =>
        {
            _writing = false;
            _queuedBytes -= done.Bytes;
            foreach (var ack in done.Acks)
            {
                _owner.Tell(ack);
            }

            if (done.Error is not null)
            {
                Shut("AMQ9206E", $"error sending data to the remote end: {done.Error.Message}");
                return;
            }

            CheckBound();
            WriteNext();
        });
        Receive<ResumeReading>(r => _credit.Give(Math.Max(0, r.Frames)));
        Receive<ReadInBursts>(r => _burst = r.Burst);
        // A new owner takes frames one by one until it asks for bursts itself.
        Receive<Redirect>(r => (_owner, _burst) = (r.Owner, null));
        // A re-check asks the sources, not the caches: an answer cached at the handshake would hide a revocation until its nextUpdate.
        Receive<Recheck>(_ => RevocationChecker.CheckAsync(_peerChain, _revocation with { Fresh = true }, DateTimeOffset.UtcNow, _stop.Token)
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new RevocationAnswer(RevocationStatus.Unknown, "re-check", "re-check did not complete", null), TaskScheduler.Default)
            .PipeTo(Self));
        Receive<RevocationAnswer>(answer =>
        {
            // Only a definitive REVOKED ends a running connection; an unreachable source is retried next time.
            if (answer.Status == RevocationStatus.Revoked)
            {
                Shut("AMQ9633E", $"the remote certificate was revoked while the connection ran: {answer.Detail}");
            }
        });
        Receive<RevokedCertificates.CertificateRevoked>(revoked =>
        {
            // Beyond MQ: a peer revoked while its connection runs (REVOKE CERT, the cluster) is cut off at once.
            var key = revoked.Certificate.Key();
            if (_peerChain.Any(c => RevokedCertificate.Key(PeerName.Issuer(c), c.SerialNumber) == key))
            {
                Shut("AMQ9633E", $"the remote certificate (serial {revoked.Certificate.Serial}) was revoked while the connection ran ({revoked.Certificate.Source})");
            }
        });
        Receive<SlowReaderCheck>(_ =>
        {
            // Over the bound, or under it with a write that does not complete (a sender that keeps little unwritten, a
            // peer with a closed window): a peer that takes nothing for the timeout is cut off either way.
            var idle = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _progressAt));
            if ((_full is not null || _writing) && idle >= SlowReaderTimeout)
            {
                var bound = _full is not null ? $" (over the send queue bound of {_settings.MaxSendQueueBytes} bytes)" : string.Empty;
                Shut("AMQ9206E", $"error sending data to the remote end: a slow reader, it took no data for {idle.TotalSeconds:0.#} s while {_queuedBytes} bytes waited to be sent{bound}; disconnected");
            }
            else if (_full is null && !_writing)
            {
                Timers.Cancel(SlowReaderTimer);
            }
        });
        Receive<ReadEnded>(ended => Shut(ended.AmqCode, ended.Reason));
        Receive<Status.Failure>(f => Shut("AMQ9208E", $"connection failed: {f.Cause.GetBaseException().Message}"));
        Receive<Close>(_ =>
        {
            _closing = true;
            WriteNext();
        });
    }

    private void Enqueue(Outgoing outgoing)
    {
        _pending.Enqueue(outgoing);
        _queuedBytes += outgoing.Bytes;
        CheckBound();
        WriteNext();
    }

    private TimeSpan SlowReaderTimeout => _settings.SlowReaderTimeout ?? TransportSettings.DefaultSlowReaderTimeout;

    /// <summary>Over the bound: stop reading and tell the owner; back within it: read again.</summary>
    private void CheckBound()
    {
        if (_queuedBytes > _settings.MaxSendQueueBytes && _full is null)
        {
            _full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            WatchProgress();
            _owner.Tell(new SendQueueFull(_queuedBytes));
        }
        else if (_queuedBytes <= _settings.MaxSendQueueBytes && _full is { } full)
        {
            _full = null;
            full.TrySetResult();
            _owner.Tell(SendQueueDrained.Instance);
        }
    }

    /// <summary>A write starts or the send queue went over its bound: the slow-reader check counts from now (it stops itself once nothing waits to be written).</summary>
    private void WatchProgress()
    {
        Interlocked.Exchange(ref _progressAt, Environment.TickCount64);
        if (!Timers.IsTimerActive(SlowReaderTimer))
        {
            var every = SlowReaderTimeout / 4;
            Timers.StartPeriodicTimer(SlowReaderTimer, SlowReaderCheck.Instance, every < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : every);
        }
    }

    private void WriteNext()
    {
        if (_writing)
        {
            return;
        }

        if (_pending.Count == 0)
        {
            if (_closing)
            {
                _writing = true;
                ShutdownGracefully().PipeTo(Self, success: () => new ReadEnded(null, "closed by the local end"));
            }

            return;
        }

        var batch = new List<Outgoing>();
        var bytes = 0;
        while (_pending.TryPeek(out var next) && (batch.Count == 0 || bytes + next.Bytes <= _settings.WriteBatchBytes))
        {
            batch.Add(_pending.Dequeue());
            bytes += next.Bytes;
        }

        _writing = true;
        WatchProgress();
        WriteBatch(_stream!, batch, bytes).PipeTo(Self);
    }

    private async Task<WriteDone> WriteBatch(Stream stream, List<Outgoing> batch, int bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var offset = 0;
            foreach (var send in batch)
            {
                if (!send.Framed)
                {
                    FrameStream.WriteHeader(buffer.AsSpan(offset), send.Data.Length);
                    offset += HeaderBytes;
                }

                send.Data.Span.CopyTo(buffer.AsSpan(offset));
                offset += send.Data.Length;
                send.Owner?.Dispose();
            }

            // In pieces, so a large frame shows whether the peer is taking anything (the slow-reader check).
            for (var written = 0; written < bytes;)
            {
                var piece = Math.Min(bytes - written, _settings.WriteBatchBytes);
                await stream.WriteAsync(buffer.AsMemory(written, piece), _stop.Token).ConfigureAwait(false);
                written += piece;
                Interlocked.Exchange(ref _progressAt, Environment.TickCount64);
            }

            await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
            return new WriteDone(batch.Where(s => s.Ack is not null).Select(s => s.Ack!).ToList(), null, bytes);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            return new WriteDone([], e, bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ShutdownGracefully()
    {
        try
        {
            // TLS close_notify; a connection in the clear just closes.
            if (_stream is SslStream tls)
            {
                await tls.ShutdownAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The peer is already gone; closing is all that is left to do.
        }
    }

    private void Shut(string? code, string reason)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (code is not null)
        {
            _log.Amq(code, "connection {0}: {1}", _connectionId, reason);
        }

        _owner.Tell(new ConnectionClosed(code, reason));
        Context.Stop(Self);
    }

    private sealed record Recheck
    {
        public static readonly Recheck Instance = new();
    }

    // The read and write loops end after the actor when it stops first: their last word is no dead letter.
    private sealed record WriteDone(IReadOnlyList<object> Acks, Exception? Error, int Bytes) : IDeadLetterSuppression;

    private sealed record SlowReaderCheck
    {
        public static readonly SlowReaderCheck Instance = new();
    }

    private sealed record ReadEnded(string? AmqCode, string Reason) : IDeadLetterSuppression;

    /// <summary>Bytes to write: one frame (its header is added), or frames laid out with theirs in a pooled buffer.</summary>
    private readonly record struct Outgoing(ReadOnlyMemory<byte> Data, bool Framed, IDisposable? Owner, object? Ack)
    {
        public int Bytes => Framed ? Data.Length : HeaderBytes + Data.Length;
    }
}
