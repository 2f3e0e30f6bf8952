using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Xunit.Abstractions;

namespace ActorQm.Tests.Tls;

/// <summary>
/// Attacks on issue 15's validator (path building, CRLs, SSLPEER) by a hostile PKI, peer or network:
/// each test states the correct behaviour; those marked FINDING failed on the code they were written
/// against, those marked HELD passed (the attack was refused) and cover a case not tested elsewhere.
/// </summary>
public sealed class AttackFindingsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private readonly List<IDisposable> _disposables = [];

    public new void Dispose()
    {
        Shutdown();
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
    // checker skips it as if it had none (docs/tls.md applies to certificates *without* AIA/CDP) and
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

    // FIXED (review of the REST API). Attack: a TLS layer left to its defaults builds the peer's chain to a root of the
    // system's store; the snapshot of that chain has no error flag. A path counts only if it ends at one of our anchors.
    [Fact]
    public void Attack_must_refuse_a_chain_the_TLS_layer_built_to_a_root_that_is_not_ours()
    {
        var elsewhere = TestPki.Root("A Root In The System Store");
        var leaf = TestPki.Leaf(elsewhere, "CN=mqm,O=Example", server: false).Certificate;
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(new ChainPolicy([elsewhere.Certificate], [], CertificateUsage.Client)) };
        Assert.True(chain.Build(leaf));
        var snapshot = ChainSnapshot.Of(chain);

        var result = ChainValidator.ValidatePresented(snapshot, leaf, new ChainPolicy([TestPki.Shared.Root.Certificate], [], CertificateUsage.Client));

        Assert.False(result.IsValid);
        Assert.Equal(ValidationStep.Path, result.FailedStep);
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
    // HELD (legitimate names accepted): the same CN written as BMPString matches SSLPEER like a
    // PrintableString one; a multi-valued RDN CN=QM1+CN=EVIL does not
    // match CN=QM1, whatever string type each value uses.
    [Theory]
    [InlineData(UniversalTagNumber.BMPString, new byte[] { 0, 0x51, 0, 0x4D, 0, 0x31 })]
    [InlineData(UniversalTagNumber.PrintableString, new byte[] { 0x51, 0x4D, 0x31 })]
    public void Attack_must_match_SSLPEER_whatever_string_type_carries_the_value(UniversalTagNumber tag, byte[] value)
    {
        var peer = TestPki.Leaf(Ca, rawSubject: TestPki.RawName(("2.5.4.3", tag, value), ("2.5.4.10", UniversalTagNumber.PrintableString, "Example"u8.ToArray()))).Certificate;
        var twoInOne = new AsnWriter(AsnEncodingRules.DER);
        using (twoInOne.PushSequence())
        using (twoInOne.PushSetOf())
        {
            using (twoInOne.PushSequence())
            {
                twoInOne.WriteObjectIdentifier("2.5.4.3");
                twoInOne.WriteEncodedValue([(byte)tag, (byte)value.Length, .. value]);
            }

            using (twoInOne.PushSequence())
            {
                twoInOne.WriteObjectIdentifier("2.5.4.3");
                twoInOne.WriteCharacterString(UniversalTagNumber.UTF8String, "EVIL");
            }
        }

        var ambiguous = TestPki.Leaf(Ca, rawSubject: new X500DistinguishedName(twoInOne.Encode())).Certificate;
        var filter = DistinguishedNameFilter.Parse("CN=QM1,O=Example");

        Assert.True(filter.Matches(PeerName.Subject(peer)), PeerName.Subject(peer).ToString());
        Assert.False(DistinguishedNameFilter.Parse("CN=QM1").Matches(PeerName.Subject(ambiguous)));
    }

    // HELD: an attribute type given by OID in SSLPEER is refused at definition, not silently ignored
    // (an ignored term would widen the filter).
    [Theory]
    [InlineData("2.5.4.3=QM1")]
    [InlineData("OID.2.5.4.3=QM1")]
    [InlineData("CN=QM1,2.5.4.10=Example")]
    public void Attack_must_refuse_an_SSLPEER_that_names_an_attribute_by_OID(string filter) =>
        Assert.Throws<PeerNameFilterException>(() => DistinguishedNameFilter.Parse(filter));
    // FINDING. Attack: a name attribute written as T61String (TeletexString, common in legacy CA names) or
    // UniversalString. PeerName.ReadValue reads T61 with ReadOctetString(T61 tag), which throws
    // ArgumentException, and .NET's AsnReader has no UniversalString decoder (ArgumentOutOfRangeException);
    // it catches only AsnContentException, so PeerName.Subject/Issuer throw. Both are legal string types
    // (RFC 5280 DirectoryString) and must be read (or reported malformed), never throw.
    [Theory]
    [InlineData(UniversalTagNumber.T61String, new byte[] { 0x51, 0x4D, 0x31 })]
    [InlineData(UniversalTagNumber.UniversalString, new byte[] { 0, 0, 0, 0x51, 0, 0, 0, 0x4D, 0, 0, 0, 0x31 })]
    public void Attack_must_read_T61String_and_UniversalString_names_without_throwing(UniversalTagNumber tag, byte[] value)
    {
        var peer = TestPki.Leaf(Ca, rawSubject: TestPki.RawName(("2.5.4.3", tag, value))).Certificate;

        var name = PeerName.Subject(peer);

        Assert.Equal("QM1", Assert.Single(name.ValuesOf("CN")));
    }

    // FINDING (consequence of the one above, in a real handshake). A legitimate peer, certified by our own
    // CA, whose CN is a T61String: HandshakeActor.ValidateChain calls PeerName.MalformedNames first, which
    // throws inside the actor; the supervisor stops the actor and refuses the peer with AMQ9638E
    // "internal failure". The chain is valid and no SSLPEER is set: the peer must be accepted. (Any peer,
    // even an untrusted self-signed one, reaches this code before chain validation, so anyone can make
    // the queue manager log internal failures; a legacy CA whose own name uses T61String would have
    // every one of its peers refused, since PeerName.Issuer throws the same way.)
    [Fact]
    public async Task Attack_must_accept_not_crash_on_a_valid_peer_whose_name_uses_a_T61String()
    {
        var peer = TestPki.Leaf(Ca, rawSubject: TestPki.RawName(("2.5.4.3", UniversalTagNumber.T61String, "QM1"u8.ToArray())));

        var outcome = await this.RespondToAsync(TestPki.Shared.Credentials(peer.WithKey()), RevocationSettings.None, _disposables);

        Assert.True(outcome is Handshake.HandshakeSucceeded, outcome.ToString());
    }
    /// <summary>A signature generator that claims sha256WithRSAEncryption and "signs" with a fixed value of <paramref name="bytes"/> bytes: the signature need not verify, only cost.</summary>
    private sealed class FakeRsaSignature(int bytes) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00];

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm)
        {
            var signature = new byte[bytes];
            signature[0] = 0x01;
            signature[^1] = 0x01;
            return signature;
        }

        protected override PublicKey BuildPublicKey() => throw new NotSupportedException();
    }

    /// <summary>An RSA public key no one holds: a random odd modulus of <paramref name="bytes"/> bytes without small factors and a public exponent as long.</summary>
    private static PublicKey CostlyRsaKey(int bytes, int seed)
    {
        var random = new Random(seed);
        while (true)
        {
            var modulus = new byte[bytes];
            random.NextBytes(modulus);
            modulus[0] |= 0x80;
            modulus[^1] |= 0x01;
            var exponent = (byte[])modulus.Clone();
            exponent[0] &= 0x7F;
            var n = new Org.BouncyCastle.Math.BigInteger(1, modulus);
            var e = new Org.BouncyCastle.Math.BigInteger(1, exponent);
            try
            {
                _ = new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(false, n, e);
            }
            catch (ArgumentException)
            {
                continue;
            }

            var key = new AsnWriter(AsnEncodingRules.DER);
            using (key.PushSequence())
            {
                key.WriteIntegerUnsigned(modulus);
                key.WriteIntegerUnsigned(exponent);
            }

            return new PublicKey(new Oid("1.2.840.113549.1.1.1"), new AsnEncodedData([0x05, 0x00]), new AsnEncodedData(key.Encode()));
        }
    }

    // FINDING. Attack: an unauthenticated peer sends, with its (self-made) certificate, intermediates
    // named like its issuer whose RSA key has a 16,384-bit modulus and a 16,384-bit public exponent, and
    // a leaf claiming sha256WithRSA. When the TLS layer's chain fails (it always does for such a peer),
    // ValidatePresented runs PathBuilder over what the peer sent, and PathBuilder verifies the leaf's
    // signature with each candidate's key through BouncyCastle, which puts no limit on the public exponent:
    // each check is a full modular exponentiation with an exponent as long as the modulus (about 14 s at
    // 16,384 bits, which OpenSSL's TLS layer already refuses to decode; about 0.1 s at 3,072 bits, which
    // it takes, its 64-bit exponent limit starting above 3,072 bits). The bound is a count (1,024 checks),
    // not a cost: some 100 s of CPU per handshake on the actor's thread, which the step timeout cannot
    // interrupt. Checks with such keys must be refused cheaply (e.g. public exponent at most 2^32+1 or
    // 64 bits, as OpenSSL and Go do).
    /// <summary>One costly candidate issuer and a leaf (with its key) that names it and claims an RSA signature.</summary>
    private static (X509Certificate2 Leaf, List<X509Certificate2> Candidates) CostlyPeer(int bytes = 2048, int count = 1)
    {
        // One check per candidate (the leaf's signature does not verify, so no path goes further); with keys the
        // attacker holds (a small private exponent, the public one as long as the modulus) signatures verify
        // and candidates are checked against each other too, up to the 1,024-check bound.
        var key = CostlyRsaKey(bytes, 15);
        var candidates = Enumerable.Range(0, count).Select(i =>
        {
            var request = new CertificateRequest(new X500DistinguishedName("CN=Slow CA,O=Example"), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            return request.Create(new X500DistinguishedName("CN=Slow CA,O=Example"), new FakeRsaSignature(bytes), TestPki.Now.AddDays(-1), TestPki.Now.AddDays(30), [0x21, (byte)(i + 1)]);
        }).ToList();
        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=QM1,OU=MQ,O=Example", leafKey, HashAlgorithmName.SHA256);
        var leaf = leafRequest.Create(new X500DistinguishedName("CN=Slow CA,O=Example"), new FakeRsaSignature(bytes), TestPki.Now.AddDays(-1), TestPki.Now.AddDays(30), [0x22, 0x01]);
        return (X509CertificateLoader.LoadPkcs12(leaf.CopyWithPrivateKey(leafKey).Export(X509ContentType.Pkcs12), null), candidates);
    }

    [Fact]
    public void Attack_must_refuse_cheaply_issuer_candidates_with_an_unbounded_RSA_public_exponent()
    {
        // 3,072 bits: OpenSSL's TLS layer takes such a key (its 64-bit exponent limit starts above 3,072 bits).
        var (leaf, candidates) = CostlyPeer(bytes: 384, count: 24);
        var policy = new ChainPolicy([Root.Certificate], [], CertificateUsage.Client);
        // What the TLS layer hands the callback: its own chain attempt, with what the peer sent in the extra store.
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(policy with { Intermediates = candidates }) };
        chain.Build(leaf);
        var snapshot = ChainSnapshot.Of(chain);
        var builder = PathBuilder.For(leaf, [Root.Certificate], candidates, maxLength: 12);

        var result = ChainValidator.ValidatePresented(snapshot, leaf, policy);

        Assert.False(result.IsValid);
        Assert.Empty(builder.Paths());
        // Counted in work, not time: such a key is never used to verify (each check would be a full-length exponentiation).
        Assert.Equal(0, builder.SignatureChecks);
    }
}
