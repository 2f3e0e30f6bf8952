using ActorQm.Configuration;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Channels;

/// <summary>
/// Builds a queue manager's revocation settings from its objects and TLS settings: the AUTHINFO
/// objects of the namelist named by QMGR SSLCRLNL (at most one AUTHTYPE(OCSP), docs/tls.md), the
/// OCSPCheckExtensions / CDPCheckExtensions / OCSPAuthentication settings and the CRL files.
/// </summary>
public static class RevocationSources
{
    public sealed record Built(RevocationSettings Settings, IReadOnlyList<string> Warnings);

    public static Built FromCatalog(ObjectCatalog catalog, TlsSettings tls, OcspClient ocsp, CrlCache cache) =>
        FromNamelist(catalog, catalog.QMgr.AsQMgr().CrlNamelist, "QMGR SSLCRLNL", tls.OcspAuthentication, tls, ocsp, cache);

    /// <summary>
    /// A channel's own policy (tls.channel-revocation, beyond MQ): the AUTHINFO objects of its namelist in place of SSLCRLNL's,
    /// its own OCSPAuthentication, the queue manager's CRL files and check-extensions settings (docs/tls.md).
    /// </summary>
    public static Built ForChannel(ObjectCatalog catalog, string channel, ChannelRevocationSettings own, TlsSettings tls, OcspClient ocsp, CrlCache cache) =>
        FromNamelist(catalog, own.CrlNamelist, $"tls.channel-revocation of channel {channel}", own.OcspAuthentication, tls, ocsp, cache);

    private static Built FromNamelist(ObjectCatalog catalog, string namelist, string namedBy, UnknownRevocationPolicy unknown, TlsSettings tls, OcspClient ocsp, CrlCache cache)
    {
        var warnings = new List<string>();
        Uri? responder = null;
        var ldap = new List<LdapCrlServer>();
        if (namelist.Length > 0)
        {
            var list = catalog.Find("NAMELIST", namelist)
                ?? throw new InvalidOperationException($"AMQ9657E: {namedBy} names namelist {namelist}, which is not defined.");
            var authinfos = list.List("NAMES").Select(n => catalog.Find("AUTHINFO", n)?.AsAuthInfo() ?? throw new InvalidOperationException($"AMQ9657E: namelist {namelist} names AUTHINFO {n}, which is not defined.")).ToList();
            if (OcspObjectsError(authinfos.Select(a => a.AuthType)) is { } tooMany)
            {
                throw new InvalidOperationException($"AMQ9657E: namelist {namelist} {tooMany}.");
            }

            foreach (var authinfo in authinfos)
            {
                switch (authinfo.AuthType)
                {
                    case "OCSP":
                        responder = Uri.TryCreate(authinfo.OcspUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp
                            ? url
                            : throw new InvalidOperationException($"AMQ9657E: AUTHINFO({authinfo.Object.Name}) OCSPURL '{authinfo.OcspUrl}' is not an http URL.");
                        break;
                    case "CRLLDAP":
                        ldap.Add(LdapCrlServer.FromConnName(authinfo.ConName, authinfo.LdapUser, authinfo.LdapPassword));
                        break;
                }
            }
        }

        var crls = tls.CrlFiles.Select(CrlDocument.Load).ToList();
        var settings = new RevocationSettings(crls, tls.CdpCheckExtensions, unknown, tls.RevocationTimeout, cache, responder, tls.OcspCheckExtensions, ocsp,
            LdapServers: ldap);
        return new Built(settings, warnings);
    }

    /// <summary>At most one AUTHTYPE(OCSP) object may be in the SSLCRLNL namelist.</summary>
    internal static string? OcspObjectsError(IEnumerable<string> authTypes) =>
        authTypes.Count(t => t == "OCSP") > 1 ? "holds more than one AUTHINFO of AUTHTYPE(OCSP)" : null;
}
