using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>The initial inputs of RFC 5280 §6.1.1 (c, e, f, g) that policy processing takes.</summary>
/// <param name="InitialPolicySet">The policies acceptable to the relying party; one holding anyPolicy accepts any.</param>
/// <param name="InitialPolicyMappingInhibit">Policy mapping is refused from the start.</param>
/// <param name="InitialExplicitPolicy">The path must be valid for a policy of <paramref name="InitialPolicySet"/> whatever the CAs say.</param>
/// <param name="InitialAnyPolicyInhibit">anyPolicy in a certificate stands for no policy from the start.</param>
internal sealed record PolicyInputs(
    IReadOnlyCollection<string> InitialPolicySet,
    bool InitialPolicyMappingInhibit = false,
    bool InitialExplicitPolicy = false,
    bool InitialAnyPolicyInhibit = false)
{
    /// <summary>What an MQ channel asks for (it has no policy setting): any policy, and only the CAs' own constraints.</summary>
    public static PolicyInputs Mq { get; } = new([CertificatePolicies.AnyPolicy]);
}

/// <summary>
/// Certificate policy processing of one candidate path, RFC 5280 §6.1.3-6.1.5 with the policy
/// graph of RFC 9618 (polynomial where RFC 5280's tree is exponential). The trust anchor is an
/// input, not processed. See docs/tls.md, "Certificate policies".
/// </summary>
internal static class CertificatePolicies
{
    public const string AnyPolicy = "2.5.29.32.0";

    /// <summary>Nodes the graph may create over a path: a real path needs a few dozen; beyond, the path is refused.</summary>
    internal const int MaxNodes = 10_000;

    /// <summary>Edges (node to parent) the graph may create over a path; they grow with the policy mappings.</summary>
    internal const int MaxEdges = 50_000;

    /// <summary>
    /// Null when <paramref name="path"/> (peer first, trust anchor last) passes policy processing
    /// under <paramref name="inputs"/> (MQ's by default); otherwise why not, naming the certificate.
    /// </summary>
    public static string? Violation(IReadOnlyList<X509Certificate2> path, PolicyInputs? inputs = null)
    {
        inputs ??= PolicyInputs.Mq;
        var n = path.Count - 1;
        if (n < 1)
        {
            return null;
        }

        // 6.1.2 (d)-(f): a counter at 0 means the constraint applies to the next certificate.
        var explicitPolicy = inputs.InitialExplicitPolicy ? 0 : n + 1;
        var policyMapping = inputs.InitialPolicyMappingInhibit ? 0 : n + 1;
        var inhibitAnyPolicy = inputs.InitialAnyPolicyInhibit ? 0 : n + 1;
        PolicyGraph? graph = new();
        PolicyExtensions leaf = default;
        for (var i = 1; i <= n; i++)
        {
            var cert = path[n - i];
            var isLeaf = i == n;
            var name = $"{(isLeaf ? "peer certificate" : "intermediate")} '{cert.Subject}'";
            if (PolicyExtensions.Read(cert, out var ext) is { } malformed)
            {
                return $"{name}: {malformed}";
            }

            // 6.1.3 (d)-(f).
            if (ext.Policies is null)
            {
                graph = null;
            }
            else if (graph is not null)
            {
                graph.AddDepth(ext.Policies, inhibitAnyPolicy > 0 || (!isLeaf && cert.IsSelfIssued()));
                if (graph.Exceeded is { } bound)
                {
                    return $"policy processing of {name} exceeds {bound}";
                }

                graph = graph.IsEmpty ? null : graph;
            }

            if (explicitPolicy == 0 && graph is null)
            {
                return $"{name} leaves no valid certificate policy, but an explicit policy is required";
            }

            if (isLeaf)
            {
                leaf = ext;
                break;
            }

            // 6.1.4 (a), (b).
            if (ext.Mappings is not null)
            {
                if (ext.Mappings.Any(m => m.Key == AnyPolicy || m.Value.Contains(AnyPolicy)))
                {
                    return $"{name} maps a policy to or from anyPolicy";
                }

                if (graph is not null)
                {
                    graph.Map(ext.Mappings, policyMapping > 0);
                    if (graph.Exceeded is { } bound)
                    {
                        return $"policy processing of {name} exceeds {bound}";
                    }

                    graph = graph.IsEmpty ? null : graph;
                }
            }

            // 6.1.4 (h)-(j): a self-issued CA (key rollover) does not count as a step of the path.
            if (!cert.IsSelfIssued())
            {
                explicitPolicy = Math.Max(0, explicitPolicy - 1);
                policyMapping = Math.Max(0, policyMapping - 1);
                inhibitAnyPolicy = Math.Max(0, inhibitAnyPolicy - 1);
            }

            explicitPolicy = Math.Min(explicitPolicy, ext.RequireExplicitPolicy ?? int.MaxValue);
            policyMapping = Math.Min(policyMapping, ext.InhibitPolicyMapping ?? int.MaxValue);
            inhibitAnyPolicy = Math.Min(inhibitAnyPolicy, ext.InhibitAnyPolicy ?? int.MaxValue);
        }

        // 6.1.5 (a), (b), (g).
        explicitPolicy = leaf.RequireExplicitPolicy == 0 ? 0 : Math.Max(0, explicitPolicy - 1);
        if (explicitPolicy > 0 || graph?.UserConstrainedPolicies(inputs.InitialPolicySet).Count > 0)
        {
            return null;
        }

        var wanted = inputs.InitialPolicySet.Contains(AnyPolicy) ? "no certificate policy" : $"none of the acceptable policies ({string.Join(", ", inputs.InitialPolicySet)})";
        return $"{wanted} is valid for the whole path to peer certificate '{path[0].Subject}', but an explicit policy is required";
    }
}

/// <summary>The four policy extensions of one certificate, read strictly (DER, RFC 5280 §4.2.1.4-5, 4.2.1.11, 4.2.1.14).</summary>
internal readonly record struct PolicyExtensions(
    IReadOnlyList<string>? Policies,
    IReadOnlyDictionary<string, List<string>>? Mappings,
    int? RequireExplicitPolicy,
    int? InhibitPolicyMapping,
    int? InhibitAnyPolicy)
{
    private const string PoliciesOid = "2.5.29.32";
    private const string MappingsOid = "2.5.29.33";
    private const string ConstraintsOid = "2.5.29.36";
    private const string InhibitAnyOid = "2.5.29.54";

    /// <summary>Null and the extensions, or why one of them is malformed (a malformed one is never ignored).</summary>
    public static string? Read(X509Certificate2 cert, out PolicyExtensions extensions)
    {
        extensions = default;
        var found = new Dictionary<string, byte[]>();
        foreach (var ext in cert.Extensions)
        {
            if (ext.Oid?.Value is PoliciesOid or MappingsOid or ConstraintsOid or InhibitAnyOid && !found.TryAdd(ext.Oid.Value, ext.RawData))
            {
                // Which copy would count is the first-match trap: refuse.
                return $"extension {ext.Oid.Value} appears more than once";
            }
        }

        var current = PoliciesOid;
        try
        {
            var policies = found.TryGetValue(PoliciesOid, out var raw) ? ReadPolicies(raw) : null;
            current = MappingsOid;
            var mappings = found.TryGetValue(MappingsOid, out raw) ? ReadMappings(raw) : null;
            current = ConstraintsOid;
            var (require, inhibit) = found.TryGetValue(ConstraintsOid, out raw) ? ReadConstraints(raw) : (null, null);
            current = InhibitAnyOid;
            int? inhibitAny = null;
            if (found.TryGetValue(InhibitAnyOid, out raw))
            {
                var reader = new AsnReader(raw, AsnEncodingRules.DER);
                inhibitAny = SkipCerts(reader, Asn1Tag.Integer);
                reader.ThrowIfNotEmpty();
            }

            extensions = new PolicyExtensions(policies, mappings, require, inhibit, inhibitAny);
            return null;
        }
        catch (AsnContentException e)
        {
            return $"extension {current} is malformed ({e.Message})";
        }
    }

    private static List<string> ReadPolicies(byte[] raw)
    {
        var outer = new AsnReader(raw, AsnEncodingRules.DER);
        var sequence = NonEmptySequence(outer);
        outer.ThrowIfNotEmpty();
        var policies = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (sequence.HasData)
        {
            var information = sequence.ReadSequence();
            var policy = information.ReadObjectIdentifier();
            if (information.HasData)
            {
                var qualifiers = NonEmptySequence(information);
                while (qualifiers.HasData)
                {
                    var qualifier = qualifiers.ReadSequence();
                    qualifier.ReadObjectIdentifier();
                    qualifier.ReadEncodedValue();
                    qualifier.ThrowIfNotEmpty();
                }
            }

            information.ThrowIfNotEmpty();
            if (!seen.Add(policy))
            {
                throw new AsnContentException($"policy {policy} appears more than once");
            }

            policies.Add(policy);
        }

        return policies;
    }

    /// <summary>issuerDomainPolicy to its subjectDomainPolicy values, each once, in order of appearance.</summary>
    private static Dictionary<string, List<string>> ReadMappings(byte[] raw)
    {
        var outer = new AsnReader(raw, AsnEncodingRules.DER);
        var sequence = NonEmptySequence(outer);
        outer.ThrowIfNotEmpty();
        var mappings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        while (sequence.HasData)
        {
            var pair = sequence.ReadSequence();
            var issuer = pair.ReadObjectIdentifier();
            var subject = pair.ReadObjectIdentifier();
            pair.ThrowIfNotEmpty();
            if (seen.Add((issuer, subject)))
            {
                (mappings.TryGetValue(issuer, out var subjects) ? subjects : mappings[issuer] = []).Add(subject);
            }
        }

        return mappings;
    }

    private static (int?, int?) ReadConstraints(byte[] raw)
    {
        var outer = new AsnReader(raw, AsnEncodingRules.DER);
        var sequence = NonEmptySequence(outer);
        outer.ThrowIfNotEmpty();
        var require = sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)) ? SkipCerts(sequence, new Asn1Tag(TagClass.ContextSpecific, 0)) : (int?)null;
        var inhibit = sequence.HasData ? SkipCerts(sequence, new Asn1Tag(TagClass.ContextSpecific, 1)) : (int?)null;
        sequence.ThrowIfNotEmpty();
        return (require, inhibit);
    }

    /// <summary>SkipCerts ::= INTEGER (0..MAX); a value beyond any path length reads as int.MaxValue.</summary>
    private static int SkipCerts(AsnReader reader, Asn1Tag tag)
    {
        var value = reader.ReadInteger(tag);
        return value.Sign < 0 ? throw new AsnContentException("a SkipCerts value is negative") : value > int.MaxValue ? int.MaxValue : (int)value;
    }

    /// <summary>Every SEQUENCE here is SIZE (1..MAX): RFC 5280 forbids the empty ones.</summary>
    private static AsnReader NonEmptySequence(AsnReader reader)
    {
        var sequence = reader.ReadSequence();
        return sequence.HasData ? sequence : throw new AsnContentException("an empty SEQUENCE where one element at least is required");
    }
}
