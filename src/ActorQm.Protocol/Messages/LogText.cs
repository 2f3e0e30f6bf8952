namespace ActorQm.Messages;

/// <summary>
/// Text a peer controls (a certificate's names, a refusal's detail that repeats them) made safe for one log line: control
/// characters become <c>\XX</c> escapes of their UTF-8 bytes, as RFC 4514 writes them in a DN, so a crafted name cannot
/// forge log lines (docs/operations.md, "Structured logs").
/// </summary>
public static class LogText
{
    /// <summary><paramref name="text"/> with every control character escaped; the same instance when it has none.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var sb = new System.Text.StringBuilder(text.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (System.Text.Rune.IsControl(rune))
            {
                var length = rune.EncodeToUtf8(utf8);
                foreach (var b in utf8[..length])
                {
                    sb.Append('\\').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }

    /// <inheritdoc cref="Printable(string)"/>
    public static string? PrintableOrNull(string? text) => text is null ? null : Printable(text);
}
