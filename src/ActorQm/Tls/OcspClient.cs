using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>
/// Asks an OCSP responder about one certificate (RFC 6960 over HTTP POST, with a nonce) and
/// believes the answer only if it is signed by the issuer or by a responder the issuer certified
/// for OCSP signing, names this certificate, carries our nonce, and is current (thisUpdate not in
/// the future, nextUpdate not past, within the allowed clock skew). Good and revoked answers are
/// cached until nextUpdate in a bounded cache; anything else is UNKNOWN with the reason.
/// </summary>
public sealed class OcspClient(HttpClient? http = null, int capacity = 4096)
{
    private const string OcspSigning = "1.3.6.1.5.5.7.3.9";
    private readonly HttpClient _http = http ?? new HttpClient();
    private readonly ConcurrentDictionary<string, (RevocationAnswer Answer, DateTimeOffset Expires)> _cache = new();

    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public int Count => _cache.Count;

    /// <summary>REFRESH SECURITY TYPE(SSL) empties it.</summary>
    public void Flush() => _cache.Clear();

    /// <summary>The responder named by the certificate's authorityInfoAccess (id-ad-ocsp), if any.</summary>
    public static Uri? AiaResponder(X509Certificate2 certificate)
    {
        var ext = certificate.Extensions["1.3.6.1.5.5.7.1.1"];
        if (ext is null)
        {
            return null;
        }

        try
        {
            var aia = AuthorityInformationAccess.GetInstance(Asn1Object.FromByteArray(ext.RawData));
            return aia.GetAccessDescriptions()
                .Where(d => d.AccessMethod.Equals(AccessDescription.IdADOcsp) && d.AccessLocation.TagNo == GeneralName.UniformResourceIdentifier)
                .Select(d => Uri.TryCreate(d.AccessLocation.Name.ToString(), UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp ? u : null)
                .FirstOrDefault(u => u is not null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public async Task<RevocationAnswer> CheckAsync(Uri responder, X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset now, TimeSpan timeout, CancellationToken cancel, bool fresh = false)
    {
        // The key needs no parsing: a cached answer costs a dictionary lookup, not two certificate parses.
        var key = $"{responder}|{issuer.Thumbprint}|{certificate.SerialNumber}";
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Answer with { Source = cached.Answer.Source + " (cached)" };
        }

        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        var bcIssuer = parser.ReadCertificate(issuer.RawData);
        var serial = parser.ReadCertificate(certificate.RawData).SerialNumber;

        var id = new CertificateID(CertificateID.DigestSha1, bcIssuer, serial);
        var nonce = new byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(nonce);
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        generator.SetRequestExtensions(new X509Extensions(new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>
        {
            [OcspObjectIdentifiers.PkixOcspNonce] = new(false, new DerOctetString(new DerOctetString(nonce).GetEncoded())),
        }));

        byte[] body;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            deadline.CancelAfter(timeout);
            try
            {
                using var content = new ByteArrayContent(generator.Generate().GetEncoded());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
                using var response = await _http.PostAsync(responder, content, deadline.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return Unknown(responder, certificate, $"responder answered HTTP {(int)response.StatusCode}");
                }

                body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return Unknown(responder, certificate, $"no answer within {timeout.TotalSeconds:F1} s");
            }
            catch (HttpRequestException e)
            {
                return Unknown(responder, certificate, $"responder unreachable: {e.Message}");
            }
        }

        var answer = Interpret(responder, body, id, nonce, bcIssuer, certificate, now, ClockSkew, out var nextUpdate);
        if (answer.Status != RevocationStatus.Unknown && nextUpdate is { } next)
        {
            if (_cache.Count >= capacity)
            {
                _cache.TryRemove(_cache.OrderBy(e => e.Value.Expires).First().Key, out _);
            }

            _cache[key] = (answer, next);
        }

        return answer;
    }

    /// <summary>What a responder's answer says about <paramref name="certificate"/>: any bytes give an answer (Unknown with the reason when it cannot be believed), never an exception.</summary>
    internal static RevocationAnswer Interpret(Uri responder, byte[] body, CertificateID id, byte[] nonce, BcCertificate issuer, X509Certificate2 certificate, DateTimeOffset now, TimeSpan clockSkew, out DateTimeOffset? nextUpdate)
    {
        nextUpdate = null;
        try
        {
            return Read(responder, body, id, nonce, issuer, certificate, now, clockSkew, out nextUpdate);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException or OcspException or Asn1Exception
            or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            // BouncyCastle parses parts of a response (embedded certificates, extensions) only when they are read.
            nextUpdate = null;
            return Unknown(responder, certificate, $"malformed response: {e.Message}");
        }
    }

    private static RevocationAnswer Read(Uri responder, byte[] body, CertificateID id, byte[] nonce, BcCertificate issuer, X509Certificate2 certificate, DateTimeOffset now, TimeSpan clockSkew, out DateTimeOffset? nextUpdate)
    {
        nextUpdate = null;
        var response = new OcspResp(body);
        if (response.Status != OcspRespStatus.Successful)
        {
            return Unknown(responder, certificate, $"responder status {response.Status}");
        }

        var basic = (BasicOcspResp)response.GetResponseObject();

        if (SignerProblem(basic, issuer) is { } signer)
        {
            return Unknown(responder, certificate, signer);
        }

        var nonceExt = basic.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce);
        if (nonceExt is null || !NonceMatches(nonceExt.GetOctets(), nonce))
        {
            return Unknown(responder, certificate, "response does not carry our nonce (stale or replayed)");
        }

        var single = basic.Responses.FirstOrDefault(r => r.GetCertID().Equals(id));
        if (single is null)
        {
            return Unknown(responder, certificate, "response does not name this certificate");
        }

        var thisUpdate = new DateTimeOffset(DateTime.SpecifyKind(single.ThisUpdate, DateTimeKind.Utc));
        nextUpdate = single.NextUpdate is { } n ? new DateTimeOffset(DateTime.SpecifyKind(n, DateTimeKind.Utc)) : null;
        if (thisUpdate > now + clockSkew)
        {
            return Unknown(responder, certificate, $"response thisUpdate {thisUpdate:u} is in the future");
        }

        if (nextUpdate is { } next && next + clockSkew < now)
        {
            return Unknown(responder, certificate, $"response is stale (nextUpdate {next:u})");
        }

        var source = $"OCSP {responder}";
        return single.GetCertStatus() switch
        {
            null => new RevocationAnswer(RevocationStatus.Good, source, "good", certificate),
            RevokedStatus revoked => new RevocationAnswer(RevocationStatus.Revoked, source,
                $"an OCSP responder has indicated that '{certificate.Subject}' (serial {certificate.SerialNumber}) is revoked since {revoked.RevocationTime:u}", certificate),
            _ => Unknown(responder, certificate, "responder does not know the certificate"),
        };
    }

    /// <summary>Signed by the issuer itself, or by a certificate the issuer issued for OCSP signing.</summary>
    private static string? SignerProblem(BasicOcspResp basic, BcCertificate issuer)
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
                        delegated.CheckValidity();
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

    private static RevocationAnswer Unknown(Uri responder, X509Certificate2 certificate, string why) =>
        new(RevocationStatus.Unknown, $"OCSP {responder}", $"OCSP status of '{certificate.Subject}' unknown: {why}", certificate);
}
