using ActorQm.Tls;
using Akka.Actor;
using static ActorQm.Rest.WebConsole.HandshakeTimeline;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Rest.WebConsole;

/// <summary>
/// Keeps, per channel listener, the last connections' handshakes from the EventStream (<see cref="HandshakeTransitioned"/> at
/// every step, <see cref="ChannelSslError"/> for each refusal), for the console's timeline (docs/rest.md, "Console").
/// Everything a peer controls is bounded: connections per listener (in-progress ones too, so a flood of connections that
/// never finish pushes out only records), listeners, steps per connection, and the length of every text.
/// Only responders are kept: an initiator's handshake belongs to a channel, not a listener.
/// </summary>
internal sealed class HandshakeTimelineActor : ReceiveActor
{
    // The FSM walks at most five transitions; more would be a new kind of step, not a reason to grow without end.
    private const int MaxSteps = 8;

    private readonly int _perListener;
    private readonly Dictionary<string, Ring> _listeners = new(StringComparer.Ordinal);
    private long _heard;

    public HandshakeTimelineActor(int perListener)
    {
        _perListener = perListener;
        Receive<HandshakeTransitioned>(Transitioned);
        Receive<ChannelSslError>(Refused);
        Receive<GetTimeline>(g => Sender.Tell(new Timeline(g.Listeners
            .Where(_listeners.ContainsKey)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(l => l, l => (IReadOnlyList<HandshakeRecord>)[.. _listeners[l].Entries.Reverse().Select(e => e.Snapshot())], StringComparer.Ordinal))));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(HandshakeTransitioned));
        Context.System.EventStream.Subscribe(Self, typeof(ChannelSslError));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Transitioned(HandshakeTransitioned t)
    {
        if (t.Role != HandshakeRole.Responder || EntryFor(t.ConnectionId, t.Elapsed) is not { } entry)
        {
            return;
        }

        if (entry.Steps.Count < MaxSteps)
        {
            entry.Steps.Add(new StepRecord(t.From, (t.Elapsed - entry.LastElapsed).TotalMilliseconds));
        }

        entry.LastElapsed = t.Elapsed;
        if (t.Revocation is { } answer)
        {
            entry.RevocationSource = Bounded(answer.Source);
            entry.RevocationStatus = answer.Status.ToString();
        }

        if (t.To is HandshakeStep.Accepted or HandshakeStep.Rejected)
        {
            entry.Outcome = t.To;
            entry.DecidingStep = t.To == HandshakeStep.Rejected ? t.From : null;
        }
    }

    private void Refused(ChannelSslError e)
    {
        // Published just before the transition to Rejected: the record may not exist yet.
        if (e.Role == HandshakeRole.Responder && EntryFor(e.ConnectionId, null) is { } entry)
        {
            entry.AmqCode = Bounded(e.AmqCode);
            entry.Detail = Bounded(e.Detail);
            entry.Peer = Bounded(e.PeerSubject);
        }
    }

    private Entry? EntryFor(string connectionId, TimeSpan? elapsed)
    {
        if (ListenerOf(connectionId) is not { } listener)
        {
            return null;
        }

        if (!_listeners.TryGetValue(listener, out var ring))
        {
            if (_listeners.Count >= MaxListeners)
            {
                _listeners.Remove(_listeners.MinBy(l => l.Value.Heard).Key);
            }

            ring = new Ring();
            _listeners[listener] = ring;
        }

        ring.Heard = ++_heard;
        if (ring.Find(connectionId) is { } found)
        {
            return found;
        }

        var entry = new Entry(connectionId, DateTimeOffset.UtcNow - (elapsed ?? TimeSpan.Zero));
        ring.Add(entry, _perListener);
        return entry;
    }

    private static string? Bounded(string? text) => text is null || text.Length <= MaxText ? text : text[..MaxText] + "…";

    /// <summary>One listener's connections, oldest first, found by identifier.</summary>
    private sealed class Ring
    {
        private readonly LinkedList<Entry> _entries = new();
        private readonly Dictionary<string, LinkedListNode<Entry>> _byId = new(StringComparer.Ordinal);

        public long Heard { get; set; }

        public IEnumerable<Entry> Entries => _entries;

        public Entry? Find(string connectionId) => _byId.TryGetValue(connectionId, out var node) ? node.Value : null;

        public void Add(Entry entry, int bound)
        {
            _byId[entry.ConnectionId] = _entries.AddLast(entry);
            while (_entries.Count > bound)
            {
                _byId.Remove(_entries.First!.Value.ConnectionId);
                _entries.RemoveFirst();
            }
        }
    }

    /// <summary>A record being filled in as the events come; sent out only as its <see cref="Snapshot"/>.</summary>
    private sealed class Entry(string connectionId, DateTimeOffset started)
    {
        public string ConnectionId { get; } = connectionId;

        public List<StepRecord> Steps { get; } = [];

        public TimeSpan LastElapsed { get; set; }

        public HandshakeStep? Outcome { get; set; }

        public HandshakeStep? DecidingStep { get; set; }

        public string? AmqCode { get; set; }

        public string? Detail { get; set; }

        public string? Peer { get; set; }

        public string? RevocationSource { get; set; }

        public string? RevocationStatus { get; set; }

        public HandshakeRecord Snapshot() =>
            new(ConnectionId, started, [.. Steps], Outcome, DecidingStep, AmqCode, Detail, Peer, RevocationSource, RevocationStatus);
    }
}
