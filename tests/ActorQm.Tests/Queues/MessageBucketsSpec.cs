using ActorQm.Messages;
using ActorQm.Queues;
using ActorQm.Store;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Queues;

public sealed class MessageBucketsSpec
{
    /// <summary>Random puts, gets from the head, gets by match and removals, checked against a sorted model.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MessageBuckets_must_keep_delivery_order_through_any_mix_of_operations(int seed)
    {
        var random = new Random(seed);
        var buckets = new MessageBuckets();
        var model = new List<StoredMessage>();
        long seq = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var op = random.Next(10);
            if (op < 5 || model.Count == 0)
            {
                // Persistent puts can complete out of sequence order: sometimes insert an older number.
                var s = random.Next(8) == 0 && seq > 5 ? seq - random.Next(1, 5) + 0.5 : ++seq;
                var m = new StoredMessage((long)(s * 2), Text("x", priority: random.Next(10)), StoredMessage.NeverExpires);
                if (model.Any(x => x.Seq == m.Seq))
                {
                    continue;
                }

                buckets.Add(m);
                model.Add(m);
            }
            else if (op < 8)
            {
                var expected = model.OrderByDescending(x => x.Priority).ThenBy(x => x.Seq).First();
                var actual = buckets.First(BrowseCursor.Start, static (_, _) => true, 0, 0, _ => { });
                Assert.Same(expected, actual);
                buckets.Remove(actual!);
                model.Remove(expected);
            }
            else
            {
                var victim = model[random.Next(model.Count)];
                buckets.Remove(victim);
                model.Remove(victim);
            }

            Assert.Equal(model.Count, buckets.Count);
        }

        Assert.Equal(model.OrderByDescending(x => x.Priority).ThenBy(x => x.Seq).Select(x => x.Seq), buckets.All().Select(x => x.Seq));
    }

    [Fact]
    public void MessageBuckets_must_continue_a_browse_after_the_cursor_even_when_earlier_messages_go()
    {
        var buckets = new MessageBuckets();
        var messages = Enumerable.Range(1, 6).Select(i => new StoredMessage(i, Text("m" + i, priority: i % 2 == 0 ? 5 : 1), StoredMessage.NeverExpires)).ToList();
        messages.ForEach(buckets.Add);

        var first = buckets.First(BrowseCursor.Start, static (_, _) => true, 0, 0, _ => { })!;
        buckets.Remove(messages[5]);
        var next = buckets.First(new BrowseCursor(first.Priority, first.Seq), static (_, _) => true, 0, 0, _ => { })!;
        var lower = buckets.First(new BrowseCursor(5, 10), static (_, _) => true, 0, 0, _ => { })!;

        Assert.Equal(2, first.Seq);
        Assert.Equal(4, next.Seq);
        Assert.Equal(1, lower.Seq);
    }

    [Fact]
    public void MessageBuckets_must_skip_locked_messages_and_hand_over_expired_ones()
    {
        var buckets = new MessageBuckets();
        var locked = new StoredMessage(1, Text("locked", priority: 0), StoredMessage.NeverExpires) { Locked = true };
        var expired = new StoredMessage(2, Text("expired", priority: 0), 1000);
        var live = new StoredMessage(3, Text("live", priority: 0), StoredMessage.NeverExpires);
        buckets.Add(locked);
        buckets.Add(expired);
        buckets.Add(live);
        var gone = new List<StoredMessage>();

        var found = buckets.First(BrowseCursor.Start, static (_, _) => true, 0, nowMs: 5000, gone.Add);

        Assert.Same(live, found);
        Assert.Equal(new[] { expired }, gone);
        Assert.Equal(2, buckets.Count);
    }
}
