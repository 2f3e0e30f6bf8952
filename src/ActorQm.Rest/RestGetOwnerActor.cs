using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Rest;

/// <summary>
/// Owns one REST get under syncpoint: it settles the get itself, so its commit or backout reaches the queue before the
/// queue hears that it ended (a message from an actor precedes its Terminated), and its end backs out a get nobody settled.
/// </summary>
internal sealed class RestGetOwnerActor : ReceiveActor
{
    public RestGetOwnerActor(IActorRef queue)
    {
        Receive<RestGetOwner.Settle>(settle =>
        {
            queue.Tell(settle.Commit ? new LocalQueue.CommitGet(settle.Token) : new LocalQueue.BackoutGet(settle.Token));
            Context.Stop(Self);
        });
        Receive<RestGetOwner.Abandon>(_ => Context.Stop(Self));
    }
}
