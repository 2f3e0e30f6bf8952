using ActorQm.Store;

namespace ActorQm.Queues;

/// <summary>Where a browse cursor stands: the last message it returned, in delivery order.</summary>
public readonly record struct BrowseCursor(int Priority, long Seq)
{
    /// <summary>Before the first message.</summary>
    public static readonly BrowseCursor Start = new(10, 0);
}

/// <summary>
/// A queue's messages in MQ delivery order: priority 9 first, FIFO (by sequence number) within a
/// priority. One array-backed list per priority; removals are marked and compacted lazily so a
/// get from the head is O(1) and a browse position is a binary search.
/// </summary>
internal sealed class MessageBuckets
{
    public const int Priorities = 10;
    private readonly Bucket[] _buckets = Enumerable.Range(0, Priorities).Select(_ => new Bucket()).ToArray();

    /// <summary>Messages on the queue, locked ones included.</summary>
    public int Count { get; private set; }

    public void Add(StoredMessage m)
    {
        _buckets[m.Priority].Add(m);
        Count++;
    }

    public void Remove(StoredMessage m)
    {
        if (m.Removed)
        {
            return;
        }

        m.Removed = true;
        _buckets[m.Priority].NoteRemoved();
        Count--;
    }

    /// <summary>
    /// The first available (unlocked, unexpired) message after <paramref name="after"/> that satisfies
    /// <paramref name="match"/>. Expired messages met on the way are removed and handed to <paramref name="expired"/>.
    /// </summary>
    public StoredMessage? First<TState>(BrowseCursor after, Func<StoredMessage, TState, bool> match, TState state, long nowMs, Action<StoredMessage> expired)
    {
        for (var p = Math.Min(after.Priority, Priorities - 1); p >= 0; p--)
        {
            var bucket = _buckets[p];
            var start = p == after.Priority ? bucket.IndexAfter(after.Seq) : bucket.Head;
            for (var i = start; i < bucket.Items.Count; i++)
            {
                var m = bucket.Items[i];
                if (m.Removed || m.Locked)
                {
                    continue;
                }

                if (m.IsExpired(nowMs))
                {
                    Remove(m);
                    expired(m);
                    continue;
                }

                if (match(m, state))
                {
                    return m;
                }
            }
        }

        return null;
    }

    /// <summary>Removes and reports every expired, unlocked message.</summary>
    public void SweepExpired(long nowMs, Action<StoredMessage> expired)
    {
        foreach (var bucket in _buckets)
        {
            for (var i = bucket.Head; i < bucket.Items.Count; i++)
            {
                var m = bucket.Items[i];
                if (!m.Removed && !m.Locked && m.IsExpired(nowMs))
                {
                    Remove(m);
                    expired(m);
                }
            }
        }
    }

    /// <summary>Every message still on the queue (locked included), in delivery order.</summary>
    public IEnumerable<StoredMessage> All()
    {
        for (var p = Priorities - 1; p >= 0; p--)
        {
            var bucket = _buckets[p];
            for (var i = bucket.Head; i < bucket.Items.Count; i++)
            {
                if (!bucket.Items[i].Removed)
                {
                    yield return bucket.Items[i];
                }
            }
        }
    }

    public void Clear()
    {
        foreach (var m in All().Where(m => !m.Locked).ToList())
        {
            Remove(m);
        }
    }

    private sealed class Bucket
    {
        // Removed messages still in Items (ahead of and behind Head).
        private int _removed;

        public List<StoredMessage> Items { get; } = new();
        public int Head { get; private set; }

        public void Add(StoredMessage m)
        {
            // Sequence numbers are handed out before a persistent put is synced, so a message can
            // arrive after a later one; keep the list sorted so FIFO holds within the priority.
            var i = Items.Count;
            while (i > Head && Items[i - 1].Seq > m.Seq)
            {
                i--;
            }

            Items.Insert(i, m);
        }

        public void NoteRemoved()
        {
            _removed++;
            while (Head < Items.Count && Items[Head].Removed)
            {
                Head++;
            }

            if (Head > 64 && Head > Items.Count - Head)
            {
                Items.RemoveRange(0, Head);
                _removed -= Head;
                Head = 0;
            }
            else if (_removed > 64 && _removed > Items.Count / 2)
            {
                Items.RemoveAll(x => x.Removed);
                _removed = 0;
                Head = 0;
            }
        }

        /// <summary>Index of the first item with a sequence number above <paramref name="seq"/>.</summary>
        public int IndexAfter(long seq)
        {
            int lo = Head, hi = Items.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Items[mid].Seq <= seq)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
