using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Routing;

/// <summary>
/// Connections accepted on one cluster node and served by a queue manager on another. The accepting
/// node runs the whole TLS handshake (chain, revocation) with the queue manager's own key repository
/// and keeps the socket in a <see cref="ConnectionRouterActor"/>; the queue manager serves the
/// connection through a <see cref="RoutedTransportActor"/>, which its channel agents cannot tell from
/// a local transport. Nothing of the connection crosses to the queue manager before the handshake has
/// accepted the peer, and the channel's own checks (SSLCIPH, SSLCAUTH, SSLPEER, CHLAUTH) run on the
/// queue manager as for any connection.
/// </summary>
public static class RoutedConnection
{
    /// <param name="QueueManager">The queue manager settings of the node (its <c>tls</c> section: CRL files, OCSP policy, CipherSpecs).</param>
    /// <param name="Address">Where this node listens for the queue manager.</param>
    /// <param name="SecurityRefresh">How often the listener asks the queue manager for its TLS definitions again.</param>
    /// <param name="AttachTimeout">How long an accepted connection waits for the queue manager to take it (it may be re-homing).</param>
    public sealed record ListenerSettings(QueueManagerSettings QueueManager, IPEndPoint Address, int Backlog, TimeSpan SecurityRefresh, TimeSpan AttachTimeout);

    /// <summary>
    /// A listener on this node for a queue manager wherever it runs: <paramref name="toQueueManager"/> delivers a message
    /// to the queue manager (in a cluster: through its shard region), with the listener as the sender.
    /// </summary>
    public static Props ListenerProps(ListenerSettings settings, Action<object, IActorRef> toQueueManager) =>
        Props.Create(() => new RoutedListenerActor(settings, toQueueManager));

    internal static Props RouterProps(string connectionId, Stream stream, IPEndPoint remote, string qmgr, Channel.ResponderTls tls, IActorRef handshakes, Action<object, IActorRef> toQueueManager, TimeSpan attachTimeout) =>
        Props.Create(() => new ConnectionRouterActor(connectionId, stream, remote, qmgr, tls, handshakes, toQueueManager, attachTimeout));

    internal static Props TransportProps(Route route, IActorRef owner) => Props.Create(() => new RoutedTransportActor(route, owner));

    /// <summary>What the accepting node's handshake established, in a form that crosses nodes: certificates as DER.</summary>
    public sealed record Session(string ConnectionId, byte[]? PeerCertificate, IReadOnlyList<byte[]> Chain, SslProtocols Protocol, TlsCipherSuite Suite, string CipherSpec, string? McaUser, TimeSpan Elapsed)
    {
        /// <summary>The channel whose own revocation policy the accepting node's handshake applied (<see cref="Handshake.PeerSession.RevocationChannel"/>).</summary>
        public string? RevocationChannel { get; init; }

        public static Session From(Handshake.PeerSession ok) =>
            new(ok.ConnectionId, ok.Peer?.Certificate.RawData, ok.Chain.Select(c => c.RawData).ToList(), ok.Protocol, ok.Suite, ok.CipherSpec, ok.McaUser, ok.Elapsed)
            {
                RevocationChannel = ok.RevocationChannel,
            };

        /// <summary>The peer session as the queue manager's agents see it (the socket stays on the accepting node).</summary>
        public Handshake.PeerSession ToPeerSession() =>
            new(ConnectionId, PeerCertificate is null ? null : PeerIdentity.Of(X509CertificateLoader.LoadCertificate(PeerCertificate)), Protocol, Suite, CipherSpec, McaUser, Elapsed)
            {
                Chain = Chain.Select(c => X509CertificateLoader.LoadCertificate(c)).ToList(),
                RevocationChannel = RevocationChannel,
            };
    }

    // Accepting node -> queue manager
    /// <summary>Serve this accepted connection: the queue manager starts a channel agent on a routed transport attached to <see cref="Router"/>.</summary>
    public sealed record Route(string QMgrName, string RemoteAddress, int RemotePort, Session Session, IActorRef Router);

    /// <summary>Ask for the definitions the accepting node needs for the handshake: QMGR, and SSLCRLNL's namelist and AUTHINFO objects.</summary>
    public sealed record DescribeSecurity
    {
        public static readonly DescribeSecurity Instance = new();
    }

    /// <param name="Definitions">The objects as MQSC (as the journal stores them).</param>
    /// <param name="Generation">Changes at every REFRESH SECURITY and re-home: the key repository is read again even if no definition changed.</param>
    public sealed record SecurityDescribed(string QMgrName, IReadOnlyList<string> Definitions, string Generation);

    // Queue manager's routed transport <-> the router holding the socket
    public sealed record Attached(IActorRef Transport);

    /// <summary>
    /// One frame read from the peer, in the pooled buffer the transport read it into: on the queue manager's own node it
    /// reaches the channel agent without a copy, and the agent returns it to the pool (<see cref="Transport.FrameReceived"/>);
    /// to another node the serializer copies it once, and the pooled buffer is left to the collector.
    /// </summary>
    public sealed record InboundFrame(IMemoryOwner<byte> Buffer, int Length)
    {
        public ReadOnlyMemory<byte> Frame => Buffer.Memory[..Length];

        /// <summary>A frame in an array of its own (deserialized on the queue manager's node): nothing to return to a pool.</summary>
        public static InboundFrame Of(byte[] frame) => new(new ArrayOwner(frame), frame.Length);
    }

    /// <summary>One frame to write to the peer; <see cref="Ack"/>: answer <see cref="FramesWritten"/> once written.</summary>
    public sealed record OutboundFrame(ReadOnlyMemory<byte> Frame, bool Ack);

    /// <summary>
    /// A channel's batch (<see cref="Transport.SendFrames"/>): frames laid out with their length headers in the pooled buffer
    /// the channel filled, one message for them all. Whoever receives it owns <see cref="Buffer"/>: on the node holding the
    /// socket the router returns it to the pool once the frames are written or the connection ends. To another node the
    /// batch goes in pieces of whole frames in arrays of their own (<see cref="Of"/>), and the pooled buffer goes back at
    /// once (docs/protocol.md). <see cref="Ack"/>: answer one <see cref="FramesWritten"/> once all of them are written.
    /// </summary>
    public sealed record OutboundFrames(IMemoryOwner<byte> Buffer, int Length, bool Ack)
    {
        /// <summary>The frames, each with its length header, back to back (<see cref="Transport.FrameEnumerator"/> walks them).</summary>
        public ReadOnlyMemory<byte> Frames => Buffer.Memory[..Length];

        /// <summary>Frames in memory of their own (a piece for another node, or one deserialized there): nothing to return to a pool.</summary>
        public static OutboundFrames Of(Memory<byte> frames, bool ack) => new(new ArrayOwner(frames), frames.Length, ack);
    }

    public sealed record FramesWritten(int Count);

    public sealed record ResumeReading(int Frames);

    public sealed record CloseConnection
    {
        public static readonly CloseConnection Instance = new();
    }

    /// <summary>The socket is closed: by request or end of stream (<see cref="AmqCode"/> null), or by an error.</summary>
    public sealed record ConnectionEnded(string? AmqCode, string Reason);

    /// <summary>Published on the accepting node's EventStream once a routed listener is bound.</summary>
    public sealed record ListenerStarted(string QMgrName, IPEndPoint Bound);

    /// <summary>Memory of a deserialized message: the collector's, not a pool's.</summary>
    private sealed class ArrayOwner(Memory<byte> memory) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => memory;

        public void Dispose()
        {
        }
    }
}
