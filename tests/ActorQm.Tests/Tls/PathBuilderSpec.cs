using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Path building of our own (docs/tls.md, "Path building"): every path to a trust anchor is tried
/// until one passes every check, cycles end, and hostile piles of certificates end within the bounds.
/// </summary>
public sealed class PathBuilderSpec
{
    /// <summary>A CA cross-signed by an old root that has expired and by a new root, both trusted: the migration case.</summary>
    private sealed record Migration(TestPki.Issued OldRoot, TestPki.Issued NewRoot, TestPki.Issued ByOld, TestPki.Issued ByNew, X509Certificate2 Leaf);

    private static Migration CrossSigned()
    {
        var oldRoot = TestPki.Root("Old Root", notBefore: TestPki.Now.AddYears(-10), notAfter: TestPki.Now.AddDays(-1));
        var newRoot = TestPki.Root("New Root");
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var byOld = TestPki.Intermediate(oldRoot, "Issuing CA", key: key, notBefore: TestPki.Now.AddYears(-2), notAfter: TestPki.Now.AddYears(1));
        var byNew = TestPki.Intermediate(newRoot, "Issuing CA", key: key);
        return new Migration(oldRoot, newRoot, byOld, byNew, TestPki.Leaf(byNew, "CN=APP1,O=Example").Certificate);
    }

    [Fact]
    public void ChainValidator_must_find_the_valid_path_through_a_cross_signed_CA_whichever_certificate_comes_first()
    {
        var m = CrossSigned();
        foreach (var order in new[] { new[] { m.ByOld.Certificate, m.ByNew.Certificate }, [m.ByNew.Certificate, m.ByOld.Certificate] })
        {
            var result = ChainValidator.Validate(m.Leaf, new ChainPolicy([m.OldRoot.Certificate, m.NewRoot.Certificate], order, CertificateUsage.Client));

            Assert.True(result.IsValid, result.ToString());
            Assert.Equal(m.NewRoot.Certificate.Thumbprint, result.Chain[^1].Thumbprint);
        }
    }

    [Fact]
    public void ChainValidator_must_still_refuse_when_every_path_fails_and_report_the_preferred_paths_reason()
    {
        var m = CrossSigned();

        // Only the expired root is trusted: the one path there is, fails on the root's validity.
        var result = ChainValidator.Validate(m.Leaf, new ChainPolicy([m.OldRoot.Certificate], [m.ByNew.Certificate, m.ByOld.Certificate], CertificateUsage.Client));

        Assert.False(result.IsValid);
        Assert.Equal(ValidationStep.Validity, result.FailedStep);
        Assert.Equal(m.OldRoot.Certificate.Thumbprint, result.Certificate?.Thumbprint);
    }

    [Fact]
    public void ChainValidator_must_use_the_certificates_a_peer_sent_when_the_TLS_layers_path_fails()
    {
        var m = CrossSigned();
        var policy = new ChainPolicy([m.OldRoot.Certificate, m.NewRoot.Certificate], [], CertificateUsage.Client);
        // What the TLS layer built: the path through the expired root; the peer sent both CA certificates.
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(policy with { TrustAnchors = [m.OldRoot.Certificate], Intermediates = [m.ByOld.Certificate] }) };
        chain.Build(m.Leaf);
        var snapshot = ChainSnapshot.Of(chain) with { Presented = [m.ByOld.Certificate, m.ByNew.Certificate] };
        Assert.False(ChainValidator.Evaluate(snapshot, m.Leaf, policy).IsValid);

        var result = ChainValidator.ValidatePresented(snapshot, m.Leaf, policy);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(m.NewRoot.Certificate.Thumbprint, result.Chain[^1].Thumbprint);
    }

    [Fact]
    public void ChainValidator_must_refuse_a_peer_that_sends_more_certificates_than_are_considered()
    {
        var m = CrossSigned();
        var policy = new ChainPolicy([m.NewRoot.Certificate], [], CertificateUsage.Client);
        var junk = Enumerable.Range(0, 100).Select(i => TestPki.Intermediate(m.OldRoot, $"Junk {i}").Certificate).ToList();
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(policy) };
        chain.Build(m.Leaf);
        var snapshot = ChainSnapshot.Of(chain) with { Presented = [.. junk, m.ByNew.Certificate] };

        var result = ChainValidator.ValidatePresented(snapshot, m.Leaf, policy);

        Assert.False(result.IsValid);
        Assert.Contains("101 certificates", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PathBuilder_must_end_cycles_between_CAs_that_sign_each_other()
    {
        var root = TestPki.Root("Cycle Root");
        var keyA = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyB = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var a = TestPki.Intermediate(TestPki.Root("Seed A"), "CA A", key: keyA);
        var b = TestPki.Intermediate(a, "CA B", key: keyB);
        var aByB = TestPki.Intermediate(b, "CA A", key: keyA);
        var leaf = TestPki.Leaf(a, "CN=APP1").Certificate;

        var builder = PathBuilder.For(leaf, [root.Certificate], [a.Certificate, b.Certificate, aByB.Certificate], maxLength: 12);

        Assert.Empty(builder.Paths());
        Assert.False(builder.Exhausted);
        Assert.False(ChainValidator.Validate(leaf, new ChainPolicy([root.Certificate], [a.Certificate, b.Certificate, aByB.Certificate], CertificateUsage.Client)).IsValid);
    }

    [Fact]
    public void PathBuilder_must_stop_within_its_bounds_on_a_mesh_of_cross_signed_CAs()
    {
        // Ten keys under one name, each cross-signed by every other (90 certificates): a path may use
        // each key once, so there are millions of paths, and none reaches the trusted root.
        var root = TestPki.Root("Mesh Root");
        var keys = Enumerable.Range(0, 10).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToList();
        var seeds = keys.Select(k => TestPki.Intermediate(TestPki.Root("Mesh Seed"), "Mesh CA", key: k)).ToList();
        var mesh = new List<X509Certificate2>();
        for (var i = 0; i < keys.Count; i++)
        {
            for (var j = 0; j < keys.Count; j++)
            {
                if (i != j)
                {
                    mesh.Add(TestPki.Intermediate(seeds[j], "Mesh CA", key: keys[i]).Certificate);
                }
            }
        }

        var leaf = TestPki.Leaf(seeds[0], "CN=APP1").Certificate;
        var limits = new PathBuilder.Limits(MaxSignatureChecks: 300, MaxSteps: 5_000);

        var builder = PathBuilder.For(leaf, [root.Certificate], mesh, maxLength: 12, limits);

        Assert.Empty(builder.Paths());
        Assert.True(builder.Exhausted);
        Assert.True(builder.SignatureChecks <= 300, $"{builder.SignatureChecks} signature checks");
        Assert.True(builder.Steps <= 5_001, $"{builder.Steps} steps");
        var refused = ChainValidator.Validate(leaf, new ChainPolicy([root.Certificate], mesh, CertificateUsage.Client));
        Assert.Equal(ValidationStep.Path, refused.FailedStep);
        Assert.Contains("path-building bounds", refused.Reason, StringComparison.Ordinal);
    }
}
