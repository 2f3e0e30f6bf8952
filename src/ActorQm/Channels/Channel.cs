using System.Collections.Concurrent;
using System.Net;
using System.Security.Authentication;
using ActorQm.Protocol;
using ActorQm.Store;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>MQ's channel states (DISPLAY CHSTATUS STATUS); INACTIVE is a channel with no running instance.</summary>
public enum ChannelState
{
    Inactive,
    Binding,
    Starting,
    Running,
    Paused,
    Requesting,
    Retrying,
    Stopping,
    Stopped,
}

/// <summary>A channel's live status: what DISPLAY CHSTATUS shows, TLS fields included.</summary>
public sealed record ChannelStatus(string Name, string Type, ChannelState State)
{
    public string ConName { get; init; } = string.Empty;
    public string XmitQ { get; init; } = string.Empty;
    public string RemoteQMgr { get; init; } = string.Empty;
    public long CurrentSeq { get; init; }
    public long LastSeq { get; init; }
    public bool InDoubt { get; init; }
    public long Messages { get; init; }
    public long Batches { get; init; }

    /// <summary>The NPMSPEED both ends agreed: FAST sends non-persistent messages outside the batches.</summary>
    public string NpmSpeed { get; init; } = string.Empty;

    /// <summary>The NPMSPEED keyword for what the initial data agreed.</summary>
    internal static string NpmSpeedOf(bool fast) => fast ? "FAST" : "NORMAL";
    public long BytesSent { get; init; }
    public long BytesReceived { get; init; }
    public string SslCipherSpec { get; init; } = string.Empty;
    public string SslPeer { get; init; } = string.Empty;
    public string SslCertIssuer { get; init; } = string.Empty;
    public string SslCertSerial { get; init; } = string.Empty;

    /// <summary>The principal an inbound channel instance runs as (MCAUSER in DISPLAY CHSTATUS).</summary>
    public string McaUser { get; init; } = string.Empty;
    public long KeyResets { get; init; }
    public DateTimeOffset? LastKeyReset { get; init; }
    public DateTimeOffset Started { get; init; }
    public string LastError { get; init; } = string.Empty;

    /// <summary>The queue manager that runs the instance (set where statuses of several are shown together).</summary>
    public string QMgr { get; init; } = string.Empty;

    /// <summary>In a cluster: the node whose queue manager runs the instance; empty for this node.</summary>
    public string Node { get; init; } = string.Empty;
}

/// <summary>
/// Live status of every channel instance of a queue manager. Written by the channel actors,
/// read by DISPLAY CHSTATUS without a round trip (like the queues' counters).
/// </summary>
public sealed class ChannelStatusBoard
{
    private readonly ConcurrentDictionary<string, ChannelStatus> _status = new(StringComparer.Ordinal);

    // What instances that ended (or were replaced by a new one) had moved, per channel: counters that never go back.
    private readonly Dictionary<(string Name, string Type), ChannelMoved> _ended = [];
    private readonly Lock _endedLock = new();

    public IReadOnlyList<ChannelStatus> All => _status.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public ChannelStatus? Find(string name) => _status.GetValueOrDefault(name);

    internal void Set(ChannelStatus status) => Set(status.Name, status);

    /// <summary>A channel with several instances (SVRCONN) has one entry per instance.</summary>
    internal void Set(string key, ChannelStatus status)
    {
        lock (_endedLock)
        {
            if (_status.TryGetValue(key, out var replaced))
            {
                Retire(replaced);
            }

            _status[key] = status;
        }
    }

    internal void Update(string name, Func<ChannelStatus, ChannelStatus> change)
    {
        if (_status.TryGetValue(name, out var current))
        {
            _status[name] = change(current);
        }
    }

    internal void Remove(string name)
    {
        lock (_endedLock)
        {
            if (_status.TryRemove(name, out var ended))
            {
                Retire(ended);
            }
        }
    }

    /// <summary>Messages, batches and bytes per channel since the queue manager started, ended instances included (what metrics count).</summary>
    internal IReadOnlyList<(string Name, string Type, ChannelMoved Moved)> Moved()
    {
        lock (_endedLock)
        {
            var all = new Dictionary<(string Name, string Type), ChannelMoved>(_ended);
            foreach (var live in _status.Values)
            {
                all[(live.Name, live.Type)] = all.GetValueOrDefault((live.Name, live.Type)) + ChannelMoved.Of(live);
            }

            return [.. all.Select(m => (m.Key.Name, m.Key.Type, m.Value))];
        }
    }

    private void Retire(ChannelStatus ended) => _ended[(ended.Name, ended.Type)] = _ended.GetValueOrDefault((ended.Name, ended.Type)) + ChannelMoved.Of(ended);
}

/// <summary>What channel instances moved: MSGS, BATCHES, BYTSSENT and BYTSRCVD added up.</summary>
internal readonly record struct ChannelMoved(long Messages, long Batches, long BytesSent, long BytesReceived)
{
    public static ChannelMoved Of(ChannelStatus s) => new(s.Messages, s.Batches, s.BytesSent, s.BytesReceived);

    public static ChannelMoved operator +(ChannelMoved a, ChannelMoved b) =>
        new(a.Messages + b.Messages, a.Batches + b.Batches, a.BytesSent + b.BytesSent, a.BytesReceived + b.BytesReceived);
}

/// <summary>Channel synchronisation records in memory, written through to the journal.</summary>
internal sealed class ChannelSyncStore(MessageJournal journal, IReadOnlyDictionary<string, ChannelSyncRecord> loaded)
{
    private readonly ConcurrentDictionary<string, ChannelSyncRecord> _records = new(loaded, StringComparer.Ordinal);

    public ChannelSyncRecord Get(string channel) => _records.GetValueOrDefault(channel) ?? ChannelSyncRecord.Fresh(channel);

    /// <summary>The write, to commit inside a unit with a batch's messages; <see cref="Remember"/> it once durable.</summary>
    public static JournalOp Record(ChannelSyncRecord record) => JournalOp.SaveChannelSync(record, null, null);

    public void Remember(ChannelSyncRecord record) => _records[record.Channel] = record;

    public void Save(ChannelSyncRecord record, IActorRef notify, object? ack)
    {
        _records[record.Channel] = record;
        journal.Enqueue(JournalOp.SaveChannelSync(record, notify.Tell, ack));
    }

    public void Enqueue(JournalOp op) => journal.Enqueue(op);
}

/// <summary>Protocol of the channel initiator and the channel actors (message channel agents).</summary>
public static class Channel
{
    /// <summary>
    /// Everything a sending channel needs to run, resolved by its queue manager. <see cref="Requirements"/> is null for a
    /// channel without SSLCIPH: it calls in the clear only to be refused by its partner (docs/tls.md, "Plaintext channels").
    /// </summary>
    public sealed record SenderStart(
        ChannelDefinition Definition,
        string QMgrName,
        IActorRef XmitQueue,
        TlsCredentials Credentials,
        PeerRequirements? Requirements,
        RevocationSettings Revocation,
        Transport.Settings TransportSettings)
    {
        /// <summary>Batches sent and not yet confirmed at most (channels.pipeline-length; docs/protocol.md, "Pipelining").</summary>
        public int PipelineLength { get; init; } = 1;

        /// <summary>
        /// Development only (tls.development-channels-in-the-clear): a channel without SSLCIPH runs without TLS instead of
        /// calling only to be refused. Ignored for a channel with SSLCIPH.
        /// </summary>
        public bool InTheClear { get; init; }
    }

    /// <summary>Everything a requester channel (RQSTR) needs to call its server and receive from it (null requirements: as for a sender).</summary>
    public sealed record RequesterStart(
        ChannelDefinition Definition,
        string QMgrName,
        string DeadLetterQueue,
        TlsCredentials Credentials,
        PeerRequirements? Requirements,
        RevocationSettings Revocation,
        Transport.Settings TransportSettings);

    /// <summary>What the responding side of every listener uses for new connections; replaced by REFRESH SECURITY.</summary>
    public sealed record ResponderTls(TlsCredentials? Credentials, RevocationSettings Revocation, IReadOnlyList<CipherSpec>? CipherSpecs, bool AllowTls13, Transport.Settings TransportSettings)
    {
        /// <summary>Inbound channels whose SSLCIPH names one CipherSpec (not an alias), by channel name: what a server name naming them narrows the offer to.</summary>
        public IReadOnlyDictionary<string, CipherSpec> ChannelCipherSpecs { get; init; } = new Dictionary<string, CipherSpec>(StringComparer.Ordinal);

        /// <summary>Inbound channels with a CERTLABL of their own, by channel name: the certificate presented to an initiator whose server name names them.</summary>
        public IReadOnlyDictionary<string, TlsCredentials> ChannelCredentials { get; init; } = new Dictionary<string, TlsCredentials>(StringComparer.Ordinal);

        /// <summary>Beyond MQ: channels with their own revocation policy, by channel name (tls.channel-revocation; docs/tls.md).</summary>
        public IReadOnlyDictionary<string, RevocationSettings> ChannelRevocation { get; init; } = new Dictionary<string, RevocationSettings>(StringComparer.Ordinal);

        /// <summary>Development only (tls.development-channels-in-the-clear): accept connections that start in the clear (<see cref="Handshake.StartHandshake.AcceptInTheClear"/>).</summary>
        public bool AcceptInTheClear { get; init; }

        /// <summary>
        /// The handshake of a listener's connection. The responder cannot know the channel before the initial data
        /// (docs/tls.md): it accepts any enabled CipherSpec and an absent client certificate, and the channel's own
        /// SSLCIPH, SSLCAUTH and SSLPEER are checked as soon as the initial data names it.
        /// </summary>
        public Handshake.StartHandshake Handshake(string connectionId, Stream stream, IPEndPoint remote) =>
            new(connectionId, HandshakeRole.Responder, stream, string.Empty, Credentials ?? new TlsCredentials(null, [], [], []),
                new PeerRequirements(Tls.CipherSpecs.Select("ANY_TLS12_OR_HIGHER", AllowTls13)!, ClientAuthRequired: false), ActorRefs.Nobody,
                AllowTls13 ? SslProtocols.Tls12 | SslProtocols.Tls13 : SslProtocols.Tls12)
            {
                Revocation = Revocation,
                ResponderCipherSpecs = CipherSpecs,
                CipherSpecForServerName = ChannelCipherSpecs.Count == 0 ? null : CipherSpecFor,
                CredentialsForServerName = ChannelCredentials.Count == 0 ? null : CredentialsFor,
                ChannelRevocation = ChannelRevocation.Count == 0 ? null : ChannelRevocation,
                ConnectionName = $"{remote.Address}({remote.Port})",
                AcceptInTheClear = AcceptInTheClear,
            };

        private TlsCredentials? CredentialsFor(string? serverName) =>
            ChannelSni.TryDecode(serverName) is { } channel && ChannelCredentials.TryGetValue(channel, out var credentials) ? credentials : null;

        private CipherSpec? CipherSpecFor(string? serverName) =>
            ChannelSni.TryDecode(serverName) is { } channel && ChannelCipherSpecs.TryGetValue(channel, out var spec) ? spec : null;
    }

    // Commands to the channel initiator
    public sealed record StartChannel(SenderStart Start);

    public sealed record StopChannel(string Name);

    public sealed record StartRequester(RequesterStart Start);

    public sealed record StartListener(string Name, System.Net.IPAddress Address, int Port, int Backlog);

    public sealed record StopListener(string Name);

    /// <summary>RESET CHANNEL SEQNUM: the next message is numbered <see cref="NextSeq"/>.</summary>
    public sealed record ResetChannel(string Name, long NextSeq);

    /// <summary>RESOLVE CHANNEL: settles an in-doubt batch by hand.</summary>
    public sealed record ResolveChannel(string Name, bool Commit, IActorRef? XmitQueue);

    public sealed record UseResponderTls(ResponderTls Tls);

    /// <summary>The CHLAUTH BLOCKADDR patterns in force: every listener closes a matching connection before any TLS byte.</summary>
    public sealed record UseBlockedAddresses(IReadOnlyList<AddressBlock> Patterns);

    /// <summary>Every running sending channel finishes its batch and binds again with the queue manager's new TLS material.</summary>
    public sealed record RefreshTls(IReadOnlyDictionary<string, SenderStart> Senders);

    public sealed record GetListeners
    {
        public static readonly GetListeners Instance = new();
    }

    // Replies and events
    /// <summary>A receiving channel's initial data named its channel: its queue manager answers <see cref="InboundChannels.Accepted"/> or <see cref="InboundChannels.Refused"/>.</summary>
    /// <param name="From">The caller's address (CHLAUTH ADDRESSMAP and QMGRMAP records match on it).</param>
    public sealed record AcceptChannel(InitialData Hello, Tls.Handshake.PeerSession Session, System.Net.IPAddress? From = null);

    /// <summary>A connection another node accepted and holds (docs/architecture.md), served here like a listener's: <paramref name="Transport"/> makes the actor that owns it.</summary>
    public sealed record ServeRoutedConnection(string ConnectionId, System.Net.IPEndPoint Remote, Func<IActorRef, Props> Transport);

    public sealed record CommandAccepted(string Text);

    public sealed record CommandRefused(string AmqCode, string Text);

    public sealed record Listeners(IReadOnlyDictionary<string, System.Net.IPEndPoint> Bound);

    /// <summary>Published on the EventStream at every state change of a channel instance.</summary>
    public sealed record ChannelStateChanged(string QMgrName, string ChannelName, ChannelState From, ChannelState To, string? Detail = null);

    /// <summary>Published when a channel ends with an error: the MQ message number and text.</summary>
    public sealed record ChannelFailed(string QMgrName, string ChannelName, string AmqCode, string Detail);

    // Between the actors
    /// <param name="From">The client's address: MAXINSTC counts the instances of each address.</param>
    internal sealed record RegisterInbound(string Name, IActorRef Channel, bool Client = false, System.Net.IPAddress? From = null, int MaxInstances = 999_999_999, int MaxInstancesPerClient = 999_999_999);

    internal sealed record InboundRegistered(bool Accepted, string Detail, string AmqCode = "AMQ9514E", Messages.MqReason Reason = Messages.MqReason.UnexpectedError);
}
