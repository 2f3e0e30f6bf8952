using ActorQm.Messages;
using ActorQm.Protocol;

namespace ActorQm.Client;

/// <summary>What to get: wait, match and syncpoint (MQGMO/MQMD match fields).</summary>
public sealed record ClientGetOptions
{
    public static readonly ClientGetOptions NoWait = new();

    /// <summary>Zero: no wait; <see cref="Timeout.InfiniteTimeSpan"/>: forever.</summary>
    public TimeSpan Wait { get; init; }

    public MqId? MsgId { get; init; }

    public MqId? CorrelId { get; init; }

    /// <summary>Under syncpoint: removed at <see cref="MqClient.CommitAsync"/>, returned at backout or if the connection ends.</summary>
    public bool Syncpoint { get; init; }
}

/// <summary>MQPMO: syncpoint and the message context (docs/security.md, "Message context").</summary>
public sealed record ClientPutOptions
{
    /// <summary>Under syncpoint: visible at <see cref="MqClient.CommitAsync"/>, gone at backout or if the connection ends.</summary>
    public bool Syncpoint { get; init; }

    /// <summary>Which context the message carries; anything but the default needs the matching open option on the handle.</summary>
    public MqPutContext Context { get; init; }

    /// <summary>For <see cref="MqPutContext.PassIdentity"/> and <see cref="MqPutContext.PassAll"/>: the queue opened with
    /// <see cref="MqOpenOptions.SaveAllContext"/> whose last got message's context is passed on.</summary>
    public MqClientQueue? ContextFrom { get; init; }

    internal void Write(FrameWriter w, MqClient client, bool asyncResponse)
    {
        w.Byte(ClientProtocol.PutFlags(Syncpoint, asyncResponse, Context));
        if (ClientProtocol.Passes(Context))
        {
            if (ContextFrom is not { } from || !from.BelongsTo(client))
            {
                throw new ArgumentException("a pass-context put needs ContextFrom: a queue opened on this connection", nameof(ContextFrom));
            }

            w.Int(from.Handle);
        }
    }
}

/// <summary>What MQSTAT reports of the asynchronous puts since it was last asked: counts, and the first failure with its reason.</summary>
public sealed record AsyncPutStatus(int Succeeded, int Failed, MqReason? FirstFailure, string FirstFailureDetail);

/// <summary>An opened queue (MQHOBJ) on a client connection.</summary>
public sealed class MqClientQueue
{
    private readonly MqClient _client;

    private readonly ReadAheadBuffer? _ahead;

    internal MqClientQueue(MqClient client, int handle, string resolvedName, MqOpenOptions options, ReadAheadBuffer? ahead)
    {
        _client = client;
        Handle = handle;
        ResolvedName = resolvedName;
        Options = options;
        _ahead = ahead;
    }

    /// <summary>Whether the queue manager sends messages ahead of this handle's gets (MQOO_READ_AHEAD or the queue's DEFREADA(YES)).</summary>
    public bool ReadsAhead => _ahead is not null;

    /// <summary>The local queue the name resolved to (a transmission queue for a remote destination).</summary>
    public string ResolvedName { get; }

    /// <summary>The MQOO options it was opened with.</summary>
    public MqOpenOptions Options { get; }

    internal int Handle { get; }

    internal bool BelongsTo(MqClient client) => ReferenceEquals(client, _client);

    /// <summary>Tells the queue manager the application took so many more of the messages sent ahead on this handle.</summary>
    private Task Acknowledge(int taken) => _client.Acknowledge(Handle, taken);

    public Task<MessageDescriptor> PutAsync(MqMessage message, bool syncpoint = false) => PutAsync(message, new ClientPutOptions { Syncpoint = syncpoint });

    /// <summary>MQPUT with put options (syncpoint, message context).</summary>
    public async Task<MessageDescriptor> PutAsync(MqMessage message, ClientPutOptions options)
    {
        _client.CheckLength(message);
        return MqClient.ReadDescriptor(await _client.Call(ClientOp.Put, span =>
        {
            var w = new FrameWriter(message.Payload.Length + 300);
            w.Int(Handle);
            options.Write(w, _client, asyncResponse: false);
            ClientProtocol.WriteMessage(w, ClientTracing.Traced(message, span), _client.ReadsTraceContext);
            return w.ToArray();
        }).ConfigureAwait(false));
    }

    /// <summary>
    /// MQPUT with MQPMO_ASYNC_RESPONSE: the message is sent and the task completes once it is written, without waiting for
    /// the queue manager's answer; puts stay in order with every other call of this connection. A put the queue manager
    /// refuses is counted, and <see cref="MqClient.StatusAsync"/> (MQSTAT) says how many failed and why the first did:
    /// call it before <see cref="MqClient.CommitAsync"/> when the puts are under syncpoint.
    /// </summary>
    public async Task PutWithoutResponseAsync(MqMessage message, bool syncpoint = false)
    {
        _client.CheckLength(message);
        using var span = ClientTracing.StartCall(ClientOp.Put, _client);
        var w = new FrameWriter(message.Payload.Length + 300);
        w.Int(Handle);
        w.Byte(ClientProtocol.PutFlags(syncpoint, asyncResponse: true, MqPutContext.Default));
        ClientProtocol.WriteMessage(w, ClientTracing.Traced(message, span), _client.ReadsTraceContext);
        await _client.Send(ClientOp.Put, w.ToArray()).ConfigureAwait(false);
    }

    /// <summary>
    /// MQGET; MQRC 2033 when nothing arrives within the wait. On a read-ahead handle the message comes from those already
    /// sent, without a call to the queue manager; such gets are outside syncpoint and match no MsgId or CorrelId (MQRC 2046).
    /// </summary>
    public Task<MqMessage> GetAsync(ClientGetOptions? options = null)
    {
        options ??= ClientGetOptions.NoWait;
        return _ahead is null ? Get(options, options.Syncpoint ? ClientGetFlags.Syncpoint : ClientGetFlags.None) : TakeAhead(options, CancellationToken.None);
    }

    /// <summary>
    /// Asynchronous consume (MQ's MQCB in .NET terms): every message as it arrives, until <paramref name="cancel"/> or the
    /// connection ends. On a read-ahead handle no message costs a round trip.
    /// </summary>
    public async IAsyncEnumerable<MqMessage> ConsumeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            MqMessage message;
            try
            {
                message = _ahead is null
                    ? await Get(new ClientGetOptions { Wait = ConsumePoll }, ClientGetFlags.None).ConfigureAwait(false)
                    : await TakeAhead(new ClientGetOptions { Wait = Timeout.InfiniteTimeSpan }, cancel).ConfigureAwait(false);
            }
            catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
            {
                continue;
            }

            yield return message;
        }
    }

    // A consumer without read-ahead asks again this often, so cancelling it takes at most this long.
    private static readonly TimeSpan ConsumePoll = TimeSpan.FromSeconds(1);

    private async Task<MqMessage> TakeAhead(ClientGetOptions options, CancellationToken cancel)
    {
        if (options.Syncpoint || options.MsgId is not null || options.CorrelId is not null)
        {
            throw new MqException(MqReason.OptionsError, "a read-ahead handle gets outside syncpoint without matching MsgId or CorrelId; open with MqOpenOptions.NoReadAhead for such gets");
        }

        var askedAt = DateTime.UtcNow;
        var message = await _ahead!.TakeAsync(options.Wait, Acknowledge, cancel).ConfigureAwait(false);
        ClientTracing.Received(message, askedAt, _client, ResolvedName);
        return message;
    }

    /// <summary>Browse from the first message (the queue must be opened for browse).</summary>
    public Task<MqMessage> BrowseFirstAsync(ClientGetOptions? options = null) => Get(options ?? ClientGetOptions.NoWait, ClientGetFlags.BrowseFirst);

    /// <summary>Browse the message after the last one browsed on this handle.</summary>
    public Task<MqMessage> BrowseNextAsync(ClientGetOptions? options = null) => Get(options ?? ClientGetOptions.NoWait, ClientGetFlags.BrowseNext);

    /// <summary>MQCLOSE; messages sent ahead and not taken go back to the queue.</summary>
    public async Task CloseAsync()
    {
        if (_ahead is not null)
        {
            await _ahead.FlushAsync(Acknowledge).ConfigureAwait(false);
        }

        var w = new FrameWriter();
        w.Int(Handle);
        await _client.Call(ClientOp.Close, w.ToArray()).ConfigureAwait(false);
        // Nothing is sent ahead on a handle after its close is answered; what was and is not taken is back on the queue.
        _client.Closed(Handle);
        _ahead?.Fail(new MqException(MqReason.ObjectHandleError, "MQRC_HOBJ_ERROR: the queue handle was closed"));
    }

    private async Task<MqMessage> Get(ClientGetOptions options, ClientGetFlags flags)
    {
        var w = new FrameWriter(64);
        w.Int(Handle);
        w.Byte((byte)flags);
        w.Int(options.Wait == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, options.Wait.TotalMilliseconds));
        ClientProtocol.WriteId(w, options.MsgId);
        ClientProtocol.WriteId(w, options.CorrelId);
        var askedAt = DateTime.UtcNow;
        var body = await _client.Call(ClientOp.Get, w.ToArray(), options.Wait).ConfigureAwait(false);
        var r = new FrameReader(body);
        var message = ClientProtocol.ReadMessage(ref r) ?? throw new MqException(MqReason.UnexpectedError, "AMQ9504E: the queue manager answered the get with a malformed message descriptor");
        if ((flags & (ClientGetFlags.BrowseFirst | ClientGetFlags.BrowseNext)) == 0)
        {
            ClientTracing.Received(message, askedAt, _client, ResolvedName);
        }

        return message;
    }
}
