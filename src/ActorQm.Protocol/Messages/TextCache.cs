using System.Text;

namespace ActorQm.Messages;

/// <summary>
/// The strings of fixed-width text fields (queue and queue manager names, user ids, application names, formats) repeat from
/// one message to the next: each thread keeps the last string seen per small slot, so a repeated field costs a compare
/// instead of a new string on every message decoded, and the messages held on a queue share one instance.
/// </summary>
internal static class TextCache
{
    private const int Slots = 256;
    private const int MaxCachedLength = 64;

    [ThreadStatic]
    private static string?[]? t_slots;

    /// <summary>The text of <paramref name="utf8"/> (already checked to be UTF-8); a cached instance when it is short ASCII seen before on this thread.</summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxCachedLength || !Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slots = t_slots ??= new string?[Slots];
        var slot = (int)((uint)hash.ToHashCode() % Slots);
        if (slots[slot] is { } cached && Ascii.Equals(utf8, cached))
        {
            return cached;
        }

        return slots[slot] = Encoding.ASCII.GetString(utf8);
    }
}
