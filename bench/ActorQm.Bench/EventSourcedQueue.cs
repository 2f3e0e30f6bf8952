using Akka;
using Akka.Actor;
using Akka.Persistence;

namespace ActorQm.Bench;

/// <summary>
/// The alternative design measured against ActorQm's journal: a queue as an event-sourced actor on
/// Akka.Persistence.Sql. A put persists the payload as an event, a get persists a removal event;
/// recovery replays every event since the last snapshot. Events are byte[] and long so Akka's
/// built-in binary serializers handle them (no JSON cost is charged to this design).
/// </summary>
internal sealed class EventSourcedQueue : ReceivePersistentActor
{
    private readonly Queue<byte[]> _live = new();

    public EventSourcedQueue(string id)
    {
        PersistenceId = id;
        Recover<byte[]>(p => _live.Enqueue(p));
        Recover<long>(_ => _live.Dequeue());
        Command<byte[]>(p => PersistAsync(p, e =>
        {
            _live.Enqueue(e);
            Sender.Tell(Done.Instance);
        }));
        Command<Take>(_ =>
        {
            if (!_live.TryDequeue(out var payload))
            {
                Sender.Tell(Empty.Instance);
                return;
            }

            PersistAsync(1L, _ => Sender.Tell(payload));
        });
        Command<Ping>(_ => Sender.Tell(_live.Count));
    }

    public override string PersistenceId { get; }

    public sealed record Take
    {
        public static readonly Take Instance = new();
    }

    public sealed record Ping
    {
        public static readonly Ping Instance = new();
    }

    public sealed record Empty
    {
        public static readonly Empty Instance = new();
    }
}
