using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tls;

namespace ActorQm.Client;

/// <summary>
/// A connection to a queue manager over a server-connection channel (MQCONNX): TLS with the
/// queue manager's certificate validated as the channel's own peers are (chain, revocation,
/// SSLPEER) before the first byte of MQI flows. Calls are answered in order; failures are
/// <see cref="MqException"/> with MQ's reason code. One connection is one MQ connection handle:
/// use several for parallel work.
/// </summary>
public sealed class MqClient : IAsyncDisposable
{
    /// <summary>The activity source of the client's spans, one per MQI call (docs/operations.md, "Traces").</summary>
    public const string ActivitySourceName = "ActorQm.Client";

    // The largest message (100 MiB, MAXMSGL's maximum) with its descriptor and segment header.
    private const int MaxFrameBytes = 110 * 1024 * 1024;
    private readonly SslStream _stream;
    private readonly MqClientOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<ClientResponse>> _pending = new();
    private readonly ConcurrentDictionary<int, ReadAheadBuffer> _readAhead = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private int _nextCorrelation;
    private int _disposed;
    private volatile MqException? _broken;

    private MqClient(SslStream stream, MqClientOptions options, string qmgr, PeerIdentity peer, string cipherSpec, int maxMessageLength, bool readsTraceContext)
    {
        ReadsTraceContext = readsTraceContext;
        _stream = stream;
        _options = options;
        QueueManagerName = qmgr;
        MaxMessageLength = maxMessageLength;
        Peer = peer;
        CipherSpec = cipherSpec;
        _reader = ReadLoop();
    }

    public string QueueManagerName { get; }

    /// <summary>Who the queue manager proved to be.</summary>
    public PeerIdentity Peer { get; }

    public string CipherSpec { get; }

    /// <summary>Whether the queue manager said it reads a message's trace context (a release before it does not: puts then go without).</summary>
    internal bool ReadsTraceContext { get; }

    /// <summary>The server-connection channel this connection runs on.</summary>
    internal string ChannelName => _options.Channel;

    /// <summary>The longest message this connection may put: the smallest of the channel's and the queue manager's MAXMSGL, agreed at connect.</summary>
    public int MaxMessageLength { get; }

    public static async Task<MqClient> ConnectAsync(MqClientOptions options, CancellationToken cancel = default)
    {
        var repository = KeyRepositoryCache.Open(options.KeyRepository);
        var label = options.CertificateLabel ?? KeyRepository.DefaultClientLabel(Environment.UserName);
        // A label the key repository does not hold means no certificate is sent, as in MQ: the queue manager decides. If it refuses, say why locally.
        var hasLabel = repository.Labels.Contains(label);
        var credentials = hasLabel ? repository.Credentials(label) : repository.TrustOnly();
        var missing = hasLabel ? null
            : $"no certificate was sent: key repository {repository.Path} has no certificate labelled '{label}' (its labels: {(repository.Labels.Count == 0 ? "none" : string.Join(", ", repository.Labels.Order(StringComparer.Ordinal)))}; the default label is ibmwebspheremq followed by the user name)";
        var cipher = CipherSpecs.Select(options.CipherSpec)
            ?? throw new MqException(MqReason.SslInitializationError, $"AMQ9635E: '{options.CipherSpec}' is not a CipherSpec that can be used");
        var filter = options.SslPeer is { Length: > 0 } peerText ? DistinguishedNameFilter.Parse(peerText) : null;

        TcpClient tcp;
        try
        {
            var connected = await ChannelConnector.ConnectAsync([(options.Host, options.Port), .. options.AlternateAddresses], options.Timeout, cancel, options.LocalAddress).ConfigureAwait(false);
            tcp = connected.Client;
        }
        catch (ChannelConnector.ConnectFailedException e) when (e.ClosedByRemote)
        {
            throw new MqException(MqReason.ConnectionBroken, $"AMQ9665E: the queue manager closed the connection at once ({e.Message}); its log says why");
        }
        catch (ChannelConnector.ConnectFailedException e)
        {
            throw new MqException(MqReason.HostNotAvailable, $"AMQ9202E: remote host not available: {e.Message}");
        }

        var stream = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            // The same steps, codes and texts as the queue manager's handshake actor (docs/tls.md).
            var requirements = new PeerRequirements(cipher, filter);
            var verifier = new HandshakeVerifier(HandshakeRole.Initiator, credentials, requirements, options.Revocation);
            var (verified, failure) = await verifier.RunAsInitiatorAsync(stream, ChannelSni.Encode(options.Channel), cancel).ConfigureAwait(false);
            if (failure is not null)
            {
                throw new MqException(failure.Reason, $"{failure.AmqCode}: {verifier.Describe(failure)}");
            }

            var peer = verified!.Peer!;
            var negotiated = verified.Session.CipherSpec;
            await FrameStream.WriteAsync(stream, ChannelFrames.Encode(new InitialData(options.Channel, ChannelType.Client, options.QueueManager, 1, 104_857_600, 300, 999_999_999, options.CipherSpec, 0, 0, options.ApplicationName, ReadsTraceContext: true)), cancel).ConfigureAwait(false);
            var reply = await ReadSegment(stream, cancel).ConfigureAwait(false);
            return reply switch
            {
                InitialDataReply ok => new MqClient(stream, options, ok.QMgrName, peer, negotiated, ok.MaxMessageLength, ok.ReadsTraceContext),
                StatusSegment refused => throw new MqException((MqReason)refused.Reason, RemoteRefusal.Describe(refused, "the connection")),
                _ => throw new MqException(MqReason.ConnectionBroken, "AMQ9665E: the queue manager closed the connection during the initial data (its log says why)"),
            };
        }
        catch (MqException e) when (missing is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            tcp.Dispose();
            throw new MqException(e.Reason, $"{e.Detail}; {missing}");
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>MQOPEN for one of the usual purposes.</summary>
    public Task<MqClientQueue> OpenAsync(string queue, ClientOpenPurpose purpose, string queueManager = "") =>
        OpenAsync(queue, ClientProtocol.OptionsOf(purpose), queueManager);

    /// <summary>
    /// MQOPEN with any MQOO options: each needs its authority (docs/security.md, "Enforcement"). With
    /// <see cref="MqOpenOptions.AlternateUserAuthority"/>, <paramref name="alternateUserId"/> is the user the object is checked for.
    /// </summary>
    public async Task<MqClientQueue> OpenAsync(string queue, MqOpenOptions options, string queueManager = "", string alternateUserId = "")
    {
        var w = new FrameWriter();
        w.String(queue);
        w.String(queueManager);
        w.Int((int)options);
        w.String(alternateUserId);
        var body = await Call(ClientOp.Open, w.ToArray()).ConfigureAwait(false);
        var r = new FrameReader(body);
        var (handle, resolved, window) = (r.Int(), r.String(), r.Int());
        return new MqClientQueue(this, handle, resolved, options, window > 0 ? ReadAheadFor(handle, window) : null);
    }

    /// <summary>The buffer of a read-ahead handle; made by whichever comes first, the open's answer or the first messages sent ahead.</summary>
    private ReadAheadBuffer ReadAheadFor(int handle, int window = ServerWindow) => _readAhead.GetOrAdd(handle, _ => new ReadAheadBuffer(window));

    // The window a queue manager of this release uses, for messages that arrive before the open's answer is read.
    private const int ServerWindow = 64;

    internal void Closed(int handle) => _readAhead.TryRemove(handle, out _);

    /// <summary>MQPUT1: returns the descriptor as stored (MsgId, PutDateTime).</summary>
    public Task<MessageDescriptor> PutAsync(string queue, MqMessage message, bool syncpoint = false, string queueManager = "") =>
        PutAsync(queue, message, new ClientPutOptions { Syncpoint = syncpoint }, queueManager);

    /// <summary>MQPUT1 with put options: a context option is checked as the open option it implies (MQPMO_SET_ALL_CONTEXT needs SETALL).</summary>
    public async Task<MessageDescriptor> PutAsync(string queue, MqMessage message, ClientPutOptions options, string queueManager = "")
    {
        CheckLength(message);
        return ReadDescriptor(await Call(ClientOp.Put1, span =>
        {
            var w = new FrameWriter(message.Payload.Length + 400);
            w.String(queue);
            w.String(queueManager);
            options.Write(w, this, asyncResponse: false);
            ClientProtocol.WriteMessage(w, ClientTracing.Traced(message, span), ReadsTraceContext);
            return w.ToArray();
        }).ConfigureAwait(false));
    }

    /// <summary>MQCMIT: every put and get under syncpoint since the last commit or backout, in one journal transaction.</summary>
    public Task CommitAsync() => Call(ClientOp.Commit, []);

    /// <summary>MQBACK: puts under syncpoint vanish, gets under syncpoint go back (their backout count rises).</summary>
    public Task BackoutAsync() => Call(ClientOp.Backout, []);

    /// <summary>
    /// MQSC run by the queue manager's command server (like runmqsc -c); only over SYSTEM.ADMIN.SVRCONN. The answer holds
    /// the runmqsc text and the same results as data, command by command (deconstructs to the lines and the failed count).
    /// </summary>
    public async Task<MqscResponse> RunMqscAsync(string script)
    {
        var body = await Call(ClientOp.Mqsc, System.Text.Encoding.UTF8.GetBytes(script)).ConfigureAwait(false);
        try
        {
            return MqscResponse.Decode(body);
        }
        catch (InvalidDataException e)
        {
            throw new MqException(MqReason.UnexpectedError, $"AMQ9504E: {e.Message}");
        }
    }

    /// <summary>
    /// MQSTAT: the asynchronous puts (<see cref="MqClientQueue.PutWithoutResponseAsync"/>) the queue manager has handled since
    /// the last call, how many succeeded and failed, and the first failure; the counts start again from zero.
    /// </summary>
    public async Task<AsyncPutStatus> StatusAsync()
    {
        var body = await Call(ClientOp.Stat, []).ConfigureAwait(false);
        var r = new FrameReader(body);
        var (succeeded, failed, reason, detail) = (r.Int(), r.Int(), r.Int(), r.String());
        return new AsyncPutStatus(succeeded, failed, reason == 0 ? null : (MqReason)reason, detail);
    }

    /// <summary>Tells the queue manager the application took <paramref name="taken"/> more messages sent ahead on a handle.</summary>
    internal Task Acknowledge(int handle, int taken)
    {
        var w = new FrameWriter(8);
        w.Int(handle);
        w.Int(taken);
        return Send(ClientOp.Consumed, w.ToArray());
    }

    /// <summary>A call that is not answered (an asynchronous put): done once written.</summary>
    internal Task Send(ClientOp op, byte[] body)
    {
        if (_broken is { } broken)
        {
            throw new MqException(broken.Reason, broken.Message);
        }

        return WriteLocked(ChannelFrames.Encode(new ClientRequest(Interlocked.Increment(ref _nextCorrelation), op, body)));
    }

    internal Task<byte[]> Call(ClientOp op, byte[] body, TimeSpan? wait = null) => Call(op, body, static (_, body) => body, wait);

    /// <summary>A call whose body is written inside its span, so a put's message can carry the span's trace context.</summary>
    internal Task<byte[]> Call(ClientOp op, Func<System.Diagnostics.Activity?, byte[]> write, TimeSpan? wait = null) => Call(op, write, static (span, write) => write(span), wait);

    // The body is written from a state and a static function, so a call that has its body already allocates no closure.
    private async Task<byte[]> Call<TState>(ClientOp op, TState state, Func<System.Diagnostics.Activity?, TState, byte[]> write, TimeSpan? wait)
    {
        using var span = ClientTracing.StartCall(op, this);
        var body = write(span, state);
        if (_broken is { } broken)
        {
            throw new MqException(broken.Reason, broken.Message);
        }

        var correlation = Interlocked.Increment(ref _nextCorrelation);
        var answer = new TaskCompletionSource<ClientResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[correlation] = answer;
        try
        {
            await WriteLocked(ChannelFrames.Encode(new ClientRequest(correlation, op, body))).ConfigureAwait(false);
            var limit = wait == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : (wait ?? TimeSpan.Zero) + _options.Timeout;
            var response = await answer.Task.WaitAsync(limit).ConfigureAwait(false);
            if (response.Reason != 0)
            {
                span?.SetTag("actorqm.mqrc", response.Reason);
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, response.Detail);
                throw new MqException((MqReason)response.Reason, response.Detail);
            }

            return response.Body;
        }
        catch (TimeoutException)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "no answer");
            throw new MqException(MqReason.ConnectionBroken, $"no answer to {op} within {_options.Timeout} beyond its wait");
        }
        finally
        {
            _pending.TryRemove(correlation, out _);
        }
    }

    /// <summary>
    /// MQRC 2031 for a message longer than the MAXMSGL agreed at connect, before anything is sent: the queue manager's
    /// transport would cut a frame that long, and the connection with it (docs/protocol.md).
    /// </summary>
    internal void CheckLength(MqMessage message)
    {
        if (message.Payload.Length > MaxMessageLength)
        {
            throw new MqException(MqReason.MsgTooBigForQMgr,
                $"the message is {message.Payload.Length} bytes; queue manager {QueueManagerName} accepts at most {MaxMessageLength} on this channel (the smaller of the channel's and the queue manager's MAXMSGL)");
        }
    }

    internal static MessageDescriptor ReadDescriptor(byte[] body)
    {
        var r = new FrameReader(body);
        return ClientProtocol.ReadDescriptor(ref r) ?? throw new MqException(MqReason.UnexpectedError, "AMQ9504E: the queue manager answered the put with a malformed message descriptor");
    }

    private async Task WriteLocked(byte[] frame)
    {
        await _writeLock.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            await FrameStream.WriteAsync(_stream, frame, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw Break(new MqException(MqReason.ConnectionBroken, $"AMQ9206E: error sending to the queue manager: {e.Message}"));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                switch (await ReadSegment(_stream, _stop.Token).ConfigureAwait(false))
                {
                    case ClientResponse response when _pending.TryGetValue(response.Correlation, out var waiter):
                        waiter.TrySetResult(response);
                        break;
                    case ClientMessages ahead when !ReadAheadFor(ahead.Handle).Arrived(ahead):
                        Break(new MqException(MqReason.ConnectionBroken, "AMQ9504E: the queue manager sent a malformed frame of messages"));
                        return;
                    case Heartbeat { Reply: false }:
                        await WriteLocked(ChannelFrames.Encode(new Heartbeat(true))).ConfigureAwait(false);
                        break;
                    case StatusSegment status:
                        Break(new MqException((MqReason)status.Reason, $"{status.AmqCode}: {status.Text}"));
                        return;
                    case CloseSegment close:
                        Break(new MqException(MqReason.ConnectionBroken, $"the queue manager ended the connection ({close.Reason})"));
                        return;
                    case null:
                        Break(new MqException(MqReason.ConnectionBroken, "the queue manager closed the connection"));
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
        {
            Break(new MqException(MqReason.ConnectionBroken, $"connection to the queue manager lost: {e.Message}"));
        }
#pragma warning disable CA1031 // The reader is the only one who could tell waiting calls: whatever ends it must break them, never leave them hanging.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Break(new MqException(MqReason.ConnectionBroken, $"AMQ9504E: the connection ended on what the queue manager sent: {e.Message}"));
        }
    }

    private MqException Break(MqException reason)
    {
        _broken ??= reason;
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(new MqException(reason.Reason, reason.Message));
        }

        foreach (var buffer in _readAhead.Values)
        {
            buffer.Fail(new MqException(reason.Reason, reason.Message));
        }

        return reason;
    }

    /// <summary>The next segment, or null at end of stream; a malformed one is <see cref="InvalidDataException"/>.</summary>
    private static async Task<Segment?> ReadSegment(Stream stream, CancellationToken cancel)
    {
        var header = new byte[FrameStream.HeaderBytes];
        if (await FrameStream.ReadLengthAsync(stream, header, MaxFrameBytes, cancel).ConfigureAwait(false) is not { } length)
        {
            return null;
        }

        var frame = new byte[length];
        await stream.ReadExactlyAsync(frame, cancel).ConfigureAwait(false);
        var (segment, error) = ChannelFrames.Decode(frame);
        return segment ?? throw new InvalidDataException(error);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_broken is null)
        {
            try
            {
                // What the application took of the messages sent ahead is said first; the rest goes back to the queue.
                foreach (var (handle, buffer) in _readAhead)
                {
                    await buffer.FlushAsync(n => Acknowledge(handle, n)).ConfigureAwait(false);
                }

                await WriteLocked(ChannelFrames.Encode(new CloseSegment("client disconnected"))).ConfigureAwait(false);
            }
            catch (MqException)
            {
                // Already gone: nothing to tell the queue manager.
            }
        }

        Break(new MqException(MqReason.ConnectionBroken, "the connection was closed by the application"));
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _writeLock.Dispose();
        _stop.Dispose();
    }
}
