using System.Globalization;
using System.Net;

namespace ActorQm.Tls;

/// <summary>
/// CHLAUTH address patterns (ADDRLIST of BLOCKADDR, ADDRESS of ADDRESSMAP): IPv4 parts that are a
/// number, a range <c>a-b</c> or <c>*</c> (a trailing <c>*</c> also stands for the parts after it),
/// <c>*</c> alone for every address, or an exact IPv6 address.
/// </summary>
public static class AddressPattern
{
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

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return IPAddress.TryParse(pattern, out var exact) && exact.Equals(address);
        }

        var octets = address.GetAddressBytes();
        var parts = pattern.Split('.');
        for (var i = 0; i < 4; i++)
        {
            if (i >= parts.Length)
            {
                return false;
            }

            var part = parts[i];
            if (part == "*")
            {
                if (i == parts.Length - 1)
                {
                    return true;
                }

                continue;
            }

            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0
                && int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                && int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var high))
            {
                if (octets[i] < low || octets[i] > high)
                {
                    return false;
                }
            }
            else if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value != octets[i])
            {
                return false;
            }
        }

        return parts.Length == 4;
    }
}
