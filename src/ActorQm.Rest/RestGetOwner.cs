using Akka.Actor;

namespace ActorQm.Rest;

/// <summary>
/// Protocol and Props of <see cref="RestGetOwnerActor"/>: the owner of one REST get under syncpoint (docs/rest.md). The
/// queue watches the owner of a message got under syncpoint and backs the get out when it ends; a REST request has no actor
/// of its own, so without one a get answered just after its Ask gave up stayed locked, owned by nobody, until a restart.
/// </summary>
internal static class RestGetOwner
{
    public static Props Props(IActorRef queue) => Akka.Actor.Props.Create(() => new RestGetOwnerActor(queue));

    /// <summary>Commit (the body was written) or back out the get of <paramref name="Token"/>; the owner then ends.</summary>
    public sealed record Settle(long Token, bool Commit);

    /// <summary>
    /// The request ended: an owner that settled nothing ends, and the queue backs out whatever it still holds for it. Sent
    /// after a <see cref="Settle"/> it reaches an owner already gone, which is expected.
    /// </summary>
    public sealed record Abandon : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Abandon Instance = new();
    }

    /// <summary>Ends <paramref name="owner"/> when the request ends, whatever happened in it.</summary>
    public sealed class EndsWithRequest(IActorRef owner) : IDisposable
    {
        public void Dispose() => owner.Tell(Abandon.Instance);
    }
}
