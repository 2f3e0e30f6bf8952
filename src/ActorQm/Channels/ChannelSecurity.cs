using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Channels;

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
        var view = channel.AsChannel();
        var cipher = view.SslCipher;
        if (cipher.Length == 0)
        {
            return null;
        }

        var selection = CipherSpecs.Select(cipher, allowTls13)
            ?? throw new InvalidOperationException($"AMQ9635E: channel {channel.Name} did not specify a CipherSpec that can be used ({cipher}{(allowTls13 ? string.Empty : " with TLS 1.3 disabled")}).");
        var sslPeer = view.SslPeer;
        return new PeerRequirements(
            selection,
            sslPeer.Length == 0 ? null : DistinguishedNameFilter.Parse(sslPeer),
            // Only responding channel types have SSLCAUTH; for the others the question does not arise.
            ClientAuthRequired: view.ClientAuthRequired,
            PeerMaps: PeerMapsFor(catalog, channel.Name));
    }

    /// <summary>The SSLPEERMAP records of the most specific CHLAUTH profile matching <paramref name="channelName"/>.</summary>
    public static IReadOnlyList<SslPeerMapRule> PeerMapsFor(ObjectCatalog catalog, string channelName)
    {
        if (!catalog.QMgr.AsQMgr().ChannelAuthEnabled)
        {
            return [];
        }

        var records = catalog.All("CHLAUTH").Where(r => r.AsChannelAuth().Type == ChannelAuthType.SslPeerMap && ProfileMatches(r.Name, channelName)).ToList();
        if (records.Count == 0)
        {
            return [];
        }

        var profile = records.Select(r => r.Name).Distinct().OrderByDescending(ProfileSpecificity).First();
        return records.Where(r => r.Name == profile).Select(PeerMapOf).ToList();
    }

    /// <summary>An SSLPEERMAP record as a rule the handshake and the channel admission apply.</summary>
    public static SslPeerMapRule PeerMapOf(MqObject record) => PeerMapOf(record.AsChannelAuth());

    private static SslPeerMapRule PeerMapOf(ChannelAuthView record) => new(
        DistinguishedNameFilter.Parse(record.SslPeer),
        record.SslCertIssuer.Length == 0 ? null : DistinguishedNameFilter.Parse(record.SslCertIssuer),
        record.UserSource.Keyword(),
        record.McaUser,
        record.Profile,
        record.Warn,
        record.Address);

    /// <summary>The BLOCKADDR pattern (CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST) an address matches, or null; a blocking one before a WARN(YES) one.</summary>
    public static AddressBlock? BlockedBy(ObjectCatalog catalog, System.Net.IPAddress address) => BlockedBy(BlockedAddresses(catalog), address);

    public static AddressBlock? BlockedBy(IReadOnlyList<AddressBlock> blocks, System.Net.IPAddress address) =>
        blocks.Where(b => AddressPattern.Matches(b.Pattern, address)).OrderBy(b => b.WarnOnly).FirstOrDefault();

    /// <summary>Every BLOCKADDR pattern in force (none while QMGR CHLAUTH is DISABLED).</summary>
    public static IReadOnlyList<AddressBlock> BlockedAddresses(ObjectCatalog catalog) =>
        !catalog.QMgr.AsQMgr().ChannelAuthEnabled
            ? []
            : catalog.All("CHLAUTH").Select(r => r.AsChannelAuth()).Where(r => r.Type == ChannelAuthType.BlockAddress)
                .SelectMany(r => r.AddressList.Select(p => new AddressBlock(p, r.Warn))).ToList();

    /// <summary>
    /// The one mapping record (SSLPEERMAP, USERMAP, QMGRMAP, ADDRESSMAP) that decides an inbound channel's
    /// access and MCA user, or null when none matches: first the most specific channel profile that has any
    /// record matching the caller, then within it the record types in that order, then the most specific
    /// record of the type (docs/tls.md, CHLAUTH). A less specific profile is never consulted when a more
    /// specific one has a matching record, whatever their types.
    /// </summary>
    public static MqObject? MappingFor(ObjectCatalog catalog, string channelName, CallerFacts caller)
    {
        if (!catalog.QMgr.AsQMgr().ChannelAuthEnabled)
        {
            return null;
        }

        var matching = catalog.All("CHLAUTH").Where(r => ProfileMatches(r.Name, channelName) && MappingPrecedence.Matches(r, caller)).ToList();
        if (matching.Count == 0)
        {
            return null;
        }

        // Profiles that weigh the same (APP.* and *.SVRCONN) are considered together: neither may hide the other's refusal.
        var top = matching.Max(r => ProfileSpecificity(r.Name));
        return matching.Where(r => ProfileSpecificity(r.Name) == top).OrderByDescending(r => r, MappingPrecedence.Instance).First();
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
    internal static int ProfileSpecificity(string profile) => (profile.Count(c => c != '*') * 100) - profile.Count(c => c == '*');
}
