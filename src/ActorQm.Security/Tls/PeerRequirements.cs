using ActorQm.Messages;

namespace ActorQm.Tls;

/// <summary>A CHLAUTH SSLPEERMAP record as the handshake applies it; <see cref="Address"/> is its optional ADDRESS filter.</summary>
public sealed record SslPeerMapRule(DistinguishedNameFilter SslPeer, DistinguishedNameFilter? SslCertIssuer, string UserSource, string McaUser, string Profile, bool Warn = false, string Address = "")
{
    /// <summary>
    /// Whether the record applies to a peer. With an ADDRESS filter and no known address (the initiating
    /// end's handshake), only a NOACCESS record applies: an unknown never helps the peer.
    /// </summary>
    public bool Matches(PeerName subject, PeerName issuer, System.Net.IPAddress? from = null) =>
        SslPeer.Matches(subject) && (SslCertIssuer is null || SslCertIssuer.Matches(issuer)) && AddressAllows(from);

    /// <summary>
    /// The record that applies to a peer: the most specific that matches (<see cref="Compare"/>; the same choice DISPLAY CHLAUTH
    /// MATCH(RUNCHECK) shows). A name that repeats an attribute a record names matches no MAP record, but does match a NOACCESS
    /// record that one of its values satisfies: ambiguity never helps the peer (docs/tls.md, SSLPEER).
    /// </summary>
    public static SslPeerMapRule? Select(IEnumerable<SslPeerMapRule> rules, PeerName subject, PeerName issuer, System.Net.IPAddress? from = null) =>
        rules.Where(r => r.Applies(subject, issuer, from)).OrderByDescending(r => r, Comparer<SslPeerMapRule>.Create(Compare)).FirstOrDefault();

    /// <summary>Whether the record matches, or is a NOACCESS record that an ambiguous name could satisfy.</summary>
    public bool Applies(PeerName subject, PeerName issuer, System.Net.IPAddress? from) =>
        Matches(subject, issuer, from) || (UserSource == "NOACCESS" && BlocksAmbiguous(subject, issuer) && AddressAllows(from));

    /// <summary>
    /// ActorQm's precedence between matching records (docs/tls.md, CHLAUTH): the SSLPEER ranked attribute by attribute
    /// (<see cref="DistinguishedNameFilter.CompareSpecificity"/>); at equal rank a record with SSLCERTI, then one with ADDRESS;
    /// then the more specific SSLCERTI; then a blocking record; last the record's text, so the choice never depends on the
    /// order records were defined in.
    /// </summary>
    public static int Compare(SslPeerMapRule a, SslPeerMapRule b)
    {
        var byPeer = a.SslPeer.CompareSpecificity(b.SslPeer);
        if (byPeer != 0)
        {
            return byPeer;
        }

        var byQualifiers = (a.SslCertIssuer is not null, a.Address.Length > 0).CompareTo((b.SslCertIssuer is not null, b.Address.Length > 0));
        if (byQualifiers != 0)
        {
            return byQualifiers;
        }

        var byIssuer = a.SslCertIssuer is { } ai && b.SslCertIssuer is { } bi ? ai.CompareSpecificity(bi) : 0;
        if (byIssuer != 0)
        {
            return byIssuer;
        }

        var byBlocking = a.Blocking.CompareTo(b.Blocking);
        return byBlocking != 0 ? byBlocking : string.CompareOrdinal(b.Identity, a.Identity);
    }

    /// <summary>NOACCESS outweighs the rest, and a refusing one a WARN(YES) one.</summary>
    internal int Blocking => UserSource == "NOACCESS" ? (Warn ? 1 : 2) : 0;

    private string Identity => $"{Profile}\u0001{SslPeer.Text}\u0001{SslCertIssuer?.Text}\u0001{Address}\u0001{UserSource}\u0001{McaUser}";

    private bool AddressAllows(System.Net.IPAddress? from) =>
        Address.Length == 0 || (from is null ? UserSource == "NOACCESS" : AddressPattern.Matches(Address, from));

    private bool BlocksAmbiguous(PeerName subject, PeerName issuer) =>
        SslPeer.MatchesAnyValue(subject) && (SslCertIssuer is null || SslCertIssuer.MatchesAnyValue(issuer));
}

/// <summary>What the peer must satisfy: the channel's SSLCIPH, SSLPEER, SSLCAUTH and its SSLPEERMAP records.</summary>
public sealed record PeerRequirements(
    CipherSpecSelection Cipher,
    DistinguishedNameFilter? SslPeer = null,
    bool ClientAuthRequired = true,
    IReadOnlyList<SslPeerMapRule>? PeerMaps = null)
{
    /// <summary>
    /// SSLPEER, then the most specific CHLAUTH SSLPEERMAP record of <see cref="PeerMaps"/> (the initiating end's
    /// own channel; a responder weighs its mapping records at channel admission, docs/tls.md, CHLAUTH).
    /// </summary>
    public PeerCheck CheckPeer(PeerIdentity? peer, HandshakeRole role)
    {
        if (SslPeer is { } filter && (peer is null ? "no certificate" : filter.Mismatch(peer.Subject)) is { } why)
        {
            return new PeerCheck("AMQ9636E", role == HandshakeRole.Responder ? MqReason.NotAuthorized : MqReason.SslPeerNameMismatch,
                $"the distinguished name of the remote end ({peer?.Subject.ToString() ?? "no certificate"}) does not match SSLPEER('{filter.Text}'): {why}", null);
        }

        var rule = peer is not null && PeerMaps is { Count: > 0 } maps ? SslPeerMapRule.Select(maps, peer.Subject, peer.Issuer) : null;
        var record = rule is null ? null : $"CHLAUTH('{rule.Profile}') TYPE(SSLPEERMAP) SSLPEER('{rule.SslPeer.Text}') USERSRC({rule.UserSource})";
        return rule switch
        {
            { UserSource: "NOACCESS", Warn: false } => new PeerCheck("AMQ9777E", MqReason.NotAuthorized, $"channel was blocked by {record}", null),
            { UserSource: "NOACCESS" } => new PeerCheck(null, MqReason.None, string.Empty, null) { Warning = $"channel would have been blocked by {record} WARN(YES)" },
            _ => new PeerCheck(null, MqReason.None, string.Empty, rule is { UserSource: "MAP" } ? rule.McaUser : null),
        };
    }
}

/// <summary>The answer of the peer filter: refused with an AMQ code and MQRC, or passed with the MCA user a SSLPEERMAP record maps to.</summary>
public sealed record PeerCheck(string? AmqCode, MqReason Reason, string Detail, string? McaUser)
{
    /// <summary>A NOACCESS record in WARN(YES) mode matched: the peer passes and this is logged.</summary>
    public string? Warning { get; init; }
}
