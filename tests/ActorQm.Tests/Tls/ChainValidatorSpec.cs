using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class ChainValidatorSpec
{
    private static readonly TestPki.Issued Root = TestPki.Root();
    private static readonly TestPki.Issued Intermediate = TestPki.Intermediate(Root);

    private static ChainValidationResult Validate(X509Certificate2 peer, IReadOnlyList<X509Certificate2>? intermediates = null, X509Certificate2? anchor = null,
        CertificateUsage usage = CertificateUsage.Server, int maxDepth = 8) =>
        ChainValidator.Validate(peer, new ChainPolicy([anchor ?? Root.Certificate], intermediates ?? [Intermediate.Certificate], usage, null, maxDepth));

    private static void AssertFails(ChainValidationResult result, ValidationStep step, X509Certificate2? culprit = null)
    {
        Assert.False(result.IsValid, result.ToString());
        Assert.Equal(step, result.FailedStep);
        if (culprit is not null)
        {
            Assert.Equal(culprit.Thumbprint, result.Certificate?.Thumbprint);
        }
    }

    [Fact]
    public void ChainValidator_must_accept_a_well_formed_chain_to_a_trusted_root()
    {
        var leaf = TestPki.Leaf(Intermediate).Certificate;

        var result = Validate(leaf);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal([leaf.Thumbprint, Intermediate.Certificate.Thumbprint, Root.Certificate.Thumbprint], result.Chain.Select(c => c.Thumbprint));
    }

    [Fact]
    public void ChainValidator_must_refuse_expired_and_not_yet_valid_certificates_and_name_which()
    {
        var expiredLeaf = TestPki.Leaf(Intermediate, notBefore: TestPki.Now.AddDays(-10), notAfter: TestPki.Now.AddDays(-1)).Certificate;
        var futureLeaf = TestPki.Leaf(Intermediate, notBefore: TestPki.Now.AddDays(1)).Certificate;
        var expiredIntermediate = TestPki.Intermediate(Root, "Expired CA", notBefore: TestPki.Now.AddDays(-20), notAfter: TestPki.Now.AddDays(-2));
        var underExpired = TestPki.Leaf(expiredIntermediate, notBefore: TestPki.Now.AddDays(-3)).Certificate;

        AssertFails(Validate(expiredLeaf), ValidationStep.Validity, expiredLeaf);
        AssertFails(Validate(futureLeaf), ValidationStep.Validity, futureLeaf);
        var result = Validate(underExpired, [expiredIntermediate.Certificate]);
        AssertFails(result, ValidationStep.Validity, expiredIntermediate.Certificate);
        Assert.Contains("intermediate expired", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ChainValidator_must_refuse_an_untrusted_root_a_missing_intermediate_and_a_self_signed_peer()
    {
        var otherRoot = TestPki.Root("Other Root");
        var leaf = TestPki.Leaf(Intermediate).Certificate;
        var selfSigned = TestPki.Root("CN=QM2 self-signed").Certificate;

        AssertFails(Validate(leaf, anchor: otherRoot.Certificate), ValidationStep.Path);
        AssertFails(Validate(leaf, intermediates: []), ValidationStep.Path);
        Assert.False(Validate(selfSigned).IsValid);
    }

    [Fact]
    public void ChainValidator_must_refuse_a_certificate_whose_signature_is_not_its_issuers()
    {
        var impostor = TestPki.Intermediate(TestPki.Root("Test Root CA"), "Test Intermediate CA");
        var forged = TestPki.Leaf(impostor).Certificate;

        var result = Validate(forged);

        Assert.False(result.IsValid);
        Assert.Contains(result.FailedStep, new ValidationStep?[] { ValidationStep.Signature, ValidationStep.Path });
    }

    [Fact]
    public void ChainValidator_must_refuse_a_CA_certificate_or_a_certificate_signer_as_peer()
    {
        var caLeaf = TestPki.Leaf(Intermediate, ca: true).Certificate;
        var signerLeaf = TestPki.Leaf(Intermediate, usage: X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign).Certificate;

        AssertFails(Validate(caLeaf), ValidationStep.BasicConstraints, caLeaf);
        AssertFails(Validate(signerLeaf), ValidationStep.KeyUsage, signerLeaf);
        AssertFails(Validate(Intermediate.Certificate, intermediates: []), ValidationStep.BasicConstraints);
    }

    [Fact]
    public void ChainValidator_must_check_the_purpose_for_the_TLS_role()
    {
        var clientOnly = TestPki.Leaf(Intermediate, server: false).Certificate;

        AssertFails(Validate(clientOnly, usage: CertificateUsage.Server), ValidationStep.ExtendedKeyUsage, clientOnly);
        Assert.True(Validate(clientOnly, usage: CertificateUsage.Client).IsValid);
    }

    [Fact]
    public void ChainValidator_must_refuse_weak_keys()
    {
        var weak = TestPki.RsaLeaf(Intermediate, 1024);

        AssertFails(Validate(weak), ValidationStep.KeyStrength, weak);
        Assert.Contains("RSA 1024 bits", Validate(weak).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ChainValidator_must_enforce_path_length_and_maximum_depth()
    {
        var constrained = TestPki.Intermediate(Root, "Constrained CA", pathLength: 0);
        var tooDeep = TestPki.Intermediate(constrained, "Sub CA");
        var leaf = TestPki.Leaf(tooDeep).Certificate;
        var fine = TestPki.Leaf(Intermediate).Certificate;

        Assert.False(Validate(leaf, [constrained.Certificate, tooDeep.Certificate]).IsValid);
        AssertFails(Validate(fine, maxDepth: 0), ValidationStep.Depth);
        Assert.True(Validate(fine, maxDepth: 1).IsValid);
    }
}
