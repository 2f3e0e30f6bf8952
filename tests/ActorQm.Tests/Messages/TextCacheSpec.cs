using System.Text;
using ActorQm.Messages;

namespace ActorQm.Tests.Messages;

public sealed class TextCacheSpec
{
    [Fact]
    public void TextCache_must_give_the_same_instance_for_repeated_text_and_the_right_text_always()
    {
        var first = TextCache.Get("APP.IN"u8);
        Assert.Same(first, TextCache.Get("APP.IN"u8));
        Assert.Equal("APP.IN", first);

        // Many distinct names share the 256 slots: whatever the collisions, each read gives its own text.
        var names = Enumerable.Range(0, 2000).Select(n => $"Q.{n}").ToList();
        foreach (var round in Enumerable.Range(0, 2))
        {
            foreach (var name in names)
            {
                Assert.Equal(name, TextCache.Get(Encoding.ASCII.GetBytes(name)));
            }
        }
    }

    [Fact]
    public void TextCache_must_decode_text_it_does_not_keep()
    {
        Assert.Same(string.Empty, TextCache.Get([]));
        Assert.Equal("Grüße", TextCache.Get(Encoding.UTF8.GetBytes("Grüße")));
        var longName = new string('X', 100);
        Assert.Equal(longName, TextCache.Get(Encoding.ASCII.GetBytes(longName)));
        // The same bytes but one: never the cached string of its slot.
        Assert.Equal("APP.IM", TextCache.Get("APP.IM"u8));
    }
}
