using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>How an OCSP answer must prove it is fresh (tls.ocsp-nonce; docs/tls.md, "Revocation").</summary>
public enum OcspNonce
{
    /// <summary>Send a nonce; only an answer echoing it is believed.</summary>
    Required,

    /// <summary>Send a nonce; an answer echoing it is believed, one without a nonce only within tls.ocsp-nonce-less-max-age.</summary>
    Preferred,

    /// <summary>Send none (responders that reject the extension); every answer is judged by tls.ocsp-nonce-less-max-age.</summary>
    Off,
}

/// <summary>
/// Asks an OCSP responder about one certificate (RFC 6960 over HTTP POST) and believes the answer only if it
/// is signed by the issuer or by a responder the issuer certified for OCSP signing (valid at the validation
/// time), is fresh (it echoes our nonce, or has no nonce and was produced within
/// <see cref="NonceLessMaxAge"/>, as <see cref="Nonce"/> allows; an answer to a nonce we sent that carries another
/// is never believed),
/// and every SingleResponse naming this certificate is current (thisUpdate not in the future, nextUpdate not
/// past, within the clock skew). Any of them saying revoked makes it REVOKED; it is GOOD only when all say
/// good. The body is read up to <see cref="MaxResponseBytes"/>, the whole exchange within the timeout,
/// redirects are not followed, and concurrent requests for one certificate share one exchange. Good and
/// revoked answers are cached until nextUpdate in a bounded cache; a fresh check skips the cache and
/// refreshes it. Anything else is UNKNOWN with the reason.
/// </summary>
public sealed class OcspClient(HttpClient? http = null, int capacity = 4096)
{
    // MQ (GSKit) does not follow redirects: a redirect is an answer we cannot use, not a pointer to another responder.
    private readonly HttpClient _http = http ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly ConcurrentDictionary<string, (RevocationAnswer Answer, DateTimeOffset Expires)> _cache = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<Exchange>>> _inFlight = new();

    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>tls.ocsp-nonce.</summary>
    public OcspNonce Nonce { get; init; } = OcspNonce.Preferred;

    /// <summary>tls.ocsp-nonce-less-max-age: how long after it was produced an answer without our nonce is believed (null: until its nextUpdate).</summary>
    public TimeSpan? NonceLessMaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>tls.ocsp-max-bytes: the largest answer body read; a bigger one is UNKNOWN.</summary>
    public long MaxResponseBytes { get; init; } = 128 * 1024;

    public int Count => _cache.Count;

    /// <summary>REFRESH SECURITY TYPE(SSL) empties it.</summary>
    public void Flush() => _cache.Clear();

    /// <summary>The responder named by the certificate's authorityInfoAccess (id-ad-ocsp), if any.</summary>
    public static Uri? AiaResponder(X509Certificate2 certificate) =>
        AiaOcspLocations(certificate).Select(l => Uri.TryCreate(l, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp ? u : null).FirstOrDefault(u => u is not null);

    /// <summary>
    /// Every OCSP location the certificate's AIA names, whatever its scheme, or ["malformed AIA"] when
    /// the extension cannot be read: a certificate that names a responder we cannot ask is UNKNOWN,
    /// never unchecked.
    /// </summary>
    public static IReadOnlyList<string> AiaOcspLocations(X509Certificate2 certificate)
    {
        var ext = certificate.Extensions["1.3.6.1.5.5.7.1.1"];
        if (ext is null)
        {
            return [];
        }

        try
        {
            var aia = AuthorityInformationAccess.GetInstance(Asn1Object.FromByteArray(ext.RawData));
            return aia.GetAccessDescriptions()
                .Where(d => d.AccessMethod.Equals(AccessDescription.IdADOcsp))
                .Select(d => d.AccessLocation.TagNo == GeneralName.UniformResourceIdentifier ? d.AccessLocation.Name.ToString() ?? string.Empty : $"a non-URI name (tag {d.AccessLocation.TagNo})")
                .ToList();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException)
        {
            return ["a malformed authorityInfoAccess"];
        }
    }

    /// <param name="fresh">Ask the responder even when a cached answer is current (revocation re-checks); the answer then replaces the cached one.</param>
    public async Task<RevocationAnswer> CheckAsync(Uri responder, X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset now, TimeSpan timeout, CancellationToken cancel, bool fresh = false)
    {
        // The key needs no parsing: a cached answer costs a dictionary lookup, not two certificate parses.
        var key = $"{responder}|{issuer.Thumbprint}|{certificate.SerialNumber}";
        if (!fresh && _cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            RevocationCacheMetrics.Record("ocsp", fresh, hit: true);
            return cached.Answer with { Source = cached.Answer.Source + " (cached)" };
        }

        RevocationCacheMetrics.Record("ocsp", fresh, hit: false);

        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        var bcIssuer = parser.ReadCertificate(issuer.RawData);
        var id = new CertificateID(CertificateID.DigestSha1, bcIssuer, parser.ReadCertificate(certificate.RawData).SerialNumber);

        // Checks of one certificate that overlap (many connections re-checking at once) share one exchange: each was
        // asked after the cache was bypassed, and each reads the answer against the nonce that exchange sent.
        Lazy<Task<Exchange>>? mine = null;
        mine = new Lazy<Task<Exchange>>(async () =>
        {
            try
            {
                return await ExchangeAsync(responder, id, timeout).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<Exchange>>>(key, mine!));
            }
        });
        Exchange exchange;
        try
        {
            exchange = await _inFlight.GetOrAdd(key, mine).Value.WaitAsync(timeout, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Unknown(responder, certificate, $"no answer within {timeout.TotalSeconds:F1} s");
        }

        if (exchange.Body is not { } body)
        {
            return Unknown(responder, certificate, exchange.Problem!);
        }

        var answer = Interpret(responder, body, id, exchange.Nonce, bcIssuer, certificate, now, Policy, out var expires);
        if (answer.Status != RevocationStatus.Unknown && expires is { } until)
        {
            if (_cache.Count >= capacity && !_cache.ContainsKey(key))
            {
                _cache.TryRemove(_cache.OrderBy(e => e.Value.Expires).First().Key, out _);
            }

            _cache[key] = (answer, until);
        }

        return answer;
    }

    private OcspFreshness Policy => new(Nonce, NonceLessMaxAge, ClockSkew);

    /// <summary>One POST and its answer body, bounded in size and (connect, headers and body together) in time.</summary>
    private async Task<Exchange> ExchangeAsync(Uri responder, CertificateID id, TimeSpan timeout)
    {
        byte[]? nonce = null;
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        if (Nonce != OcspNonce.Off)
        {
            nonce = new byte[16];
            System.Security.Cryptography.RandomNumberGenerator.Fill(nonce);
            generator.SetRequestExtensions(new X509Extensions(new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>
            {
                [OcspObjectIdentifiers.PkixOcspNonce] = new(false, new DerOctetString(new DerOctetString(nonce).GetEncoded())),
            }));
        }

        // Not the caller's token: other checks may share this exchange. The timeout bounds it.
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            using var content = new ByteArrayContent(generator.Generate().GetEncoded());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
            using var request = new HttpRequestMessage(HttpMethod.Post, responder) { Content = content };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                return new Exchange(null, nonce, $"responder answered HTTP {status}, a redirect to '{response.Headers.Location}', which is not followed");
            }

            if (!response.IsSuccessStatusCode)
            {
                return new Exchange(null, nonce, $"responder answered HTTP {status}");
            }

            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                return new Exchange(null, nonce, $"the answer announces {response.Content.Headers.ContentLength} bytes, more than tls.ocsp-max-bytes ({MaxResponseBytes})");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            return await BoundedBody.ReadAsync(stream, MaxResponseBytes, deadline.Token).ConfigureAwait(false) is { } body
                ? new Exchange(body, nonce, null)
                : new Exchange(null, nonce, $"the answer is longer than tls.ocsp-max-bytes ({MaxResponseBytes})");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new Exchange(null, nonce, $"no answer within {timeout.TotalSeconds:F1} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new Exchange(null, nonce, $"responder unreachable: {e.Message}");
        }
    }

    /// <summary>What a responder's answer says about <paramref name="certificate"/> with a nonce required (the fuzz target's reading).</summary>
    internal static RevocationAnswer Interpret(Uri responder, byte[] body, CertificateID id, byte[] nonce, BcCertificate issuer, X509Certificate2 certificate, DateTimeOffset now, TimeSpan clockSkew, out DateTimeOffset? nextUpdate) =>
        Interpret(responder, body, id, nonce, issuer, certificate, now, new OcspFreshness(OcspNonce.Required, null, clockSkew), out nextUpdate);

    /// <summary>
    /// What a responder's answer says about <paramref name="certificate"/>: any bytes give an answer (Unknown with the reason
    /// when it cannot be believed), never an exception. <paramref name="expires"/>: until when the answer may be cached.
    /// </summary>
    internal static RevocationAnswer Interpret(Uri responder, byte[] body, CertificateID id, byte[]? nonce, BcCertificate issuer, X509Certificate2 certificate, DateTimeOffset now, OcspFreshness policy, out DateTimeOffset? expires)
    {
        expires = null;
        try
        {
            return OcspResponseReader.Read(responder, body, id, nonce, issuer, certificate, now, policy, out expires);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException or OcspException or Asn1Exception
            or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            // BouncyCastle parses parts of a response (embedded certificates, extensions) only when they are read.
            expires = null;
            return Unknown(responder, certificate, $"malformed response: {e.Message}");
        }
    }

    /// <summary>What one exchange with a responder gave: the body, or why there is none; and the nonce it sent.</summary>
    private sealed record Exchange(byte[]? Body, byte[]? Nonce, string? Problem);

    private static RevocationAnswer Unknown(Uri responder, X509Certificate2 certificate, string why) => OcspResponseReader.Unknown(responder, certificate, why);
}
