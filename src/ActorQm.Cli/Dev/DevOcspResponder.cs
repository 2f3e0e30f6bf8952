using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;

namespace ActorQm.Cli.Dev;

/// <summary>
/// A development OCSP responder on 127.0.0.1 (the demo's and the benchmark's): answers for every
/// certificate of the issuers it holds, "revoked" for the serials it was told and "good" for the
/// rest, signed by the issuer the request names and echoing its nonce. Real OCSP over HTTP; never
/// meant for production (it vouches for every serial it does not know).
/// </summary>
public sealed class DevOcspResponder : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Org.BouncyCastle.X509.X509Certificate Certificate, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key)> _issuers = [];
    private readonly HashSet<string> _revoked = new(StringComparer.OrdinalIgnoreCase);
    private int _requests;

    public DevOcspResponder(params (X509Certificate2 Certificate, ECDsa Key)[] issuers)
    {
        foreach (var (certificate, key) in issuers)
        {
            AnswerFor(certificate, key);
        }

        _listener.Start();
        _ = Serve();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/ocsp");

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Answers for certificates issued by <paramref name="certificate"/>, signing with its key.</summary>
    public void AnswerFor(X509Certificate2 certificate, ECDsa key)
    {
        var entry = (new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(certificate.RawData), PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey()));
        lock (_issuers)
        {
            _issuers.Add(entry);
        }
    }

    /// <summary>From now on, the certificate with this serial (hex, as <see cref="X509Certificate2.SerialNumber"/>) is revoked.</summary>
    public void Revoke(string serialHex)
    {
        lock (_revoked)
        {
            _revoked.Add(serialHex.TrimStart('0'));
        }
    }

    private async Task Serve()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Answer(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Answer(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var length = 0;
                var requestLine = await ReadLine(stream);
                for (var line = await ReadLine(stream); line.Length > 0; line = await ReadLine(stream))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                // RFC 6960 A.1: a POST carries the DER request; a GET carries it base64 (URL-encoded) in the path.
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, _stop.Token);
                if (requestLine.StartsWith("GET ", StringComparison.Ordinal))
                {
                    var path = requestLine.Split(' ')[1];
                    body = Convert.FromBase64String(Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]));
                }

                Interlocked.Increment(ref _requests);
                var response = Sign(new OcspReq(body));
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {response.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(response, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or OcspException)
            {
            }
        }
    }

    private byte[] Sign(OcspReq request)
    {
        var id = request.GetRequestList()[0].GetCertID();
        (Org.BouncyCastle.X509.X509Certificate Certificate, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key) found;
        lock (_issuers)
        {
            found = _issuers.FirstOrDefault(i => id.MatchesIssuer(i.Certificate));
        }

        if (found.Certificate is null)
        {
            return new OCSPRespGenerator().Generate(OCSPRespGenerator.Unauthorized, null).GetEncoded();
        }

        var (issuer, key) = found;
        var generator = new BasicOcspRespGenerator(new RespID(issuer.SubjectDN));
        bool revoked;
        lock (_revoked)
        {
            revoked = _revoked.Contains(id.SerialNumber.ToString(16).ToUpperInvariant().TrimStart('0'));
        }

        var status = revoked ? new RevokedStatus(DateTime.UtcNow.AddHours(-1), Org.BouncyCastle.Asn1.X509.CrlReason.KeyCompromise) : CertificateStatus.Good;
        generator.AddResponse(id, status, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddHours(1), null);
        // A POST may carry a nonce to echo; a GET (what .NET uses to fetch a staple) has none.
        if (request.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is { } nonce)
        {
            generator.SetResponseExtensions(new Org.BouncyCastle.Asn1.X509.X509Extensions(new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>
            {
                [OcspObjectIdentifiers.PkixOcspNonce] = new(false, nonce),
            }));
        }

        return new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, generator.Generate("SHA256WITHECDSA", key, null, DateTime.UtcNow)).GetEncoded();
    }

    private async Task<string> ReadLine(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, _stop.Token) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
