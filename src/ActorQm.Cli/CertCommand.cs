using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorQm.Tls;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm cert verify</c>: validates a peer certificate with exactly the validator the TLS
/// handshake uses, like <c>openssl verify</c>. Exit 0 when valid; 2 when refused (the failing step
/// and reason on stderr, or in the JSON); 20 when the input cannot be read.
/// </summary>
internal static class CertCommand
{
    public static Command Create()
    {
        var trust = new Option<FileInfo[]>("--trust") { Description = "Trust anchors (PEM, repeatable; a file may hold several)", Required = true, AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<FileInfo[]>("--untrusted") { Description = "Intermediate certificates (PEM, repeatable)", AllowMultipleArgumentsPerToken = true };
        var peer = new Option<FileInfo>("--peer") { Description = "The peer certificate to validate (PEM or DER)", Required = true };
        var time = new Option<string?>("--time") { Description = "Validation time, RFC 3339 (default: now)" };
        var usage = new Option<string>("--usage") { Description = "The peer's TLS role: server or client", DefaultValueFactory = _ => "server" };
        var depth = new Option<int>("--max-depth") { Description = "Most intermediates allowed", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var crl = new Option<FileInfo[]>("--crl") { Description = "CRL files (PEM or DER, repeatable): revocation is checked when any revocation option is given", AllowMultipleArgumentsPerToken = true };
        var ocsp = new Option<string?>("--ocsp") { Description = "OCSP responder URL, http (as AUTHINFO OCSPURL)" };
        var ocspAia = new Option<bool>("--ocsp-aia") { Description = "Also ask the responder named in each certificate's AIA (OCSPCheckExtensions=YES)" };
        var cdp = new Option<bool>("--crl-cdp") { Description = "Fetch CRLs from each certificate's distribution points (CDPCheckExtensions=YES)" };
        var unknown = new Option<string>("--unknown") { Description = "What an undeterminable status does: required, warn or optional", DefaultValueFactory = _ => "required" };
        var verify = new Command("verify", "Validate a peer certificate as the handshake does\n\nExample:\n  actorqm cert verify --trust root.pem --untrusted intermediate.pem --peer qm2.pem --usage server --ocsp-aia") { trust, untrusted, peer, time, usage, depth, json, crl, ocsp, ocspAia, cdp, unknown };
        verify.SetAction((parse, _) => CliRunner.Run(() => Verify(
            parse.GetValue(trust)!, parse.GetValue(untrusted) ?? [], parse.GetValue(peer)!, parse.GetValue(time), parse.GetValue(usage)!, parse.GetValue(depth), parse.GetValue(json),
            Revocation(parse.GetValue(crl) ?? [], OcspUrl.Parse(parse.GetValue(ocsp), "--ocsp"), parse.GetValue(ocspAia), parse.GetValue(cdp), parse.GetValue(unknown)!))));
        return new Command("cert", "Certificate tools") { verify };
    }

    private static RevocationSettings Revocation(FileInfo[] crls, Uri? ocsp, bool aia, bool cdp, string unknown)
    {
        var policy = unknown.ToLowerInvariant() switch
        {
            "required" => UnknownRevocationPolicy.Required,
            "warn" => UnknownRevocationPolicy.Warn,
            "optional" => UnknownRevocationPolicy.Optional,
            _ => throw new CliException($"--unknown must be required, warn or optional, not '{unknown}'", 20),
        };
        var documents = crls.Select(f =>
        {
            try
            {
                return CrlDocument.Load(f.FullName);
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                throw new CliException(e.Message, 20);
            }
        }).ToList();
        return new RevocationSettings(documents, cdp, policy, Cache: cdp ? new CrlCache() : null, OcspResponder: ocsp, OcspCheckExtensions: aia,
            Ocsp: ocsp is not null || aia ? new OcspClient() : null);
    }

    private static async Task<int> Verify(FileInfo[] trust, FileInfo[] untrusted, FileInfo peerFile, string? time, string usage, int maxDepth, bool json, RevocationSettings revocation)
    {
        var role = usage.ToLowerInvariant() switch
        {
            "server" => CertificateUsage.Server,
            "client" => CertificateUsage.Client,
            _ => throw new CliException($"--usage must be server or client, not '{usage}'", 20),
        };
        DateTimeOffset? at = null;
        if (time is not null)
        {
            at = DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : throw new CliException($"--time '{time}' is not an RFC 3339 time", 20);
        }

        var anchors = trust.SelectMany(Load).ToList();
        var intermediates = untrusted.SelectMany(Load).ToList();
        var peer = Load(peerFile).FirstOrDefault() ?? throw new CliException($"{peerFile.FullName} holds no certificate", 20);
        var result = ChainValidator.Validate(peer, new ChainPolicy(anchors, intermediates, role, at, maxDepth));
        RevocationAnswer? revoked = null;
        if (result.IsValid && revocation.ChecksAnything)
        {
            // The same revocation step as the handshake, on the validated chain.
            revoked = await RevocationChecker.CheckAsync(result.Chain, revocation, at ?? DateTimeOffset.UtcNow, CancellationToken.None);
            if (revoked.Status == RevocationStatus.Revoked || (revoked.Status == RevocationStatus.Unknown && revocation.Unknown == UnknownRevocationPolicy.Required))
            {
                result = ChainValidationResult.Invalid(ValidationStep.Path, $"revocation {revoked.Status}: {revoked.Detail}", revoked.Certificate ?? peer, result.Chain);
            }
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                valid = result.IsValid,
                step = result.FailedStep?.ToString(),
                reason = result.Reason,
                certificate = result.Certificate is { } c ? new { subject = PeerName.Subject(c).ToString(), issuer = PeerName.Issuer(c).ToString() } : null,
                chain = result.Chain.Select(x => PeerName.Subject(x).ToString()),
                revocation = revoked is null ? null : new { status = revoked.Status.ToString(), source = revoked.Source, detail = revoked.Detail },
            }));
        }
        else if (result.IsValid)
        {
            Console.WriteLine($"{peerFile.Name}: OK{(revoked is null ? string.Empty : $" (revocation: {revoked.Status}, {revoked.Detail})")}");
            foreach (var c in result.Chain)
            {
                Console.WriteLine("  " + PeerName.Subject(c));
            }
        }
        else
        {
            Console.Error.WriteLine($"{peerFile.Name}: refused at {result.FailedStep}: {result.Reason}{(result.Certificate is { } c ? $" (certificate {PeerName.Subject(c)}, issuer {PeerName.Issuer(c)})" : string.Empty)}");
        }

        return result.IsValid ? 0 : 2;
    }

    private static IEnumerable<X509Certificate2> Load(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"{file.FullName} not found", 20);
        }

        try
        {
            var collection = new X509Certificate2Collection();
            var text = File.ReadAllText(file.FullName);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                collection.ImportFromPem(text);
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificateFromFile(file.FullName));
            }

            return collection;
        }
        catch (CryptographicException e)
        {
            throw new CliException($"{file.FullName}: not a certificate: {e.Message}", 20);
        }
    }
}
