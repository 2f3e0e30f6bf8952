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
    private static readonly ChannelAuthType[] TypeOrder = [ChannelAuthType.SslPeerMap, ChannelAuthType.UserMap, ChannelAuthType.QMgrMap, ChannelAuthType.AddressMap];

    public static bool Matches(MqObject record, CallerFacts caller)
    {
        var view = record.AsChannelAuth();
        var address = view.Address;
        var addressMatches = address.Length == 0 || (caller.Address is not null && AddressPattern.Matches(address, caller.Address));
        return view.Type switch
        {
            ChannelAuthType.SslPeerMap => caller.Subject is not null && ChannelSecurity.PeerMapOf(record).Applies(caller.Subject, caller.Issuer ?? PeerName.Empty, caller.Address),
            ChannelAuthType.AddressMap => caller.Address is not null && addressMatches,
            ChannelAuthType.QMgrMap => caller.RemoteQMgr is not null && ChannelSecurity.ProfileMatches(view.QMgrName, caller.RemoteQMgr) && addressMatches,
            ChannelAuthType.UserMap => caller.ClientUser is not null && ChannelSecurity.ProfileMatches(view.ClientUser, caller.ClientUser) && addressMatches,
            _ => false,
        };
    }

    /// <summary>Positive when <paramref name="a"/> takes precedence over <paramref name="b"/>.</summary>
    public int Compare(MqObject? a, MqObject? b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (va, vb) = (a.AsChannelAuth(), b.AsChannelAuth());
        var type = va.Type;
        var byType = Array.IndexOf(TypeOrder, vb.Type).CompareTo(Array.IndexOf(TypeOrder, type));
        if (byType != 0)
        {
            return byType;
        }

        var byRecord = type switch
        {
            ChannelAuthType.SslPeerMap => SslPeerMapRule.Compare(ChannelSecurity.PeerMapOf(a), ChannelSecurity.PeerMapOf(b)),
            ChannelAuthType.AddressMap => AddressPattern.Specificity(va.Address).CompareTo(AddressPattern.Specificity(vb.Address)),
            _ => Qualified(va).CompareTo(Qualified(vb)),
        };
        if (byRecord != 0)
        {
            return byRecord;
        }

        var byBlocking = va.Blocking.CompareTo(vb.Blocking);
        return byBlocking != 0 ? byBlocking : string.CompareOrdinal(b.Key, a.Key);
    }

    /// <summary>QMGRMAP and USERMAP: the more specific name, then a record also filtering by ADDRESS, then the more specific address.</summary>
    private static (int Name, bool HasAddress, int Address) Qualified(ChannelAuthView record) =>
        (ChannelSecurity.ProfileSpecificity(record.Type == ChannelAuthType.QMgrMap ? record.QMgrName : record.ClientUser),
         record.Address.Length > 0,
         record.Address.Length > 0 ? AddressPattern.Specificity(record.Address) : 0);
}
