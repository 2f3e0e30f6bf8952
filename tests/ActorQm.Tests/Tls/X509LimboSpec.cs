using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorQm.Tls;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

/// <summary>
/// The chain validator against the independent x509-limbo vectors (vendored in Tls/X509Limbo, see its README). Host-name
/// families are not applicable (MQ matches peers by DN, not host name); features we do not
/// implement are skipped as upstream harnesses do. Every divergence must be listed, with its
/// reason, in <see cref="KnownDivergences"/>: a case that changes behaviour either way fails.
/// </summary>
public sealed class X509LimboSpec(ITestOutputHelper output)
{
    private static readonly string[] NotApplicableFamilies = ["webpki::san::", "webpki::cn::", "rfc5280::san::", "rfc5280::ca-as-leaf-wrong-san"];

    private static readonly Dictionary<string, string> SkippedFeatures = new()
    {
        ["pedantic-webpki-eku"] = "RFC 5280 lets an end entity omit extKeyUsage, and MQ certificates often do; the CA/B web-PKI rule conflicts with rfc5280::eku::ee-without-eku",
        ["pedantic-public-suffix-wildcard"] = "host-name wildcards are not matched",
        ["rfc5280-incompatible-with-webpki"] = "where RFC 5280 and the web PKI disagree we follow the web PKI (its counterpart case runs)",
    };

    /// <summary>Cases where we knowingly differ from the expected result, and why.</summary>
    internal static readonly Dictionary<string, string> KnownDivergences = new()
    {
        ["rfc5280::ca-as-leaf"] = "a CA certificate is refused as a peer (the web-PKI rule, and the hostile-peer matrix requires it)",
        ["rfc5280::aki::cross-signed-root-missing-aki"] = "the trust anchor is an input (RFC 5280 6.1.1): a configured anchor without an AKI is used, as cve::cve-2024-0567 (expected SUCCESS) needs for its cross-signed anchor",
        ["pathlen::validation-ignores-pathlen-in-leaf"] = "the leaf is a CA certificate, refused as a peer as in rfc5280::ca-as-leaf",
    };

    /// <summary>The vectors vendored beside this spec (Tls/X509Limbo, copied to the output), or the file named by ACTORQM_LIMBO.</summary>
    internal static string LimboPath()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ACTORQM_LIMBO");
        return string.IsNullOrEmpty(fromEnv) ? Path.Combine(AppContext.BaseDirectory, "Tls", "X509Limbo", "limbo.json") : fromEnv;
    }

    private static X509Certificate2 Pem(string pem) => X509Certificate2.CreateFromPem(pem);

    private static List<X509Certificate2> Parsable(JsonElement pems)
    {
        var certificates = new List<X509Certificate2>();
        foreach (var pem in pems.EnumerateArray())
        {
            try
            {
                certificates.Add(Pem(pem.GetString()!));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
            }
        }

        return certificates;
    }

    [Fact]
    public void ChainValidator_must_conform_on_at_least_95_percent_of_applicable_limbo_cases_with_every_divergence_explained()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(LimboPath()));
        var applicable = 0;
        var conformant = 0;
        var unexplained = new List<string>();
        var nowConformant = new List<string>();
        foreach (var tc in doc.RootElement.GetProperty("testcases").EnumerateArray())
        {
            var id = tc.GetProperty("id").GetString()!;
            var features = tc.GetProperty("features").EnumerateArray().Select(f => f.GetString()!).ToList();
            if (NotApplicableFamilies.Any(id.StartsWith) || features.Any(SkippedFeatures.ContainsKey))
            {
                continue;
            }

            applicable++;
            var expected = tc.GetProperty("expected_result").GetString() == "SUCCESS";
            var result = Run(tc);
            if (result.IsValid == expected)
            {
                conformant++;
                if (KnownDivergences.ContainsKey(id))
                {
                    nowConformant.Add(id);
                }
            }
            else if (KnownDivergences.ContainsKey(id))
            {
                output.WriteLine($"known divergence {id}: {result}");
            }
            else
            {
                unexplained.Add($"{id}: expected {(expected ? "SUCCESS" : "FAILURE")}, got {result}");
            }
        }

        output.WriteLine($"x509-limbo: {conformant} of {applicable} applicable cases conformant ({100.0 * conformant / applicable:F1} %)");
        Assert.True(unexplained.Count == 0, "unexplained divergences:\n" + string.Join('\n', unexplained));
        Assert.True(nowConformant.Count == 0, "listed as divergent but now conformant (remove from the list):\n" + string.Join('\n', nowConformant));
        Assert.True(conformant >= applicable * 0.95, $"{conformant} of {applicable} is below 95 %");
    }

    internal static ChainValidationResult Run(JsonElement tc)
    {
        // A trust anchor or intermediate that does not even parse cannot be part of any path.
        var anchors = Parsable(tc.GetProperty("trusted_certs"));
        var intermediates = Parsable(tc.GetProperty("untrusted_intermediates"));
        X509Certificate2 peer;
        try
        {
            peer = Pem(tc.GetProperty("peer_certificate").GetString()!);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            return ChainValidationResult.Invalid(ValidationStep.Certificate, "peer certificate does not parse: " + e.Message, null);
        }

        var ekus = tc.GetProperty("extended_key_usage").EnumerateArray().Select(e => e.GetString()).ToList();
        CertificateUsage? usage = ekus.Contains("serverAuth") ? CertificateUsage.Server : ekus.Contains("clientAuth") ? CertificateUsage.Client : null;
        var time = tc.GetProperty("validation_time").ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(tc.GetProperty("validation_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : (DateTimeOffset?)null;
        var depth = tc.GetProperty("max_chain_depth").ValueKind == JsonValueKind.Number ? tc.GetProperty("max_chain_depth").GetInt32() : 8;
        var result = ChainValidator.Validate(peer, new ChainPolicy(anchors, intermediates, usage, time, depth));
        var crls = tc.GetProperty("crls").EnumerateArray().Select(c => CrlDocument.Parse(System.Text.Encoding.ASCII.GetBytes(c.GetString()!), "limbo")).ToList();
        if (!result.IsValid || crls.Count == 0)
        {
            return result;
        }

        // As upstream harnesses do: a certificate whose issuer has no CRL in the case is not checked;
        // a revoked one, or one whose issuer's CRL cannot be trusted, fails.
        var answer = RevocationChecker.CheckAsync(result.Chain, new RevocationSettings(crls), time ?? DateTimeOffset.UtcNow, CancellationToken.None).GetAwaiter().GetResult();
        return answer.Status == RevocationStatus.Good || answer.NoSourceForIssuer
            ? result
            : ChainValidationResult.Invalid(ValidationStep.Path, $"revocation {answer.Status}: {answer.Detail}", answer.Certificate);
    }
}
