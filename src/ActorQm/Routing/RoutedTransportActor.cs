using ActorQm.Tls;
using Akka.Actor;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Routing;

/// <summary>
/// The queue manager's end of a routed connection: speaks the <see cref="Transport"/> protocol to its
/// owner (the channel agent) and relays it to the router on the node that holds the socket. Credit,
/// write acknowledgements and close travel end to end, so back-pressure and a batch's "written"
/// mean the same as on a local transport. If the holding node goes, the connection is closed.
/// </summary>
internal sealed class RoutedTransportActor : ReceiveActor
{
    /// <summary>Frames sent to another node together up to this size: below Akka.Remote's default maximum-frame-size with room for its envelope.</summary>
    internal const int RemotePieceBytes = 96 * 1024;

    private readonly Route _route;
    private readonly Queue<object> _acks = new();
    private IActorRef _owner;
    private bool _ended;

    public RoutedTransportActor(Route route, IActorRef owner)
    {
        _route = route;
        _owner = owner;
        Receive<InboundFrame>(f => _owner.Tell(new Transport.FrameReceived(f.Buffer, f.Length)));
        Receive<Transport.Send>(send =>
        {
            if (send.Ack is not null)
            {
                _acks.Enqueue(send.Ack);
            }

            _route.Router.Tell(new OutboundFrame(send.Frame, send.Ack is not null));
        });
        // A channel's batch travels on as one message in the pooled buffer the channel filled: its receiver owns the buffer.
        Receive<Transport.SendFrames>(frames =>
        {
            if (frames.Ack is not null)
            {
                _acks.Enqueue(frames.Ack);
            }

            if (!_route.Router.Path.Address.HasGlobalScope)
            {
                _route.Router.Tell(new OutboundFrames(frames.Buffer, frames.Length, frames.Ack is not null));
                return;
            }

            // To another node: in pieces Akka.Remote carries (it drops a message over its maximum-frame-size, 128,000 bytes by
            // default), each copied once into an array of its own, so the pooled buffer goes back now; the ack rides on the last.
            using (frames)
            {
                var pieces = Pieces(frames.Buffer.Memory.Span[..frames.Length]);
                for (var i = 0; i < pieces.Count; i++)
                {
                    _route.Router.Tell(OutboundFrames.Of(pieces[i], ack: frames.Ack is not null && i == pieces.Count - 1));
                }
            }
        });
        Receive<FramesWritten>(written =>
        {
            for (var i = 0; i < written.Count && _acks.TryDequeue(out var ack); i++)
            {
                _owner.Tell(ack);
            }
        });
        Receive<Transport.ResumeReading>(r => _route.Router.Tell(new ResumeReading(r.Frames)));
        Receive<Transport.Redirect>(r => _owner = r.Owner);
        // Frames arrive here one by one from the node that holds the connection: there is nothing to group.
        Receive<Transport.ReadInBursts>(_ => { });
        Receive<Transport.Close>(_ => _route.Router.Tell(CloseConnection.Instance));
        Receive<ConnectionEnded>(e => End(e.AmqCode, e.Reason));
        Receive<Terminated>(_ => End("AMQ9208E", $"the cluster node holding the connection from {_route.RemoteAddress} is gone"));
    }

    /// <summary>
    /// Whole frames, with their headers, grouped into pieces of at most <see cref="RemotePieceBytes"/> (a longer frame is a
    /// piece of its own); at least one piece, so an empty batch's ack still travels.
    /// </summary>
    internal static List<byte[]> Pieces(ReadOnlySpan<byte> frames)
    {
        var pieces = new List<byte[]>();
        var start = 0;
        var offset = 0;
        while (offset + Protocol.FrameStream.HeaderBytes <= frames.Length)
        {
            var length = Protocol.FrameStream.HeaderBytes + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frames[offset..]);
            if (offset > start && offset + length - start > RemotePieceBytes)
            {
                pieces.Add(frames[start..offset].ToArray());
                start = offset;
            }

            offset += length;
        }

        pieces.Add(frames[start..Math.Min(offset, frames.Length)].ToArray());
        return pieces;
    }

    protected override void PreStart()
    {
        Context.Watch(_route.Router);
        _route.Router.Tell(new Attached(Self));
        _owner.Tell(new Transport.Connected(_route.Session.ToPeerSession()));
    }

    protected override void PostStop()
    {
        // Stopped with its owner: the socket on the other node is closed too.
        if (!_ended)
        {
            _route.Router.Tell(CloseConnection.Instance);
        }
    }

    private void End(string? code, string reason)
    {
        _ended = true;
        _owner.Tell(new Transport.ConnectionClosed(code, reason));
        Context.Stop(Self);
    }
}
