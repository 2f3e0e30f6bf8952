using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Rest.WebConsole;

/// <summary>
/// Protocol and Props of <see cref="HandshakeTimelineActor"/>: the last connections of each channel listener, each as the
/// handshake steps it walked, what decided and the revocation source that answered (docs/rest.md, "Console").
/// </summary>
internal static class HandshakeTimeline
{
    /// <summary>The longest detail or subject kept: both come from the peer (its certificate, its TLS alerts).</summary>
    public const int MaxText = 512;

    /// <summary>Listeners kept at once; the one heard from least recently goes first.</summary>
    public const int MaxListeners = 64;

    /// <param name="perListener">Connections kept per listener, the oldest dropped first (<c>actorqm.rest.console.handshakes</c>).</param>
    public static Props Props(int perListener) => Akka.Actor.Props.Create(() => new HandshakeTimelineActor(perListener));

    /// <summary>
    /// The listener a responder's connection came through: the listener actor names each connection "{address:port}-{n}"
    /// after the endpoint it is bound to, so the part before the last dash is that endpoint; null for an identifier of no
    /// such form.
    /// </summary>
    public static string? ListenerOf(string connectionId)
    {
        var dash = connectionId.LastIndexOf('-');
        return dash > 0 ? connectionId[..dash] : null;
    }

    /// <summary>Answered with <see cref="Timeline"/>: the records of those listeners (bound endpoints), newest first.</summary>
    public sealed record GetTimeline(IReadOnlyCollection<string> Listeners);

    /// <summary>Listener (bound endpoint) to its connections, newest first; a listener nothing came through is absent.</summary>
    public sealed record Timeline(IReadOnlyDictionary<string, IReadOnlyList<HandshakeRecord>> Listeners);

    /// <summary>One step walked and how long it took, from entering it to leaving it (milliseconds: what the page draws).</summary>
    public sealed record StepRecord(HandshakeStep Step, double Milliseconds);

    /// <summary>
    /// One connection's handshake. <see cref="Outcome"/> is Accepted, Rejected or null while it runs; for a refusal
    /// <see cref="DecidingStep"/>, <see cref="AmqCode"/> and <see cref="Detail"/> say where and why (the Channel SSL Error
    /// event's), <see cref="Peer"/> the certificate's subject when one came.
    /// </summary>
    public sealed record HandshakeRecord(
        string ConnectionId,
        DateTimeOffset Started,
        IReadOnlyList<StepRecord> Steps,
        HandshakeStep? Outcome,
        HandshakeStep? DecidingStep,
        string? AmqCode,
        string? Detail,
        string? Peer,
        string? RevocationSource,
        string? RevocationStatus);
}
