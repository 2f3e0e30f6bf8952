using System.Net;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Channels;

/// <summary>
/// What an inbound caller presents to the CHLAUTH mapping records: its certificate's subject and issuer
/// (null without a certificate), its address, the queue manager it names (null for a client) and the
/// user it asserts (null: ActorQm clients assert none, so USERMAP records match nobody yet).
/// </summary>
public sealed record CallerFacts(PeerName? Subject, PeerName? Issuer, IPAddress? Address, string? RemoteQMgr, string? ClientUser = null);

/// <summary>
/// Which of two mapping records of equally specific channel profiles decides (docs/tls.md, CHLAUTH): the
/// record type (SSLPEERMAP, USERMAP, QMGRMAP, ADDRESSMAP), then the more specific record of that type, then a
/// blocking one, then the record's key, so the choice never depends on the order records were defined in.
/// </summary>
internal sealed class MappingPrecedence : IComparer<MqObject>
{
    public static readonly MappingPrecedence Instance = new();

    // ADDRESSMAP last: ADDRESS('*') NOACCESS is MQ's back-stop pattern, which any other record of the profile overrides.
    private static readonly string[] TypeOrder = ["SSLPEERMAP", "USERMAP", "QMGRMAP", "ADDRESSMAP"];

    public static bool Matches(MqObject record, CallerFacts caller)
    {
        var address = record.Text("ADDRESS");
        var addressMatches = address.Length == 0 || (caller.Address is not null && AddressPattern.Matches(address, caller.Address));
        return record.Text("TYPE") switch
        {
            "SSLPEERMAP" => caller.Subject is not null && ChannelSecurity.PeerMapOf(record).Applies(caller.Subject, caller.Issuer ?? PeerName.Empty, caller.Address),
            "ADDRESSMAP" => caller.Address is not null && addressMatches,
            "QMGRMAP" => caller.RemoteQMgr is not null && ChannelSecurity.ProfileMatches(record.Text("QMNAME"), caller.RemoteQMgr) && addressMatches,
            "USERMAP" => caller.ClientUser is not null && ChannelSecurity.ProfileMatches(record.Text("CLNTUSER"), caller.ClientUser) && addressMatches,
            _ => false,
        };
    }

    /// <summary>Positive when <paramref name="a"/> takes precedence over <paramref name="b"/>.</summary>
    public int Compare(MqObject? a, MqObject? b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var type = a.Text("TYPE");
        var byType = Array.IndexOf(TypeOrder, b.Text("TYPE")).CompareTo(Array.IndexOf(TypeOrder, type));
        if (byType != 0)
        {
            return byType;
        }

        var byRecord = type switch
        {
            "SSLPEERMAP" => SslPeerMapRule.Compare(ChannelSecurity.PeerMapOf(a), ChannelSecurity.PeerMapOf(b)),
            "ADDRESSMAP" => AddressPattern.Specificity(a.Text("ADDRESS")).CompareTo(AddressPattern.Specificity(b.Text("ADDRESS"))),
            _ => Qualified(a, type).CompareTo(Qualified(b, type)),
        };
        if (byRecord != 0)
        {
            return byRecord;
        }

        var byBlocking = Blocking(a).CompareTo(Blocking(b));
        return byBlocking != 0 ? byBlocking : string.CompareOrdinal(b.Key, a.Key);
    }

    /// <summary>QMGRMAP and USERMAP: the more specific name, then a record also filtering by ADDRESS, then the more specific address.</summary>
    private static (int Name, bool HasAddress, int Address) Qualified(MqObject record, string type) =>
        (ChannelSecurity.ProfileSpecificity(record.Text(type == "QMGRMAP" ? "QMNAME" : "CLNTUSER")),
         record.Text("ADDRESS").Length > 0,
         record.Text("ADDRESS").Length > 0 ? AddressPattern.Specificity(record.Text("ADDRESS")) : 0);

    private static int Blocking(MqObject record) => record.Text("USERSRC") == "NOACCESS" ? (record.Text("WARN") == "YES" ? 1 : 2) : 0;
}
