using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Attacks on issue 15's validator (path building, CRLs, SSLPEER) by a hostile PKI, peer or network:
/// each test states the correct behaviour; those marked FINDING failed on the code they were written
/// against, those marked HELD passed (the attack was refused) and cover a case not tested elsewhere.
/// </summary>
public sealed class AttackFindingsSpec : IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
    }

    private LoopbackHttp Http()
    {
        var http = new LoopbackHttp();
        _disposables.Add(http);
        return http;
    }

    private static Task<RevocationAnswer> Check(X509Certificate2 leaf, X509Certificate2 issuer, RevocationSettings settings) =>
        RevocationChecker.CheckAsync([leaf, issuer, Root.Certificate], settings, DateTimeOffset.UtcNow, CancellationToken.None);

    /// <summary>The CRL with its signature algorithm (inside and outside the signed part) replaced by <paramref name="oid"/>.</summary>
    private static byte[] WithSignatureAlgorithm(byte[] crl, string oid)
    {
        var algorithm = new AsnWriter(AsnEncodingRules.DER);
        using (algorithm.PushSequence())
        {
            algorithm.WriteObjectIdentifier(oid);
        }

        var encodedAlgorithm = algorithm.Encode();
        var outer = new AsnReader(crl, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                }

                tbs.ReadEncodedValue();
                writer.WriteEncodedValue(encodedAlgorithm);
                while (tbs.HasData)
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                }
            }

            outer.ReadEncodedValue();
            writer.WriteEncodedValue(encodedAlgorithm);
            writer.WriteEncodedValue(outer.ReadEncodedValue().Span);
        }

        return writer.Encode();
    }

    // FINDING. Attack: a man in the middle on the plain-HTTP distribution point answers with a CRL that
    // names the right issuer but an unknown signature algorithm (no key needed). BouncyCastle's
    // verifier throws SecurityUtilityException, which CrlDocument.UsableFor does not catch: the
    // exception escapes RevocationChecker (and CrlCache, before its back-off is recorded, so every
    // handshake refetches). Under OPTIONAL/WARN a CRL that cannot be verified must be UNKNOWN (the peer
    // accepted with a warning), never a fault that refuses every peer whose CDP the attacker can reach.
    [Theory]
    [InlineData("1.2.3.4")]
    [InlineData("1.2.840.113549.1.1.10")]
    public async Task Attack_must_answer_unknown_not_throw_for_a_CRL_with_an_unverifiable_signature_algorithm(string oid)
    {
        var http = Http();
        var url = http.Url("/ca.crl");
        var leaf = TestPki.Leaf(Ca, "CN=MITM.CDP", extensions: [BcCrl.DistributionPoint(url.ToString())]);
        http.Serve("/ca.crl", WithSignatureAlgorithm(TestPki.Crl(Ca, []), oid));
        var settings = new RevocationSettings([], CdpCheckExtensions: true, Unknown: UnknownRevocationPolicy.Optional, Cache: new CrlCache());

        var answer = await Check(leaf.Certificate, Ca.Certificate, settings);

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
    }

    // FINDING. Attack: none needed, a CA choice suffices. A certificate whose only CRL distribution point
    // is an LDAP (or HTTPS) URL carries a CDP, yet with CDPCheckExtensions=YES as the only source the
    // checker skips it as if it had none (spec 6.4 #4 applies to certificates *without* AIA/CDP) and
    // answers GOOD: a revoked certificate of an AD CS-style PKI (ldap:// CDPs) is accepted under
    // OCSPAuthentication=REQUIRED. A CDP that cannot be read must give UNKNOWN.
    [Theory]
    [InlineData("ldap://127.0.0.1:1/CN=Test%20Intermediate%20CA,O=Example?certificateRevocationList;binary")]
    [InlineData("https://127.0.0.1:1/ca.crl")]
    public async Task Attack_must_not_answer_good_for_a_certificate_whose_distribution_point_cannot_be_read(string url)
    {
        var revoked = TestPki.Leaf(Ca, "CN=LDAP.CDP", extensions: [BcCrl.DistributionPoint(url)]);
        var settings = new RevocationSettings([], CdpCheckExtensions: true, Unknown: UnknownRevocationPolicy.Required, Cache: new CrlCache());

        var answer = await Check(revoked.Certificate, Ca.Certificate, settings);

        Assert.NotEqual(RevocationStatus.Good, answer.Status);
    }

    // FINDING. Attack: the holder of any trusted certificate from another CA (or a CA's misconfiguration)
    // names the legitimate CA's distribution point in its CDP. Checking it fetches the legitimate CRL,
    // which does not verify for that other issuer, so CrlCache records a failure for the URL and backs
    // off (5 s doubling to 5 min): every legitimate peer of the real CA is then UNKNOWN, refused under
    // REQUIRED, though its CRL is good and was just downloaded. A CRL's usability is per issuer; it must
    // not put the source itself in back-off.
    [Fact]
    public async Task Attack_must_not_let_another_issuers_certificate_put_a_good_distribution_point_in_back_off()
    {
        var http = Http();
        var url = http.Url("/ca.crl");
        http.Serve("/ca.crl", TestPki.Crl(Ca, []));
        var other = TestPki.Intermediate(Root, "Other CA");
        var hostile = TestPki.Leaf(other, "CN=HOSTILE", extensions: [BcCrl.DistributionPoint(url.ToString())]);
        var legitimate = TestPki.Leaf(Ca, "CN=LEGIT", extensions: [BcCrl.DistributionPoint(url.ToString())]);
        var settings = new RevocationSettings([], CdpCheckExtensions: true, Unknown: UnknownRevocationPolicy.Required, Cache: new CrlCache());

        Assert.Equal(RevocationStatus.Unknown, (await Check(hostile.Certificate, other.Certificate, settings)).Status);
        var answer = await Check(legitimate.Certificate, Ca.Certificate, settings);

        Assert.Equal(RevocationStatus.Good, answer.Status);
    }

    // Attack: a CA that lets applicants choose non-ASCII names issues "CN=ſerver" (U+017F LATIN SMALL
    // LETTER LONG S) or "CN=admın" (U+0131 DOTLESS I); OrdinalIgnoreCase upper-cases them with Unicode
    // simple case mapping, which could make them equal to SSLPEER(CN=SERVER) or (CN=ADMIN). They are
    // different names and must not match.
    [Theory]
    [InlineData("ſerver", "CN=SERVER")]
    [InlineData("admın", "CN=ADMIN")]
    [InlineData("ＳＥＲＶＥＲ", "CN=SERVER")]
    public void Attack_must_not_match_SSLPEER_through_unicode_case_folding(string cn, string filter)
    {
        var peer = TestPki.Leaf(Ca, rawSubject: new X500DistinguishedName($"CN={cn}")).Certificate;

        Assert.False(DistinguishedNameFilter.Parse(filter).Matches(PeerName.Subject(peer)));
    }

    // Attack: a peer certificate with a truncated (non-DER) CRL distribution points extension, not
    // critical. Either chain validation refuses it, or the revocation step must read "no usable CDP"
    // rather than throw (RevocationChecker.DistributionPoints catches only ArgumentException).
    [Fact]
    public async Task Attack_must_not_fault_on_a_malformed_distribution_points_extension()
    {
        var broken = new X509Extension("2.5.29.31", [0x30, 0x05, 0x30, 0x03, 0xA0, 0x01], false);
        var leaf = TestPki.Leaf(Ca, "CN=BAD.CDP", extensions: [broken]).Certificate;
        var validated = ChainValidator.Validate(leaf, new ChainPolicy([Root.Certificate], [Ca.Certificate], CertificateUsage.Client));
        if (!validated.IsValid)
        {
            return;
        }

        var settings = new RevocationSettings([], CdpCheckExtensions: true, Unknown: UnknownRevocationPolicy.Optional, Cache: new CrlCache());

        var answer = await RevocationChecker.CheckAsync(validated.Chain, settings, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.NotEqual(RevocationStatus.Good, answer.Status);
    }

    // HELD. Attack: the trust anchor is an intermediate (not self-issued). The attacker mints its own CA
    // with the anchor's exact name (and a self-issued certificate for it) and a leaf under it, and sends
    // both; the TLS layer's chain and every other path must be refused: the anchor's name with another
    // key is no anchor, and PartialChain stripping must not apply to the attacker's top certificate.
    [Fact]
    public void Attack_must_refuse_a_CA_that_only_borrows_a_non_self_issued_anchors_name()
    {
        var impostor = TestPki.Root("Test Intermediate CA");
        var leaf = TestPki.Leaf(impostor, "CN=QM1,OU=MQ,O=Example").Certificate;
        var policy = new ChainPolicy([Ca.Certificate], [], CertificateUsage.Client);
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(policy with { Intermediates = [impostor.Certificate] }) };
        chain.Build(leaf);
        var snapshot = ChainSnapshot.Of(chain) with { Presented = [impostor.Certificate] };

        Assert.Equal(impostor.Certificate.Subject, Ca.Certificate.Subject);
        Assert.False(ChainValidator.ValidatePresented(snapshot, leaf, policy).IsValid);
        Assert.False(ChainValidator.Validate(leaf, policy with { Intermediates = [impostor.Certificate] }).IsValid);
    }

    // HELD. Attack: a hostile but trusted CA "Evil" (same key as nothing else) signs a leaf whose issuer
    // field names the legitimate CA "Test Intermediate CA": the signature verifies only with Evil's key,
    // the names differ, so no path exists, whatever SSLCERTI the leaf's issuer field would satisfy.
    [Fact]
    public void Attack_must_refuse_a_leaf_whose_issuer_name_is_not_its_signers_name()
    {
        var evil = TestPki.Intermediate(Root, "Evil CA");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=QM1,OU=MQ,O=Example", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var leaf = request.Create(Ca.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(evil.Key), TestPki.Now.AddDays(-1), TestPki.Now.AddDays(30), [0x41, 0x42]);

        var result = ChainValidator.Validate(leaf, new ChainPolicy([Root.Certificate], [Ca.Certificate, evil.Certificate], CertificateUsage.Client));

        Assert.False(result.IsValid);
    }
    // Attack: a name-constrained CA (permitted dNSName example.com) issues a peer certificate whose
    // subjectAltName (not critical) is not DER. Unless X509Chain refuses it first, NameConstraintChecks
    // reads the SAN with an AsnReader outside any try: an AsnContentException would escape the validator
    // (in the handshake actor's transition) instead of the peer being refused.
    [Fact]
    public void Attack_must_refuse_not_throw_on_a_malformed_SAN_under_name_constraints()
    {
        var nameConstraints = new AsnWriter(AsnEncodingRules.DER);
        using (nameConstraints.PushSequence())
        using (nameConstraints.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
        using (nameConstraints.PushSequence())
        {
            nameConstraints.WriteCharacterString(UniversalTagNumber.IA5String, "example.com", new Asn1Tag(TagClass.ContextSpecific, 2));
        }

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Constrained CA,O=Example", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root.Certificate, true, false));
        request.CertificateExtensions.Add(new X509Extension(ChainValidator.NameConstraintsOid, nameConstraints.Encode(), true));
        var ca = new TestPki.Issued(request.Create(Root.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(Root.Key), TestPki.Now.AddDays(-1), TestPki.Now.AddDays(30), [0x51, 0x01]), caKey);
        var brokenSan = new X509Extension("2.5.29.17", [0x30, 0x05, 0x82, 0x03, 0x61], false);
        var leaf = TestPki.Leaf(ca, "CN=host.example.com", extensions: [brokenSan]).Certificate;

        var result = ChainValidator.Validate(leaf, new ChainPolicy([Root.Certificate], [ca.Certificate], CertificateUsage.Client));

        Assert.False(result.IsValid);
    }
    // FINDING (same class as the CDP one). A certificate whose AIA names its OCSP responder by an HTTPS
    // (or LDAP) URL carries an AIA, yet with OCSPCheckExtensions=YES as the only source it is skipped as
    // if it had none and answered GOOD under OCSPAuthentication=REQUIRED. A responder that cannot be
    // asked must give UNKNOWN.
    [Theory]
    [InlineData("https://127.0.0.1:1/ocsp")]
    [InlineData("ldap://127.0.0.1:1/ocsp")]
    public async Task Attack_must_not_answer_good_for_a_certificate_whose_OCSP_responder_cannot_be_asked(string url)
    {
        var leaf = TestPki.Leaf(Ca, "CN=HTTPS.AIA", extensions: [new X509AuthorityInformationAccessExtension([url], null)]);
        var settings = new RevocationSettings([], Unknown: UnknownRevocationPolicy.Required, OcspCheckExtensions: true, Ocsp: new OcspClient());

        var answer = await Check(leaf.Certificate, Ca.Certificate, settings);

        Assert.NotEqual(RevocationStatus.Good, answer.Status);
    }
}
