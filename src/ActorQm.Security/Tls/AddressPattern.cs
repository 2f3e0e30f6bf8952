using System.Globalization;
using System.Net;

namespace ActorQm.Tls;

/// <summary>Why an address pattern is refused: the 1-based part, where it starts in the pattern, its text and the reason.</summary>
public sealed record AddressPatternError(int Part, int Offset, string Text, string Reason);

/// <summary>
/// CHLAUTH address patterns (ADDRLIST of BLOCKADDR, ADDRESS of the mapping records), as MQ documents them
/// ("Generic IP addresses for channel authentication records"): <c>*</c> alone for every address; an IPv4
/// pattern of four parts, each a number 0-255, a range <c>a-b</c> (a &lt; b) or <c>*</c>; fewer than four
/// parts when exactly one of them is <c>*</c>, which then stands for the missing parts too (<c>10.9.*</c>,
/// <c>192.*.2</c>); or an exact IPv6 address. Anything else (CIDR, host names, 300, 5-1) is refused at
/// SET CHLAUTH (docs/tls.md, CHLAUTH) and matches nothing.
/// </summary>
public static class AddressPattern
{
    /// <summary>Why <paramref name="pattern"/> is not a pattern MQ accepts, or null when it is.</summary>
    public static AddressPatternError? Validate(string pattern)
    {
        if (pattern == "*")
        {
            return null;
        }

        if (pattern.Contains(':', StringComparison.Ordinal))
        {
            return pattern.IndexOfAny(['%', '/', '*']) < 0 && IPAddress.TryParse(pattern, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? null
                : new AddressPatternError(1, 1, pattern, "an IPv6 pattern must be one exact address (no zone, prefix length or '*')");
        }

        var parts = pattern.Split('.');
        var offset = 1;
        var stars = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (i == 4)
            {
                return new AddressPatternError(5, offset, part, "an IPv4 address has 4 parts");
            }

            if (part == "*" && ++stars > 1 && parts.Length < 4)
            {
                return new AddressPatternError(i + 1, offset, part, "with fewer than 4 parts only one '*' may stand for the missing ones");
            }

            if (part != "*" && PartError(part) is { } why)
            {
                return new AddressPatternError(i + 1, offset, part, why);
            }

            offset += part.Length + 1;
        }

        return parts.Length < 4 && stars == 0
            ? new AddressPatternError(parts.Length, offset - parts[^1].Length - 1, parts[^1], "fewer than 4 parts need a '*' standing for the missing ones")
            : null;
    }

    public static bool Matches(string pattern, IPAddress address)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (Validate(pattern) is not null)
        {
            return false;
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return pattern.Contains(':', StringComparison.Ordinal) && IPAddress.Parse(pattern).Equals(address);
        }

        if (pattern.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        var octets = address.GetAddressBytes();
        var parts = Expand(pattern);
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part == "*")
            {
                continue;
            }

            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (low, high) = dash > 0 ? (Number(part[..dash]), Number(part[(dash + 1)..])) : (Number(part), Number(part));
            if (octets[i] < low || octets[i] > high)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How narrow a valid pattern is: an exact IPv6 address most, then per IPv4 part a number over a range over '*'.</summary>
    public static int Specificity(string pattern) =>
        Validate(pattern) is not null || pattern == "*" ? 0
        : pattern.Contains(':', StringComparison.Ordinal) ? 9
        : Expand(pattern).Sum(p => p == "*" ? 0 : p.Contains('-', StringComparison.Ordinal) ? 1 : 2);

    /// <summary>A valid IPv4 pattern as four parts, its single '*' widened over the missing ones.</summary>
    private static string[] Expand(string pattern)
    {
        var parts = pattern.Split('.');
        if (parts.Length == 4)
        {
            return parts;
        }

        var star = Array.IndexOf(parts, "*");
        return [.. parts[..star], .. Enumerable.Repeat("*", 5 - parts.Length), .. parts[(star + 1)..]];
    }

    private static string? PartError(string part)
    {
        var dash = part.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return IsOctet(part) ? null : "not a number 0-255, a range a-b or '*'";
        }

        return !IsOctet(part[..dash]) || !IsOctet(part[(dash + 1)..]) ? "a range must be two numbers 0-255"
            : Number(part[..dash]) >= Number(part[(dash + 1)..]) ? "a range a-b needs a lower than b"
            : null;
    }

    private static bool IsOctet(string text) =>
        text.Length is > 0 and <= 3 && text.All(char.IsAsciiDigit) && Number(text) <= 255;

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}

/// <summary>A CHLAUTH BLOCKADDR pattern; <see cref="WarnOnly"/> (WARN(YES)): the connection is let in and logged.</summary>
public sealed record AddressBlock(string Pattern, bool WarnOnly = false);
