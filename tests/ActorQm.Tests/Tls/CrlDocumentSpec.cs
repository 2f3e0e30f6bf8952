using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Org.BouncyCastle.Asn1.X509;
using static ActorQm.Tests.Support.BcCrl;

namespace ActorQm.Tests.Tls;

/// <summary>
/// A CRL's scope and extensions (RFC 5280 §5.2, §5.3, §6.3.3), read from CRLs BouncyCastle builds and the
/// test CA signs: what a CRL may answer for, and that one it cannot read is never taken as GOOD.
/// </summary>
public sealed class CrlDocumentSpec
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly TestPki.Issued Other = TestPki.Intermediate(Root, "Other CA");

    private static CrlDocument Doc(byte[] der, string name = "test CRL") => CrlDocument.Parse(der, name);

    private static Task<RevocationAnswer> Check(X509Certificate2 subject, X509Certificate2 issuer, params CrlDocument[] crls) =>
        RevocationChecker.CheckAsync([subject, issuer], new RevocationSettings(crls), DateTimeOffset.UtcNow, CancellationToken.None);

    private static Task<RevocationAnswer> CheckLeaf(TestPki.Issued leaf, params CrlDocument[] crls) => Check(leaf.Certificate, Ca.Certificate, crls);

    [Theory]
    [InlineData("SHA1WITHRSAANDMGF1", "RSASSA-PSS with hash 1.3.14.3.2.26")]
    [InlineData("SHA1WITHRSA", "weak algorithm")]
    [InlineData("SHA256WITHRSAANDMGF1", null)]
    public void CrlDocument_must_not_trust_a_CRL_signed_with_SHA1_whether_plain_or_in_RSASSA_PSS_parameters(string algorithm, string? problem)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var key = Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(rsa);
        var name = new X509Name("CN=RSA CRL Issuer");
        var ca = new Org.BouncyCastle.X509.X509V3CertificateGenerator();
        ca.SetSerialNumber(Org.BouncyCastle.Math.BigInteger.ValueOf(7));
        ca.SetIssuerDN(name);
        ca.SetSubjectDN(name);
        ca.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        ca.SetNotAfter(DateTime.UtcNow.AddDays(30));
        ca.SetPublicKey(key.Public);
        ca.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        var issuer = ca.Generate(new Org.BouncyCastle.Crypto.Operators.Asn1SignatureFactory("SHA256WITHRSA", key.Private));
        var crl = new Org.BouncyCastle.X509.X509V2CrlGenerator();
        crl.SetIssuerDN(name);
        crl.SetThisUpdate(DateTime.UtcNow.AddHours(-1));
        crl.SetNextUpdate(DateTime.UtcNow.AddDays(1));
        crl.AddExtension(X509Extensions.CrlNumber, false, new CrlNumber(Org.BouncyCastle.Math.BigInteger.One));
        var signed = crl.Generate(new Org.BouncyCastle.Crypto.Operators.Asn1SignatureFactory(algorithm, key.Private));

        var why = Doc(signed.GetEncoded()).UsableFor(issuer, X509CertificateLoader.LoadCertificate(issuer.GetEncoded()), DateTimeOffset.UtcNow);

        if (problem is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(problem, why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CrlDocument_must_not_let_an_ARL_decide_a_leaf()
    {
        var arl = Doc(Build(Ca, [], idp: Idp(onlyCa: true)), "ARL");

        var answer = await CheckLeaf(TestPki.Leaf(Ca, "CN=UNDER.ARL"), arl);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("CA certificates only", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlDocument_must_not_let_a_user_certificates_CRL_decide_an_intermediate()
    {
        var users = Doc(Build(Root, [], idp: Idp(onlyUser: true)), "user CRL");

        var answer = await Check(Ca.Certificate, Root.Certificate, users);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("user certificates only", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlDocument_must_not_let_an_attribute_certificates_CRL_decide_anything()
    {
        var attributes = Doc(Build(Ca, [], idp: Idp(onlyAttribute: true)), "attribute CRL");

        Assert.Equal(RevocationStatus.Unknown, (await CheckLeaf(TestPki.Leaf(Ca, "CN=ATTR"), attributes)).Status);
    }

    [Fact]
    public async Task CrlDocument_must_not_say_good_from_a_partition_that_covers_only_some_reasons()
    {
        var leaf = TestPki.Leaf(Ca, "CN=PARTITIONED");
        var keyCompromiseOnly = Doc(Build(Ca, [], idp: Idp(reasons: ReasonFlags.KeyCompromise)), "keyCompromise partition");

        var answer = await CheckLeaf(leaf, keyCompromiseOnly);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("some reasons", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlDocument_must_say_good_when_partitions_cover_every_reason_and_revoked_when_one_lists_the_serial()
    {
        var leaf = TestPki.Leaf(Ca, "CN=PARTITIONS");
        const int others = ReasonFlags.CACompromise | ReasonFlags.AffiliationChanged | ReasonFlags.Superseded | ReasonFlags.CessationOfOperation
            | ReasonFlags.CertificateHold | ReasonFlags.PrivilegeWithdrawn | ReasonFlags.AACompromise;
        var keyCompromise = Doc(Build(Ca, [], idp: Idp(reasons: ReasonFlags.KeyCompromise)), "keyCompromise partition");
        var rest = Doc(Build(Ca, [], number: 2, idp: Idp(reasons: others)), "other reasons");
        var restListing = Doc(Build(Ca, [Entry.Of(leaf.Certificate, CrlReason.Superseded)], number: 3, idp: Idp(reasons: others)), "other reasons listing it");

        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(leaf, keyCompromise, rest)).Status);
        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(leaf, keyCompromise, restListing)).Status);
    }

    [Fact]
    public async Task CrlDocument_must_match_the_IDP_name_with_the_certificates_distribution_points()
    {
        var idp = Idp(url: "http://crl.example/ca-1.crl");
        var crl = Doc(Build(Ca, [], idp: idp), "partitioned by name");
        var pointsElsewhere = TestPki.Leaf(Ca, "CN=OTHER.DP", extensions: [DistributionPoint("http://crl.example/ca-2.crl")]);
        var pointsHere = TestPki.Leaf(Ca, "CN=THIS.DP", extensions: [DistributionPoint("http://crl.example/ca-1.crl")]);
        var noPoint = TestPki.Leaf(Ca, "CN=NO.DP");

        var elsewhere = await CheckLeaf(pointsElsewhere, crl);

        Assert.Equal(RevocationStatus.Unknown, elsewhere.Status);
        Assert.Contains("distribution point", elsewhere.Detail, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(pointsHere, crl)).Status);
        Assert.Equal(RevocationStatus.Unknown, (await CheckLeaf(noPoint, crl)).Status);
    }

    [Fact]
    public async Task CrlDocument_must_read_an_IDP_named_relative_to_the_CRL_issuer()
    {
        var crl = Doc(Build(Ca, [], idp: RelativeIdp("Partition 1")), "relative partition");
        var partition = new X509Name(Name(Ca).ToString() + ",CN=Partition 1");
        var inPartition = TestPki.Leaf(Ca, "CN=IN.PARTITION", extensions: [DirectoryDistributionPoint(partition)]);
        var inAnother = TestPki.Leaf(Ca, "CN=IN.ANOTHER", extensions: [DirectoryDistributionPoint(new X509Name(Name(Ca).ToString() + ",CN=Partition 2"))]);

        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(inPartition, crl)).Status);
        Assert.Equal(RevocationStatus.Unknown, (await CheckLeaf(inAnother, crl)).Status);
        Assert.Equal(RevocationStatus.Unknown, (await CheckLeaf(TestPki.Leaf(Ca, "CN=NO.DP"), crl)).Status);
    }

    [Fact]
    public async Task CrlDocument_must_not_use_a_delta_CRL_as_complete()
    {
        var delta = Doc(Build(Ca, [], number: 5, deltaOf: 4), "delta CRL");

        var answer = await CheckLeaf(TestPki.Leaf(Ca, "CN=DELTA.ONLY"), delta);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("delta", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlDocument_must_not_use_a_CRL_with_an_unknown_critical_extension()
    {
        var crlLevel = Doc(Build(Ca, [], unknownCritical: true), "CRL with an unknown critical extension");
        var other = TestPki.Leaf(Ca, "CN=SOMEONE");
        var entryLevel = Doc(Build(Ca, [Entry.Of(other.Certificate, unknownCritical: true)]), "CRL with an unknown critical entry extension");
        var leaf = TestPki.Leaf(Ca, "CN=CRITICAL");

        var crlAnswer = await CheckLeaf(leaf, crlLevel);
        var entryAnswer = await CheckLeaf(leaf, entryLevel);

        Assert.Equal(RevocationStatus.Unknown, crlAnswer.Status);
        Assert.Contains(UnknownOid, crlAnswer.Detail, StringComparison.Ordinal);
        Assert.Equal(RevocationStatus.Unknown, entryAnswer.Status);
        Assert.Contains(UnknownOid, entryAnswer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlDocument_must_apply_an_indirect_CRLs_entries_to_the_issuer_its_certificateIssuer_names()
    {
        var leaf = TestPki.Leaf(Ca, "CN=INDIRECT");
        var serial = Entry.Of(leaf.Certificate);
        // The same serial under another CA: not this certificate.
        var otherIssuers = Doc(Build(Ca, [serial with { CertificateIssuer = Name(Other) }], idp: Idp(indirect: true)), "indirect CRL (other CA)");
        // An entry for the other CA first, then one naming our CA again: ours.
        var ours = Doc(Build(Ca, [Entry.Of(Other.Certificate, certificateIssuer: Name(Other)), serial with { CertificateIssuer = Name(Ca) }], idp: Idp(indirect: true)), "indirect CRL (our CA)");
        // Entries that inherit the other CA's name from the entry before them.
        var inherited = Doc(Build(Ca, [Entry.Of(Other.Certificate, certificateIssuer: Name(Other)), serial], idp: Idp(indirect: true)), "indirect CRL (inherited)");

        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(leaf, otherIssuers)).Status);
        Assert.Equal(RevocationStatus.Revoked, (await CheckLeaf(leaf, ours)).Status);
        Assert.Equal(RevocationStatus.Good, (await CheckLeaf(leaf, inherited)).Status);
    }

    [Fact]
    public async Task CrlDocument_must_not_use_a_CRL_whose_entries_name_a_certificateIssuer_without_being_indirect()
    {
        var leaf = TestPki.Leaf(Ca, "CN=NOT.INDIRECT");
        var crl = Doc(Build(Ca, [Entry.Of(leaf.Certificate, certificateIssuer: Name(Other))]), "CRL with certificateIssuer entries");

        var answer = await CheckLeaf(leaf, crl);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("certificateIssuer", answer.Detail, StringComparison.Ordinal);
    }
}
