using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tests.Support;

/// <summary>
/// A real OCSP responder: for each request a fresh `openssl ocsp` run over the test's own index
/// (good and revoked serials) and signing key, behind <see cref="LoopbackHttp"/>. No long-lived
/// `openssl ocsp -port` process (see dotnet-tls-notes.md for why).
/// </summary>
internal sealed class OpenSslOcspResponder : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LoopbackHttp _http = new();
    private readonly List<string> _index = new();

    /// <param name="signer">Who signs the responses: the issuing CA itself, a delegated responder, or an impostor.</param>
    public OpenSslOcspResponder(TestPki.Issued ca, TestPki.Issued signer)
    {
        File.WriteAllText(_dir.File("ca.pem"), ca.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("signer.pem"), signer.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("signer.key"), signer.Key.ExportPkcs8PrivateKeyPem());
        WriteIndex();
        _http.Handler = Answer;
        _http.Raw = WriteRaw;
    }

    public Uri Url => _http.Url("/ocsp");

    public int Requests => _http.Requests;

    private readonly Dictionary<Org.BouncyCastle.Math.BigInteger, Func<byte[], byte[]>> _answerFor = new();

    public byte[]? LastResponse { get; private set; }

    /// <summary>
    /// Requests about <paramref name="certificate"/> get what <paramref name="answer"/> makes of them (a replayed,
    /// stale or impostor-signed response) while every other certificate is answered by `openssl ocsp` as usual.
    /// </summary>
    public void AnswerFor(X509Certificate2 certificate, Func<byte[], byte[]> answer)
    {
        lock (_answerFor)
        {
            _answerFor[OcspAnswers.SerialOf(certificate)] = answer;
        }
    }

    private readonly Dictionary<Org.BouncyCastle.Math.BigInteger, Func<Stream, CancellationToken, Task>> _writeFor = new();

    /// <summary>Requests about <paramref name="certificate"/> get a raw HTTP answer of <paramref name="write"/>'s own (a redirect, an oversized body).</summary>
    public void WriteFor(X509Certificate2 certificate, Func<Stream, CancellationToken, Task> write)
    {
        lock (_writeFor)
        {
            _writeFor[OcspAnswers.SerialOf(certificate)] = write;
        }
    }

    private async Task<bool> WriteRaw(byte[] request, Stream stream, CancellationToken cancel)
    {
        Func<Stream, CancellationToken, Task>? write;
        lock (_writeFor)
        {
            _writeFor.TryGetValue(OcspAnswers.SerialOf(request), out write);
        }

        if (write is null)
        {
            return false;
        }

        await write(stream, cancel);
        return true;
    }

    public void Good(X509Certificate2 certificate) => Add('V', certificate, null);

    public void Revoked(X509Certificate2 certificate) => Add('R', certificate, DateTimeOffset.UtcNow.AddHours(-1));

    private void Add(char status, X509Certificate2 certificate, DateTimeOffset? revokedAt)
    {
        lock (_index)
        {
            _index.RemoveAll(l => l.Split('\t')[3] == certificate.SerialNumber);
            var expiry = certificate.NotAfter.ToUniversalTime().ToString("yyMMddHHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var revoked = revokedAt is { } at ? at.UtcDateTime.ToString("yyMMddHHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) + ",keyCompromise" : string.Empty;
            _index.Add($"{status}\t{expiry}\t{revoked}\t{certificate.SerialNumber}\tunknown\t/CN={certificate.SerialNumber}");
            WriteIndex();
        }
    }

    private void WriteIndex() => File.WriteAllText(_dir.File("index.txt"), string.Concat(_index.Select(l => l + "\n")));

    private byte[] Answer(byte[] request)
    {
        Func<byte[], byte[]>? special;
        lock (_answerFor)
        {
            _answerFor.TryGetValue(OcspAnswers.SerialOf(request), out special);
        }

        return special?.Invoke(request) ?? Respond(request);
    }

    /// <summary>What `openssl ocsp` answers to <paramref name="request"/> with this responder's index and signer.</summary>
    public byte[] Respond(byte[] request)
    {
        var id = Guid.NewGuid().ToString("N");
        var req = _dir.File(id + ".req");
        var resp = _dir.File(id + ".resp");
        File.WriteAllBytes(req, request);
        lock (_index)
        {
            var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "ocsp", "-index", _dir.File("index.txt"), "-CA", _dir.File("ca.pem"), "-rsigner", _dir.File("signer.pem"), "-rkey", _dir.File("signer.key"), "-nmin", "5", "-reqin", req, "-respout", resp })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit(20_000);
            if (!File.Exists(resp))
            {
                throw new InvalidOperationException($"openssl ocsp gave no response: {errors.Result}");
            }
        }

        LastResponse = File.ReadAllBytes(resp);
        return LastResponse;
    }

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }
}
