using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>What an OCSP answer must prove about its freshness (tls.ocsp-nonce, tls.ocsp-nonce-less-max-age) and the clock skew allowed.</summary>
internal sealed record OcspFreshness(OcspNonce Mode, TimeSpan? NonceLessMaxAge, TimeSpan ClockSkew);

/// <summary>
/// Reads one OCSP answer for <see cref="OcspClient"/>: who signed it, whether it is fresh, and what every SingleResponse
/// about the certificate says together (docs/tls.md, "Revocation").
/// </summary>
internal static class OcspResponseReader
{
    private const string OcspSigning = "1.3.6.1.5.5.7.3.9";

    /// <summary>The answer's verdict; BouncyCastle may throw on malformed parts, which <see cref="OcspClient.Interpret(Uri, byte[], CertificateID, byte[], BcCertificate, X509Certificate2, DateTimeOffset, OcspFreshness, out DateTimeOffset?)"/> turns into UNKNOWN.</summary>
    internal static RevocationAnswer Read(Uri responder, byte[] body, CertificateID id, byte[]? nonce, BcCertificate issuer, X509Certificate2 certificate, DateTimeOffset now, OcspFreshness policy, out DateTimeOffset? expires)
    {
        expires = null;
        var response = new OcspResp(body);
        if (response.Status != OcspRespStatus.Successful)
        {
            return Unknown(responder, certificate, $"responder status {response.Status}");
        }

        var basic = (BasicOcspResp)response.GetResponseObject();

        if (SignerProblem(basic, issuer, now) is { } signer)
        {
            return Unknown(responder, certificate, signer);
        }

        // Every SingleResponse about this certificate counts: the first match never decides alone (a responder
        // listing it twice, good then revoked, is not good). Those about other certificates are ignored.
        var mine = basic.Responses.Where(r => r.GetCertID().Equals(id)).ToList();
        if (mine.Count == 0)
        {
            return Unknown(responder, certificate, "response does not name this certificate");
        }

        if (Unfresh(basic, mine, nonce, now, policy, out var freshUntil) is { } stale)
        {
            return Unknown(responder, certificate, stale);
        }

        string? untimely = null;
        RevokedStatus? revoked = null;
        foreach (var single in mine)
        {
            var thisUpdate = Utc(single.ThisUpdate);
            var nextUpdate = single.NextUpdate is { } n ? Utc(n) : (DateTimeOffset?)null;
            if (thisUpdate > now + policy.ClockSkew)
            {
                untimely ??= $"response thisUpdate {thisUpdate:u} is in the future";
            }
            else if (nextUpdate is { } next && next + policy.ClockSkew < now)
            {
                untimely ??= $"response is stale (nextUpdate {next:u})";
            }
            else
            {
                revoked ??= single.GetCertStatus() as RevokedStatus;
            }
        }

        var source = $"OCSP {responder}";
        if (revoked is not null)
        {
            expires = CacheUntil(mine, freshUntil);
            return new RevocationAnswer(RevocationStatus.Revoked, source,
                $"an OCSP responder has indicated that '{certificate.Subject}' (serial {certificate.SerialNumber}) is revoked since {revoked.RevocationTime:u}", certificate);
        }

        if (untimely is not null)
        {
            return Unknown(responder, certificate, untimely);
        }

        if (mine.Any(s => s.GetCertStatus() is not null))
        {
            return Unknown(responder, certificate, mine.Count > 1
                ? $"response lists this certificate {mine.Count} times and not all say good"
                : "responder does not know the certificate");
        }

        expires = CacheUntil(mine, freshUntil);
        return new RevocationAnswer(RevocationStatus.Good, source, "good", certificate);
    }

    /// <summary>
    /// Why the answer cannot be taken as fresh, if so: it carries another nonce than the one we sent (always refused), or no nonce
    /// of ours where one is required, or none and was produced longer ago than the nonce-less window allows.
    /// </summary>
    private static string? Unfresh(BasicOcspResp basic, List<SingleResp> mine, byte[]? nonce, DateTimeOffset now, OcspFreshness policy, out DateTimeOffset? freshUntil)
    {
        freshUntil = null;
        // With no nonce sent (off), a nonce in the answer proves nothing to us (some responders add one unasked).
        var nonceExt = nonce is null ? null : basic.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce);
        if (nonceExt is not null)
        {
            if (NonceMatches(nonceExt.GetOctets(), nonce!))
            {
                return null;
            }

            return "response carries a nonce that is not ours (an answer to another request, replayed)";
        }

        if (policy.Mode == OcspNonce.Required)
        {
            return "response does not carry our nonce (stale or replayed; tls.ocsp-nonce = required)";
        }

        if (policy.NonceLessMaxAge is not { } window)
        {
            return null;
        }

        var produced = Utc(basic.ProducedAt);
        var oldest = mine.Select(s => Utc(s.ThisUpdate)).Append(produced).Min();
        freshUntil = oldest + window + policy.ClockSkew;
        return now > freshUntil
            ? $"response without our nonce was produced {produced:u} (thisUpdate {mine.Min(s => Utc(s.ThisUpdate)):u}), longer ago than tls.ocsp-nonce-less-max-age ({window})"
            : null;
    }

    /// <summary>Until the earliest nextUpdate (none: not cached), and no longer than a nonce-less answer is believed.</summary>
    private static DateTimeOffset? CacheUntil(List<SingleResp> mine, DateTimeOffset? freshUntil)
    {
        if (mine.Any(s => s.NextUpdate is null))
        {
            return null;
        }

        var earliest = mine.Min(s => Utc(s.NextUpdate!.Value));
        return freshUntil is { } until && until < earliest ? until : earliest;
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    /// <summary>Signed by the issuer itself, or by a certificate the issuer issued for OCSP signing.</summary>
    private static string? SignerProblem(BasicOcspResp basic, BcCertificate issuer, DateTimeOffset now)
    {
        try
        {
            if (basic.Verify(issuer.GetPublicKey()))
            {
                return null;
            }

            foreach (var delegated in basic.GetCerts())
            {
                var ekus = delegated.GetExtendedKeyUsage();
                if (ekus is not null && ekus.Any(o => o.Id == OcspSigning) && delegated.IssuerDN.Equivalent(issuer.SubjectDN, true))
                {
                    try
                    {
                        delegated.Verify(issuer.GetPublicKey());
                        // At the validation time (the CLI's --time), like every other date in the chain.
                        delegated.CheckValidity(now.UtcDateTime);
                        if (basic.Verify(delegated.GetPublicKey()))
                        {
                            return null;
                        }
                    }
                    catch (Exception e) when (e is InvalidKeyException or SignatureException or Org.BouncyCastle.Security.Certificates.CertificateException)
                    {
                    }
                }
            }
        }
        catch (OcspException e)
        {
            return $"response signature cannot be checked: {e.Message}";
        }

        return "response is not signed by the issuer or a responder it authorised for OCSP signing";
    }

    /// <summary>The nonce extension holds an OCTET STRING whose content is the nonce, itself DER-wrapped by most responders.</summary>
    private static bool NonceMatches(byte[] extensionValue, byte[] nonce)
    {
        var layer = extensionValue;
        for (var depth = 0; depth < 3; depth++)
        {
            if (layer.AsSpan().SequenceEqual(nonce))
            {
                return true;
            }

            try
            {
                if (Asn1Object.FromByteArray(layer) is not Asn1OctetString octets)
                {
                    return false;
                }

                layer = octets.GetOctets();
            }
            catch (Exception e) when (e is IOException or Asn1Exception or ArgumentException)
            {
                return false;
            }
        }

        return false;
    }

    internal static RevocationAnswer Unknown(Uri responder, X509Certificate2 certificate, string why) =>
        new(RevocationStatus.Unknown, $"OCSP {responder}", $"OCSP status of '{certificate.Subject}' unknown: {why}", certificate);
}
