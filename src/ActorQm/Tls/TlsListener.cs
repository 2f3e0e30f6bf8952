using System.Net;
using Akka.Actor;

namespace ActorQm.Tls;

/// <summary>Settings, protocol and Props of <see cref="TlsListenerActor"/>.</summary>
public static class TlsListener
{
    /// <param name="Port">0 lets the system choose (tests); the bound port is in <see cref="ListenerStarted"/>.</param>
    public sealed record Settings(IPAddress Address, int Port, int Backlog = 128);

    /// <param name="connection">Props of the actor that takes over one accepted connection (for example a
    /// <see cref="Transport"/> with a responder handshake); it owns the stream from then on.</param>
    /// <param name="blockedBy">The CHLAUTH BLOCKADDR pattern an address matches, or null; checked before any TLS.</param>
    public static Props Props(Settings settings, IActorRef owner, Func<string, Stream, IPEndPoint, Props> connection, Func<IPAddress, AddressBlock?>? blockedBy = null) =>
        Akka.Actor.Props.Create(() => new TlsListenerActor(settings, owner, connection, blockedBy ?? (_ => null)));

    /// <summary>Told to the owner once the socket is bound.</summary>
    public sealed record ListenerStarted(IPEndPoint Bound);

    /// <summary>Told to the owner when the socket cannot be bound (AMQ9228-like); the listener stops.</summary>
    public sealed record ListenerFailed(string Reason);

    /// <summary>Published on the EventStream for a connection refused by BLOCKADDR: closed before any TLS byte (AMQ9777).</summary>
    public sealed record ConnectionBlocked(IPEndPoint Remote, string Pattern);

    /// <summary>Published for a connection a BLOCKADDR pattern in WARN(YES) mode matched: let in, and logged (MQRC 2578).</summary>
    public sealed record ConnectionWouldBeBlocked(IPEndPoint Remote, string Pattern);
}
