using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using static ActorQm.Tests.Support.PolicyPki;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Certificate policy processing (RFC 5280 §6.1 with RFC 9618's policy graph). Every scenario of
/// <see cref="PolicyScenarios"/> is decided by <see cref="CertificatePolicies"/> alone (as the path
/// builder will call it), by <see cref="ChainValidator.Validate"/> where the inputs are MQ's, and
/// by <c>openssl verify -policy_check</c>, which must agree.
/// </summary>
public sealed class CertificatePoliciesSpec(Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Scenarios => PolicyScenarios.Names;

    [Fact]
    public void ChainValidator_must_refuse_a_leaf_without_policy_under_an_intermediate_requiring_an_explicit_policy()
    {
        var scenario = PolicyScenarios.All["explicit-required-leaf-without-policy"].Value;

        var result = ChainValidator.Validate(scenario.Leaf, new ChainPolicy([scenario.Anchor.Certificate], scenario.Cas.Select(c => c.Certificate).ToList(), CertificateUsage.Server));

        Assert.False(result.IsValid, result.ToString());
        Assert.Equal(ValidationStep.Policy, result.FailedStep);
        Assert.Contains("'CN=Policy Peer, O=Example'", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void CertificatePolicies_must_decide_each_path_as_RFC_5280_and_RFC_9618_do(string name)
    {
        var scenario = PolicyScenarios.All[name].Value;

        var violation = CertificatePolicies.Violation(scenario.Path, scenario.Inputs);

        Assert.True(scenario.Valid == violation is null, $"{name}: expected {(scenario.Valid ? "valid" : "a violation")}, got {violation ?? "valid"}");
        if (scenario.Inputs == PolicyInputs.Mq)
        {
            var result = ChainValidator.Validate(scenario.Leaf, new ChainPolicy([scenario.Anchor.Certificate], scenario.Cas.Select(c => c.Certificate).ToList(), CertificateUsage.Server));
            Assert.True(scenario.Valid == result.IsValid, $"{name} through ChainValidator: {result}");
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void CertificatePolicies_must_agree_with_openssl_verify_policy_check(string name)
    {
        var scenario = PolicyScenarios.All[name].Value;
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("anchor.pem"), scenario.Anchor.Certificate.ExportCertificatePem());
        File.WriteAllText(dir.File("cas.pem"), string.Join('\n', scenario.Cas.Select(c => c.Certificate.ExportCertificatePem())));
        File.WriteAllText(dir.File("peer.pem"), scenario.Leaf.ExportCertificatePem());
        var args = new List<string> { "verify", "-policy_check", "-CAfile", dir.File("anchor.pem"), "-untrusted", dir.File("cas.pem") };
        args.AddRange(OpenSslInputs(scenario.Inputs));
        args.Add(dir.File("peer.pem"));

        var (exit, output) = OpenSsl(args);

        Assert.True((scenario.Valid == (exit == 0)) == (scenario.OpenSslDiffers is null), $"{name}: openssl says {output} (listed as differing: {scenario.OpenSslDiffers ?? "no"})");
    }

    [Fact]
    public void CertificatePolicies_must_refuse_a_certificate_carrying_a_policy_extension_twice()
    {
        // .NET will not encode a duplicate extension: encode a second certificatePolicies (P2, where
        // the first says P1) under a private OID of the same length and rename it. The signature no
        // longer verifies, which policy processing does not look at.
        var ca = Ca(TestPki.Root("Duplicate Root"), "Duplicate CA", Policies(P(1)), Constraints(0), new X509Extension("2.5.29.99", Policies(P(2)).RawData, false));
        var der = ca.Certificate.RawData;
        var at = der.AsSpan().IndexOf(Convert.FromHexString("0603551d63"));
        der[at + 4] = 0x20;
        var twice = X509CertificateLoader.LoadCertificate(der);
        var leaf = TestPki.Leaf(ca, extensions: [Policies(P(2))]).Certificate;

        var violation = CertificatePolicies.Violation([leaf, twice, TestPki.Root().Certificate]);

        Assert.NotNull(violation);
        Assert.Contains("more than once", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificatePolicies_must_process_a_pathological_fan_out_of_policies_and_mappings_in_polynomial_time()
    {
        // 60 policies and anyPolicy, each policy mapped to all 60, in each of five CAs: RFC 5280's
        // tree would hold 60^5 (7.8e8) nodes; the graph holds about 300 nodes and 14,500 edges.
        var policies = Enumerable.Range(1, 60).Select(P).ToArray();
        var asserted = Policies(policies.Append(AnyPolicy).ToArray());
        var everyMapping = Mappings(policies.SelectMany(from => policies.Select(to => (from, to))).ToArray());
        var path = new List<X509Certificate2>();
        var issuer = TestPki.Root("Fan-out Root");
        var anchor = issuer.Certificate;
        for (var i = 0; i < 5; i++)
        {
            issuer = Ca(issuer, $"Fan-out CA {i}", asserted, everyMapping, Constraints(0));
            path.Insert(0, issuer.Certificate);
        }

        path.Insert(0, TestPki.Leaf(issuer, extensions: [Policies(P(7))]).Certificate);
        path.Add(anchor);
        var clock = Stopwatch.StartNew();

        var violation = CertificatePolicies.Violation(path);

        Assert.Null(violation);
        output.WriteLine($"decided in {clock.Elapsed.TotalMilliseconds:F0} ms: {violation ?? "valid"}");
    }

    [Fact]
    public void CertificatePolicies_must_refuse_cleanly_a_path_beyond_the_node_bound()
    {
        // 6 x 2,000 distinct policies: more nodes than CertificatePolicies.MaxNodes.
        var path = new List<X509Certificate2>();
        var issuer = TestPki.Root("Wide Root");
        var anchor = issuer.Certificate;
        var policies = Policies(Enumerable.Range(1, 2_000).Select(P).ToArray());
        for (var i = 0; i < 6; i++)
        {
            issuer = Ca(issuer, $"Wide CA {i}", policies);
            path.Insert(0, issuer.Certificate);
        }

        path.Insert(0, TestPki.Leaf(issuer, extensions: [policies]).Certificate);
        path.Add(anchor);
        var clock = Stopwatch.StartNew();

        var violation = CertificatePolicies.Violation(path);

        Assert.NotNull(violation);
        Assert.Contains($"{CertificatePolicies.MaxNodes} policy nodes", violation, StringComparison.Ordinal);
        output.WriteLine($"decided in {clock.Elapsed.TotalMilliseconds:F0} ms: {violation ?? "valid"}");
    }

    [Fact]
    public void CertificatePolicies_must_refuse_cleanly_a_path_beyond_the_edge_bound()
    {
        // 120 policies each mapped to all 120 in four CAs: 14,400 edges a depth, beyond CertificatePolicies.MaxEdges.
        var policies = Enumerable.Range(1, 120).Select(P).ToArray();
        var asserted = Policies(policies);
        var everyMapping = Mappings(policies.SelectMany(from => policies.Select(to => (from, to))).ToArray());
        var path = new List<X509Certificate2>();
        var issuer = TestPki.Root("Dense Root");
        var anchor = issuer.Certificate;
        for (var i = 0; i < 4; i++)
        {
            issuer = Ca(issuer, $"Dense CA {i}", asserted, everyMapping);
            path.Insert(0, issuer.Certificate);
        }

        path.Insert(0, TestPki.Leaf(issuer, extensions: [asserted]).Certificate);
        path.Add(anchor);
        var clock = Stopwatch.StartNew();

        var violation = CertificatePolicies.Violation(path);

        Assert.NotNull(violation);
        Assert.Contains($"{CertificatePolicies.MaxEdges} policy edges", violation, StringComparison.Ordinal);
        output.WriteLine($"decided in {clock.Elapsed.TotalMilliseconds:F0} ms: {violation ?? "valid"}");
    }

    private static IEnumerable<string> OpenSslInputs(PolicyInputs inputs)
    {
        if (inputs.InitialExplicitPolicy)
        {
            yield return "-explicit_policy";
        }

        if (inputs.InitialPolicyMappingInhibit)
        {
            yield return "-inhibit_map";
        }

        if (inputs.InitialAnyPolicyInhibit)
        {
            yield return "-inhibit_any";
        }

        // Without -policy, OpenSSL's user-initial-policy-set is empty, not anyPolicy: name it.
        foreach (var policy in inputs.InitialPolicySet)
        {
            yield return "-policy";
            yield return policy;
        }
    }

    private static (int Exit, string Output) OpenSsl(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
