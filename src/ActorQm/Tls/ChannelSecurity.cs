using ActorQm.Objects;

namespace ActorQm.Tls;

/// <summary>
/// What a channel's definition and the CHLAUTH records demand of its peer: the channel's SSLCIPH,
/// SSLPEER and SSLCAUTH, and the SSLPEERMAP records of the most specific CHLAUTH profile that
/// matches the channel name (when QMGR CHLAUTH is ENABLED).
/// </summary>
public static class ChannelSecurity
{
    /// <summary>Null when the channel has no SSLCIPH: it does not use TLS, and SSLPEER is kept but not used.</summary>
    public static PeerRequirements? RequirementsFor(ObjectCatalog catalog, MqObject channel, bool allowTls13 = true)
    {
        var cipher = channel.Text("SSLCIPH");
        if (cipher.Length == 0)
        {
            return null;
        }

        var selection = CipherSpecs.Select(cipher, allowTls13)
            ?? throw new InvalidOperationException($"AMQ9635E: channel {channel.Name} did not specify a CipherSpec that can be used ({cipher}{(allowTls13 ? string.Empty : " with TLS 1.3 disabled")}).");
        var sslPeer = channel.Text("SSLPEER");
        return new PeerRequirements(
            selection,
            sslPeer.Length == 0 ? null : DistinguishedNameFilter.Parse(sslPeer),
            // Only responding channel types have SSLCAUTH; for the others the question does not arise.
            ClientAuthRequired: channel.Text("SSLCAUTH") != "OPTIONAL",
            PeerMaps: PeerMapsFor(catalog, channel.Name));
    }

    /// <summary>The SSLPEERMAP records of the most specific CHLAUTH profile matching <paramref name="channelName"/>.</summary>
    public static IReadOnlyList<SslPeerMapRule> PeerMapsFor(ObjectCatalog catalog, string channelName)
    {
        if (catalog.QMgr.Text("CHLAUTH") != "ENABLED")
        {
            return [];
        }

        var records = catalog.All("CHLAUTH").Where(r => r.Text("TYPE") == "SSLPEERMAP" && ProfileMatches(r.Name, channelName)).ToList();
        if (records.Count == 0)
        {
            return [];
        }

        var profile = records.Select(r => r.Name).Distinct().OrderByDescending(ProfileSpecificity).First();
        return records.Where(r => r.Name == profile).Select(r => new SslPeerMapRule(
            DistinguishedNameFilter.Parse(r.Text("SSLPEER")),
            r.Text("SSLCERTI").Length == 0 ? null : DistinguishedNameFilter.Parse(r.Text("SSLCERTI")),
            r.Text("USERSRC"),
            r.Text("MCAUSER"),
            r.Name)).ToList();
    }

    /// <summary>The BLOCKADDR pattern (CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST) an address matches, or null.</summary>
    public static string? BlockedBy(ObjectCatalog catalog, System.Net.IPAddress address) => BlockedBy(BlockedAddresses(catalog), address);

    public static string? BlockedBy(IReadOnlyList<string> patterns, System.Net.IPAddress address) => patterns.FirstOrDefault(p => AddressPattern.Matches(p, address));

    /// <summary>Every BLOCKADDR pattern in force (none while QMGR CHLAUTH is DISABLED).</summary>
    public static IReadOnlyList<string> BlockedAddresses(ObjectCatalog catalog) =>
        catalog.QMgr.Text("CHLAUTH") != "ENABLED"
            ? []
            : catalog.All("CHLAUTH").Where(r => r.Text("TYPE") == "BLOCKADDR").SelectMany(r => r.List("ADDRLIST")).ToList();

    /// <summary>CHLAUTH profiles may hold '*' anywhere, standing for any run of characters.</summary>
    public static bool ProfileMatches(string profile, string channelName)
    {
        var parts = profile.Split('*');
        if (parts.Length == 1)
        {
            return profile == channelName;
        }

        if (!channelName.StartsWith(parts[0], StringComparison.Ordinal) || !channelName.EndsWith(parts[^1], StringComparison.Ordinal))
        {
            return false;
        }

        var position = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = channelName.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return position <= channelName.Length - parts[^1].Length;
    }

    /// <summary>More literal characters is more specific; with as many, fewer wildcards is.</summary>
    private static int ProfileSpecificity(string profile) => (profile.Count(c => c != '*') * 100) - profile.Count(c => c == '*');
}
