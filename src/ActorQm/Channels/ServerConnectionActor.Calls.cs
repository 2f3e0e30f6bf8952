using ActorQm.Messages;
using ActorQm.Protocol;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>The MQI calls of a client as the server-connection agent reads them, and its answers.</summary>
internal sealed partial class ServerConnectionActor
{
    private Answer Descriptor(int correlation, MessageDescriptor descriptor)
    {
        var w = new FrameWriter(256);
        ClientProtocol.WriteDescriptor(w, ClientProtocol.Readable(descriptor, _clientReadsTrace));
        return new Answer(correlation, 0, string.Empty, w.ToArray());
    }

    private sealed record Answer(int Correlation, int Reason, string Detail, byte[] Body)
    {
        public (IActorRef Queue, long Token)? AfterWrite { get; init; }

        /// <summary>The answer to a put with MQPMO_ASYNC_RESPONSE: counted, not sent.</summary>
        public bool Asynchronous { get; init; }

        /// <summary>An open whose handle reads ahead: started once the answer is on its way.</summary>
        public (int Handle, IActorRef Queue)? ReadAhead { get; init; }
    }

    /// <summary>Reads a call's fields (before any await: the reader lives on the frame).</summary>
    private static Call Parse(ClientRequest request)
    {
        var r = new FrameReader(request.Body);
        Call call = request.Op switch
        {
            ClientOp.Open => new OpenCall(r.String(), r.String(), (MqOpenOptions)r.Int(), r.String()),
            ClientOp.Close => new CloseCall(r.Int()),
            ClientOp.Put => ReadPut(ref r, withHandle: true),
            ClientOp.Put1 => ReadPut(ref r, withHandle: false),
            ClientOp.Get => new GetCall(r.Int(), (ClientGetFlags)r.Byte(), r.Int(), ClientProtocol.ReadId(ref r), ClientProtocol.ReadId(ref r)),
            ClientOp.Commit => new CommitCall(),
            ClientOp.Backout => new BackoutCall(),
            ClientOp.Mqsc => new MqscCall(System.Text.Encoding.UTF8.GetString(r.Rest())),
            ClientOp.Stat => new StatCall(),
            _ => new BadCall($"unknown call {(byte)request.Op}"),
        };
        return r.Error is { } error ? new BadCall($"malformed {request.Op} call: {error}") : call;
    }

    /// <summary>MQPUT (a handle) or MQPUT1 (a queue name): its options byte, the context handle of a pass-context put, then the message.</summary>
    private static Call ReadPut(ref FrameReader r, bool withHandle)
    {
        int? handle = withHandle ? r.Int() : null;
        var (queue, qmgr) = withHandle ? (null, null) : (r.String(), r.String());
        var flags = (ClientPutFlags)r.Byte();
        var context = ClientProtocol.ContextOf(flags);
        int? contextHandle = ClientProtocol.Passes(context) ? r.Int() : null;
        if (ClientProtocol.ReadMessage(ref r) is not { } message)
        {
            return new BadCall("the message descriptor is malformed (StrucId 'MD  ', version 1 and 248 bytes expected)");
        }

        return new PutCall(handle, queue, qmgr, flags.HasFlag(ClientPutFlags.Syncpoint), message)
        {
            AsyncResponse = flags.HasFlag(ClientPutFlags.AsyncResponse),
            Context = context,
            ContextHandle = contextHandle,
        };
    }

    private abstract record Call;

    private sealed record OpenCall(string Queue, string QMgr, MqOpenOptions Options, string AlternateUserId) : Call;

    private sealed record CloseCall(int Handle) : Call;

    private sealed record PutCall(int? Handle, string? Queue, string? QMgr, bool Syncpoint, MqMessage Message) : Call
    {
        /// <summary>MQPMO_ASYNC_RESPONSE: answered with nothing; the outcome counts for MQSTAT.</summary>
        public bool AsyncResponse { get; init; }

        /// <summary>MQPMO_*_CONTEXT; an undefined value is refused as MQRC_OPTIONS_ERROR.</summary>
        public MqPutContext Context { get; init; }

        /// <summary>The handle whose saved context a pass-context put passes.</summary>
        public int? ContextHandle { get; init; }
    }

    private sealed record GetCall(int Handle, ClientGetFlags Flags, int WaitMs, MqId? MsgId, MqId? CorrelId) : Call;

    private sealed record CommitCall : Call;

    private sealed record BackoutCall : Call;

    private sealed record MqscCall(string Script) : Call;

    private sealed record StatCall : Call;

    private sealed record BadCall(string Why) : Call;
}
