using System.Buffers;
using System.Net.Security;
using ActorQm.Protocol;
using Akka.Actor;

namespace ActorQm.Tls;

/// <summary>Protocol, settings and Props of <see cref="TransportActor"/>.</summary>
public static class Transport
{
    /// <param name="MaxFrameBytes">Largest frame accepted or sent; a peer announcing more is cut off.</param>
    /// <param name="InitialReadCredit">Frames delivered to the owner before it must ask for more.</param>
    /// <param name="WriteBatchBytes">Frames queued together are written in one TLS record run up to this size.</param>
    /// <param name="RevocationRecheck">Beyond MQ: how often a running connection re-checks its peer's chain for
    /// revocation (with the handshake's sources and caches); a revoked peer is cut off within one interval. Null: never.</param>
    /// <param name="MaxSendQueueBytes">Bytes queued to send (written or not yet) beyond which the transport reads nothing more and
    /// tells its owner <see cref="SendQueueFull"/> until the peer has taken enough (docs/protocol.md, "Limits of a client connection").</param>
    /// <param name="SlowReaderTimeout">How long the send queue may stay over <paramref name="MaxSendQueueBytes"/> without the peer
    /// taking a byte; then the connection is cut (AMQ9206E, a slow reader).</param>
    public sealed record Settings(int MaxFrameBytes = 4 * 1024 * 1024 + 4096, int InitialReadCredit = 64, int WriteBatchBytes = 64 * 1024, TimeSpan? RevocationRecheck = null,
        long MaxSendQueueBytes = 8 * 1024 * 1024, TimeSpan? SlowReaderTimeout = null)
    {
        /// <summary>Default of <see cref="SlowReaderTimeout"/>.</summary>
        public static readonly TimeSpan DefaultSlowReaderTimeout = TimeSpan.FromSeconds(30);

        /// <summary>
        /// The largest first frame read, when smaller than <see cref="MaxFrameBytes"/>: an accepting end's first frame is the
        /// peer's initial data (a few hundred bytes), so a peer that has named no channel yet cannot make it hold megabytes.
        /// Null: <see cref="MaxFrameBytes"/>.
        /// </summary>
        public int? FirstFrameMaxBytes { get; init; }

        /// <summary>
        /// For an accepting end: one frame of credit, the peer's initial data, of at most 4 KiB (as in the clear,
        /// <see cref="PlaintextChannel.MaxFrameBytes"/>); the role the connection then takes grants its own window (a client's is
        /// small, docs/protocol.md), so a peer cannot pipeline frames before it is known.
        /// </summary>
        public Settings Accepting() => this with { InitialReadCredit = 1, FirstFrameMaxBytes = Math.Min(PlaintextChannel.MaxFrameBytes, MaxFrameBytes) };
    }

    /// <summary>
    /// A transport over a connected socket stream: it asks <paramref name="handshakes"/> to walk the
    /// handshake and only then reads or writes frames for <paramref name="owner"/>.
    /// </summary>
    public static Props Props(Handshake.StartHandshake handshake, IActorRef handshakes, IActorRef owner, Settings? settings = null) =>
        Akka.Actor.Props.Create(() => new TransportActor(handshake, handshakes, owner, settings ?? new Settings()));

    /// <summary>
    /// Development only (tls.development-channels-in-the-clear; docs/tls.md, "Plaintext channels"): a transport over a connected
    /// socket stream with no TLS at all, for a sending channel without SSLCIPH whose partner accepts channels in the clear.
    /// Its owner is told <see cref="Connected"/> with a session that is <see cref="Handshake.PeerSession.InTheClear"/>.
    /// </summary>
    public static Props InTheClear(string connectionId, Stream stream, IActorRef owner, Settings? settings = null) =>
        Akka.Actor.Props.Create(() => new TransportActor(connectionId, stream, owner, settings ?? new Settings()));

    // Commands from the owner
    /// <summary>Queue one frame; <see cref="Ack"/>, when given, is told to the owner once it is written.</summary>
    public sealed record Send(ReadOnlyMemory<byte> Frame, object? Ack = null);

    /// <summary>
    /// Queue frames already laid out with their length headers in a pooled buffer (a channel's batch: one command, no copy
    /// per frame); the transport disposes <see cref="Buffer"/> once they are written or the connection ends. <see cref="Ack"/>,
    /// when given, is told to the owner once they are written.
    /// </summary>
    public sealed record SendFrames(IMemoryOwner<byte> Buffer, int Length, object? Ack = null) : IDisposable
    {
        public void Dispose() => Buffer.Dispose();
    }

    /// <summary>Let <see cref="Frames"/> more frames be read (credit-based back-pressure).</summary>
    /// <remarks>Not logged as a dead letter: after a disconnect the owner's last window and close reach a transport already gone (docs/operations.md).</remarks>
    public sealed record ResumeReading(int Frames) : Akka.Event.IDeadLetterSuppression;

    /// <summary>Whether a frame's body is one the owner takes in a run with others (<see cref="ReadInBursts"/>).</summary>
    public delegate bool FramePredicate(ReadOnlySpan<byte> frame);

    /// <summary>
    /// From now on, whole frames for which <see cref="Burst"/> holds that were read together come as one
    /// <see cref="FramesReceived"/> instead of a <see cref="FrameReceived"/> each: one actor message for a run of small frames
    /// (a channel's NPMSPEED(FAST) messages). Frames it does not take still come one by one, in order. A transport that
    /// cannot group frames (a routed connection) ignores it.
    /// </summary>
    public sealed record ReadInBursts(FramePredicate Burst);

    /// <summary>From now on, frames and events go to <see cref="Owner"/> (a connection handed from the channel that accepted it to the agent that serves it).</summary>
    public sealed record Redirect(IActorRef Owner);

    /// <summary>Write what is queued, send TLS close_notify, close the socket.</summary>
    public sealed record Close : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Close Instance = new();
    }

    // Events to the owner
    /// <summary>The peer is accepted: who it is and what was negotiated (the stream stays with the transport).</summary>
    public sealed record Connected(Handshake.PeerSession Session);

    /// <summary>One frame, in a pooled buffer the owner must dispose when done with it.</summary>
    public sealed record FrameReceived(IMemoryOwner<byte> Buffer, int Length) : IDisposable
    {
        public ReadOnlyMemory<byte> Frame => Buffer.Memory[..Length];

        public void Dispose() => Buffer.Dispose();
    }

    /// <summary>
    /// <see cref="Count"/> frames read together, each with its length header as on the wire, in a pooled buffer the owner must
    /// dispose when done with it; each counts as one frame of read credit (<see cref="ReadInBursts"/>).
    /// </summary>
    public sealed record FramesReceived(IMemoryOwner<byte> Buffer, int Length, int Count) : IDisposable
    {
        /// <summary>The frames' bodies, in order.</summary>
        public FrameEnumerator GetEnumerator() => new(Buffer.Memory[..Length]);

        public void Dispose() => Buffer.Dispose();
    }

    /// <summary>Walks length-prefixed frames laid out back to back (<see cref="FramesReceived"/>).</summary>
    public struct FrameEnumerator(ReadOnlyMemory<byte> frames)
    {
        private ReadOnlyMemory<byte> _rest = frames;

        public ReadOnlyMemory<byte> Current { get; private set; }

        public readonly FrameEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < FrameStream.HeaderBytes)
            {
                return false;
            }

            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(_rest.Span);
            Current = _rest.Slice(FrameStream.HeaderBytes, length);
            _rest = _rest[(FrameStream.HeaderBytes + length)..];
            return true;
        }
    }

    /// <summary>The frames queued to send passed <see cref="Settings.MaxSendQueueBytes"/>: nothing more is read until <see cref="SendQueueDrained"/>.</summary>
    public sealed record SendQueueFull(long Bytes);

    /// <summary>The send queue is back within its bound; reading goes on.</summary>
    public sealed record SendQueueDrained
    {
        public static readonly SendQueueDrained Instance = new();
    }

    /// <summary>The connection is gone: by request or end of stream (<see cref="AmqCode"/> null) or by an error.</summary>
    public sealed record ConnectionClosed(string? AmqCode, string Reason);
}
