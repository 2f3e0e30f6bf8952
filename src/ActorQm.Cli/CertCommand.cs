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
        var verify = new Command("verify", "Validate a peer certificate as the handshake does") { trust, untrusted, peer, time, usage, depth, json };
        verify.SetAction((parse, _) => CliRunner.Run(() => Task.FromResult(Verify(
            parse.GetValue(trust)!, parse.GetValue(untrusted) ?? [], parse.GetValue(peer)!, parse.GetValue(time), parse.GetValue(usage)!, parse.GetValue(depth), parse.GetValue(json)))));
        return new Command("cert", "Certificate tools") { verify };
    }

    private static int Verify(FileInfo[] trust, FileInfo[] untrusted, FileInfo peerFile, string? time, string usage, int maxDepth, bool json)
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
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                valid = result.IsValid,
                step = result.FailedStep?.ToString(),
                reason = result.Reason,
                certificate = result.Certificate is { } c ? new { subject = PeerName.Subject(c).ToString(), issuer = PeerName.Issuer(c).ToString() } : null,
                chain = result.Chain.Select(x => PeerName.Subject(x).ToString()),
            }));
        }
        else if (result.IsValid)
        {
            Console.WriteLine($"{peerFile.Name}: OK");
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
