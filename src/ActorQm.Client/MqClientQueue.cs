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

    internal MqClientQueue(MqClient client, int handle, string resolvedName, MqOpenOptions options)
    {
        _client = client;
        Handle = handle;
        ResolvedName = resolvedName;
        Options = options;
    }

    /// <summary>The local queue the name resolved to (a transmission queue for a remote destination).</summary>
    public string ResolvedName { get; }

    /// <summary>The MQOO options it was opened with.</summary>
    public MqOpenOptions Options { get; }

    internal int Handle { get; }

    internal bool BelongsTo(MqClient client) => ReferenceEquals(client, _client);

    public Task<MessageDescriptor> PutAsync(MqMessage message, bool syncpoint = false) => PutAsync(message, new ClientPutOptions { Syncpoint = syncpoint });

    /// <summary>MQPUT with put options (syncpoint, message context).</summary>
    public async Task<MessageDescriptor> PutAsync(MqMessage message, ClientPutOptions options)
    {
        _client.CheckLength(message);
        var w = new FrameWriter(message.Payload.Length + 300);
        w.Int(Handle);
        options.Write(w, _client, asyncResponse: false);
        ClientProtocol.WriteMessage(w, message);
        return MqClient.ReadDescriptor(await _client.Call(ClientOp.Put, w.ToArray()).ConfigureAwait(false));
    }

    /// <summary>
    /// MQPUT with MQPMO_ASYNC_RESPONSE: the message is sent and the task completes once it is written, without waiting for
    /// the queue manager's answer; puts stay in order with every other call of this connection. A put the queue manager
    /// refuses is counted, and <see cref="MqClient.StatusAsync"/> (MQSTAT) says how many failed and why the first did:
    /// call it before <see cref="MqClient.CommitAsync"/> when the puts are under syncpoint.
    /// </summary>
    public Task PutWithoutResponseAsync(MqMessage message, bool syncpoint = false)
    {
        _client.CheckLength(message);
        var w = new FrameWriter(message.Payload.Length + 300);
        w.Int(Handle);
        w.Byte(ClientProtocol.PutFlags(syncpoint, asyncResponse: true, MqPutContext.Default));
        ClientProtocol.WriteMessage(w, message);
        return _client.Send(ClientOp.Put, w.ToArray());
    }

    /// <summary>MQGET; MQRC 2033 when nothing arrives within the wait.</summary>
    public Task<MqMessage> GetAsync(ClientGetOptions? options = null) => Get(options ?? ClientGetOptions.NoWait, options?.Syncpoint == true ? ClientGetFlags.Syncpoint : ClientGetFlags.None);

    /// <summary>Browse from the first message (the queue must be opened for browse).</summary>
    public Task<MqMessage> BrowseFirstAsync(ClientGetOptions? options = null) => Get(options ?? ClientGetOptions.NoWait, ClientGetFlags.BrowseFirst);

    /// <summary>Browse the message after the last one browsed on this handle.</summary>
    public Task<MqMessage> BrowseNextAsync(ClientGetOptions? options = null) => Get(options ?? ClientGetOptions.NoWait, ClientGetFlags.BrowseNext);

    public async Task CloseAsync()
    {
        var w = new FrameWriter();
        w.Int(Handle);
        await _client.Call(ClientOp.Close, w.ToArray()).ConfigureAwait(false);
    }

    private async Task<MqMessage> Get(ClientGetOptions options, ClientGetFlags flags)
    {
        var w = new FrameWriter(64);
        w.Int(Handle);
        w.Byte((byte)flags);
        w.Int(options.Wait == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, options.Wait.TotalMilliseconds));
        ClientProtocol.WriteId(w, options.MsgId);
        ClientProtocol.WriteId(w, options.CorrelId);
        var body = await _client.Call(ClientOp.Get, w.ToArray(), options.Wait).ConfigureAwait(false);
        var r = new FrameReader(body);
        return ClientProtocol.ReadMessage(ref r);
    }
}
