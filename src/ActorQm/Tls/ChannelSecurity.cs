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
            r.Name,
            r.Text("WARN") == "YES")).ToList();
    }

    /// <summary>The BLOCKADDR pattern (CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST) an address matches, or null; a blocking one before a WARN(YES) one.</summary>
    public static AddressBlock? BlockedBy(ObjectCatalog catalog, System.Net.IPAddress address) => BlockedBy(BlockedAddresses(catalog), address);

    public static AddressBlock? BlockedBy(IReadOnlyList<AddressBlock> blocks, System.Net.IPAddress address) =>
        blocks.Where(b => AddressPattern.Matches(b.Pattern, address)).OrderBy(b => b.WarnOnly).FirstOrDefault();

    /// <summary>Every BLOCKADDR pattern in force (none while QMGR CHLAUTH is DISABLED).</summary>
    public static IReadOnlyList<AddressBlock> BlockedAddresses(ObjectCatalog catalog) =>
        catalog.QMgr.Text("CHLAUTH") != "ENABLED"
            ? []
            : catalog.All("CHLAUTH").Where(r => r.Text("TYPE") == "BLOCKADDR")
                .SelectMany(r => r.List("ADDRLIST").Select(p => new AddressBlock(p, r.Text("WARN") == "YES"))).ToList();

    /// <summary>
    /// The ADDRESSMAP or QMGRMAP record that decides an inbound channel's access when no SSLPEERMAP record
    /// matched its peer: among the records whose profile matches the channel and whose ADDRESS (and
    /// QMNAME) match the caller, the most specific profile wins; within it QMGRMAP before ADDRESSMAP,
    /// then the more specific address. <paramref name="remoteQMgr"/> is null for clients.
    /// </summary>
    public static MqObject? IdentityMapFor(ObjectCatalog catalog, string channelName, System.Net.IPAddress? address, string? remoteQMgr)
    {
        if (catalog.QMgr.Text("CHLAUTH") != "ENABLED")
        {
            return null;
        }

        bool AddressMatches(MqObject r) => r.Text("ADDRESS") is not { Length: > 0 } pattern || (address is not null && AddressPattern.Matches(pattern, address));
        return catalog.All("CHLAUTH")
            .Where(r => ProfileMatches(r.Name, channelName) && r.Text("TYPE") switch
            {
                "ADDRESSMAP" => address is not null && AddressMatches(r),
                "QMGRMAP" => remoteQMgr is not null && ProfileMatches(r.Text("QMNAME"), remoteQMgr) && AddressMatches(r),
                _ => false,
            })
            .OrderByDescending(r => ProfileSpecificity(r.Name))
            .ThenBy(r => r.Text("TYPE") == "QMGRMAP" ? 0 : 1)
            .ThenByDescending(r => ProfileSpecificity(r.Text("TYPE") == "QMGRMAP" ? r.Text("QMNAME") : r.Text("ADDRESS")))
            .FirstOrDefault();
    }

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

/// <summary>A CHLAUTH BLOCKADDR pattern; <see cref="WarnOnly"/> (WARN(YES)): the connection is let in and logged.</summary>
public sealed record AddressBlock(string Pattern, bool WarnOnly = false);
