using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using static ActorQm.Tests.Support.PolicyPki;

namespace ActorQm.Tests.Tls;

/// <summary>One certification path for policy processing: the anchor, its CAs (anchor side first), the peer, the inputs and RFC 5280's verdict.</summary>
internal sealed record PolicyScenario(TestPki.Issued Anchor, IReadOnlyList<TestPki.Issued> Cas, X509Certificate2 Leaf, PolicyInputs Inputs, bool Valid)
{
    /// <summary>Why OpenSSL 3's verdict differs on this path, if it does (its verdict is then the opposite one).</summary>
    public string? OpenSslDiffers { get; init; }

    /// <summary>The path in ChainValidator's order: peer first, anchor last.</summary>
    public List<X509Certificate2> Path => [Leaf, .. Cas.Reverse().Select(c => c.Certificate), Anchor.Certificate];
}

/// <summary>
/// The policy paths <see cref="CertificatePoliciesSpec"/> decides and compares with
/// <c>openssl verify -policy_check</c>: RFC 5280 §6.1 as updated by RFC 9618, one rule each.
/// </summary>
internal static class PolicyScenarios
{
    private static readonly TestPki.Issued Root = TestPki.Root("Policy Root");
    private static readonly PolicyInputs Mq = PolicyInputs.Mq;
    private const string EmptyPolicies = "OpenSSL 3 reads an empty certificatePolicies as no policies; RFC 5280 says SIZE (1..MAX)";
    private const string TrailingData = "OpenSSL's extension decoder ignores bytes after the value; DER does not allow them";
    private const string InhibitWithoutPolicies = "OpenSSL 3 reads inhibitAnyPolicy only in a certificate that has certificatePolicies";

    public static readonly IReadOnlyDictionary<string, Lazy<PolicyScenario>> All = new Dictionary<string, Func<PolicyScenario>>
    {
        // requireExplicitPolicy (policyConstraints [0]) and its skipCerts.
        ["explicit-required-leaf-without-policy"] = () => Path(false, [Policies(P(1)), Constraints(0)], []),
        ["explicit-required-leaf-with-the-policy"] = () => Path(true, [Policies(P(1)), Constraints(0)], [Policies(P(1))]),
        ["explicit-required-leaf-with-another-policy"] = () => Path(false, [Policies(P(1)), Constraints(0)], [Policies(P(2))]),
        ["explicit-required-ca-with-anyPolicy"] = () => Path(true, [Policies(AnyPolicy), Constraints(0)], [Policies(P(2))]),
        ["explicit-required-by-the-leaf-itself"] = () => Path(false, [[Policies(P(1))]], [Constraints(0)]),
        ["explicit-required-after-2-with-2-below"] = () => Path(false, [[Policies(AnyPolicy), Constraints(2)], []], []),
        ["explicit-required-after-3-with-2-below"] = () => Path(true, [[Policies(AnyPolicy), Constraints(3)], []], []),
        ["explicit-required-after-2-with-a-self-issued-ca-below"] = () => SelfIssuedBelow(true, [Policies(AnyPolicy), Constraints(2)], [], []),
        ["explicit-required-ca-without-policies"] = () => Path(false, [Constraints(0)], [Policies(P(1))]),

        // policyMappings and inhibitPolicyMapping (policyConstraints [1]).
        ["mapping-followed"] = () => Path(true, [[Policies(P(1)), Constraints(0), Mappings((P(1), P(2)))], [Policies(P(2))]], [Policies(P(2))]),
        ["mapping-issuer-domain-policy-not-valid-below"] = () => Path(false, [[Policies(P(1)), Constraints(0), Mappings((P(1), P(2)))], [Policies(P(2))]], [Policies(P(1))]),
        ["mapping-of-a-policy-granted-by-anyPolicy"] = () => Path(true, [[Policies(AnyPolicy), Constraints(0), Mappings((P(1), P(2)))], [Policies(P(2))]], [Policies(P(2))]),
        ["mapping-inhibited-at-0"] = () => Path(false, [[Policies(P(1)), Constraints(0, 0)], [Policies(P(1)), Mappings((P(1), P(2)))]], [Policies(P(2))]),
        ["mapping-inhibited-after-1"] = () => Path(true, [[Policies(P(1)), Constraints(0, 1)], [Policies(P(1)), Mappings((P(1), P(2)))]], [Policies(P(2))]),
        ["mapping-inhibited-by-the-initial-input"] = () => Path(false, [[Policies(P(1)), Constraints(0), Mappings((P(1), P(2)))], [Policies(P(2))]], [Policies(P(2))],
            Mq with { InitialPolicyMappingInhibit = true }),
        ["mapping-from-anyPolicy"] = () => Path(false, [[Policies(P(1)), Mappings((AnyPolicy, P(2)))], [Policies(P(2))]], [Policies(P(2))]),
        ["mapping-to-anyPolicy"] = () => Path(false, [[Policies(P(1)), Mappings((P(1), AnyPolicy))], [Policies(P(2))]], [Policies(P(2))]),

        // inhibitAnyPolicy.
        ["inhibit-any-0-leaf-with-anyPolicy"] = () => Path(false, [Policies(AnyPolicy), Constraints(0), InhibitAny(0)], [Policies(AnyPolicy)]),
        ["inhibit-any-1-leaf-with-anyPolicy"] = () => Path(true, [Policies(AnyPolicy), Constraints(0), InhibitAny(1)], [Policies(AnyPolicy)]),
        ["inhibit-any-0-leaf-with-a-policy"] = () => Path(true, [Policies(AnyPolicy), Constraints(0), InhibitAny(0)], [Policies(P(1))]),
        ["inhibit-any-0-ca-below-with-anyPolicy"] = () => Path(false, [[Policies(AnyPolicy), Constraints(0), InhibitAny(0)], [Policies(AnyPolicy)]], [Policies(P(1))]),
        ["inhibit-any-0-self-issued-ca-below-with-anyPolicy"] = () => SelfIssuedBelow(true, [Policies(AnyPolicy), Constraints(0), InhibitAny(0)], [Policies(AnyPolicy)], [Policies(P(1))]),
        ["inhibit-any-by-the-initial-input"] = () => Path(false, [Policies(AnyPolicy), Constraints(0)], [Policies(AnyPolicy)], Mq with { InitialAnyPolicyInhibit = true }),

        // The other initial inputs.
        ["initial-explicit-leaf-without-policy"] = () => Path(false, [Policies(P(1))], [], Mq with { InitialExplicitPolicy = true }),
        ["initial-explicit-leaf-with-the-policy"] = () => Path(true, [Policies(P(1))], [Policies(P(1))], Mq with { InitialExplicitPolicy = true }),
        ["initial-policy-set-without-the-policy"] = () => Path(false, [Policies(P(1))], [Policies(P(1))], new PolicyInputs([P(2)], InitialExplicitPolicy: true)),
        ["initial-policy-set-with-the-policy"] = () => Path(true, [Policies(P(1))], [Policies(P(1))], new PolicyInputs([P(2), P(1)], InitialExplicitPolicy: true)),
        ["initial-policy-set-met-by-anyPolicy"] = () => Path(true, [Policies(AnyPolicy)], [Policies(AnyPolicy)], new PolicyInputs([P(2)], InitialExplicitPolicy: true)),

        // The trust anchor is an input, not part of the path.
        ["anchor-requiring-explicit-policy-is-not-processed"] = () => Path(true, [[]], [], anchor: PolicyPki.Root("Policy Anchor", Constraints(0))),

        // Well-formed qualifiers are accepted; malformed extensions are failures wherever they are.
        ["policy-with-a-cps-qualifier"] = () => Path(true, [PolicyWithCps(P(1)), Constraints(0)], [PolicyWithCps(P(1))]),
        ["malformed-policies-empty"] = () => Path(false, [Raw("2.5.29.32", "3000", critical: false)], []) with { OpenSslDiffers = EmptyPolicies },
        ["malformed-policies-not-policy-information"] = () => Path(false, [Raw("2.5.29.32", "3003020101", critical: false)], []),
        ["malformed-policies-trailing-data"] = () => Path(false, [Raw("2.5.29.32", "3006300406022a030500", critical: false)], []) with { OpenSslDiffers = TrailingData },
        ["malformed-policies-qualifiers-not-a-sequence"] = () => Path(false, [Raw("2.5.29.32", "3008300606022a030500", critical: false)], []),
        ["malformed-policies-duplicate-policy"] = () => Path(false, [Policies(P(1), P(1))], []),
        ["malformed-policies-in-the-leaf"] = () => Path(false, [[]], [Raw("2.5.29.32", "3000", critical: false)]) with { OpenSslDiffers = EmptyPolicies },
        ["malformed-mappings-empty"] = () => Path(false, [Policies(P(1)), Raw("2.5.29.33", "3000")], []),
        ["malformed-constraints-empty"] = () => Path(false, [Raw("2.5.29.36", "3000")], []),
        ["malformed-constraints-negative"] = () => Path(false, [Constraints(-1)], []),
        ["malformed-inhibit-any-negative"] = () => Path(false, [Policies(AnyPolicy), InhibitAny(-1)], []),
        ["malformed-inhibit-any-not-an-integer"] = () => Path(false, [Policies(AnyPolicy), Raw("2.5.29.54", "0500")], []),
        ["malformed-inhibit-any-without-policies"] = () => Path(false, [Raw("2.5.29.54", "0500")], []) with { OpenSslDiffers = InhibitWithoutPolicies },
    }.ToDictionary(kv => kv.Key, kv => new Lazy<PolicyScenario>(kv.Value));

    public static TheoryData<string> Names => new(All.Keys);

    /// <summary>One policy-bearing CA under the anchor, then the peer.</summary>
    private static PolicyScenario Path(bool valid, X509Extension[] ca, X509Extension[] leaf, PolicyInputs? inputs = null) =>
        Path(valid, [ca], leaf, inputs);

    private static PolicyScenario Path(bool valid, X509Extension[][] cas, X509Extension[] leaf, PolicyInputs? inputs = null, TestPki.Issued? anchor = null)
    {
        var issued = new List<TestPki.Issued>();
        foreach (var extensions in cas)
        {
            issued.Add(Ca(issued.Count == 0 ? anchor ?? Root : issued[^1], $"Policy CA {issued.Count + 1}", extensions));
        }

        return new PolicyScenario(anchor ?? Root, issued, Peer(issued[^1], leaf), inputs ?? Mq, valid);
    }

    /// <summary>A CA, its key-rollover certificate (self-issued), then the peer.</summary>
    private static PolicyScenario SelfIssuedBelow(bool valid, X509Extension[] ca, X509Extension[] rollover, X509Extension[] leaf)
    {
        var first = Ca(Root, "Policy CA 1", ca);
        var second = SelfIssued(first, rollover);
        return new PolicyScenario(Root, [first, second], Peer(second, leaf), Mq, valid);
    }

    private static X509Certificate2 Peer(TestPki.Issued issuer, X509Extension[] extensions) =>
        TestPki.Leaf(issuer, "CN=Policy Peer,O=Example", extensions: extensions).Certificate;

    private static X509Extension PolicyWithCps(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            using (writer.PushSequence())
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.3.6.1.5.5.7.2.1");
                writer.WriteCharacterString(UniversalTagNumber.IA5String, "http://cps.example/");
            }
        }

        return new X509Extension("2.5.29.32", writer.Encode(), false);
    }
}
