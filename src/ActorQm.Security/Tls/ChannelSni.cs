using System.Text;

namespace ActorQm.Tls;

/// <summary>
/// MQ's encoding of a channel name as a TLS server name (docs/tls.md), so the responder can choose
/// the channel's own certificate (CERTLABL) before it knows the channel: A-Z become lower case,
/// 0-9 stay, any other character (lower-case letters included) becomes two lower-case hex digits
/// and '-'; the suffix is <c>.chl.mq.ibm.com</c>.
/// </summary>
public static class ChannelSni
{
    public const string Suffix = ".chl.mq.ibm.com";

    public static string Encode(string channelName)
    {
        var sb = new StringBuilder(channelName.Length * 2 + Suffix.Length);
        foreach (var c in channelName)
        {
            if (c is >= 'A' and <= 'Z')
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (c is >= '0' and <= '9')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append('-');
            }
        }

        return sb.Append(Suffix).ToString();
    }

    /// <summary>The channel name a server name encodes, or null when it is an ordinary host name.</summary>
    public static string? TryDecode(string? serverName)
    {
        if (serverName is null || !serverName.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var encoded = serverName[..^Suffix.Length];
        var sb = new StringBuilder(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (i + 2 < encoded.Length && encoded[i + 2] == '-' && IsHex(c) && IsHex(encoded[i + 1]))
            {
                sb.Append((char)Convert.ToInt32(encoded.Substring(i, 2), 16));
                i += 2;
            }
            else if (c is >= 'a' and <= 'z')
            {
                sb.Append(char.ToUpperInvariant(c));
            }
            else if (c is >= '0' and <= '9')
            {
                sb.Append(c);
            }
            else
            {
                return null;
            }
        }

        return sb.ToString();
    }

    private static bool IsHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');
}
