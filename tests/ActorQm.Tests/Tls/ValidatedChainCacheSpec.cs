using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class ValidatedChainCacheSpec
{
    private static readonly TestPki.Issued Root = TestPki.Root();
    private static readonly TestPki.Issued Ca = TestPki.Intermediate(Root);
    private static readonly ChainPolicy Policy = new([Root.Certificate], [], CertificateUsage.Client);

    /// <summary>What the TLS layer captures: the chain X509Chain builds with the policy's settings and the certificates the peer sent.</summary>
    private static ChainSnapshot Snapshot(X509Certificate2 leaf, ChainPolicy policy, params X509Certificate2[] sent)
    {
        using var chain = new X509Chain { ChainPolicy = ChainValidator.ChainPolicyFor(policy) };
        chain.ChainPolicy.ExtraStore.AddRange(sent);
        chain.Build(leaf);
        return ChainSnapshot.Of(chain);
    }

    private static IEnumerable<string> Der(IEnumerable<X509Certificate2> chain) => chain.Select(c => Convert.ToHexString(c.RawData));

    [Fact]
    public void ValidatedChainCache_must_answer_a_second_validation_of_the_same_chain_with_the_path_validated_first()
    {
        var cache = new ValidatedChainCache();
        var leaf = TestPki.Leaf(Ca, "CN=APP1,O=Example").Certificate;

        var first = cache.Validate(leaf, Snapshot(leaf, Policy, Ca.Certificate), Policy);
        // A new connection: the same certificates, other objects, another snapshot.
        var again = X509CertificateLoader.LoadCertificate(leaf.RawData);
        var second = cache.Validate(again, Snapshot(again, Policy, Ca.Certificate), Policy);

        Assert.True(first.IsValid, first.ToString());
        Assert.True(second.IsValid, second.ToString());
        Assert.Equal((1L, 1L, 1), (cache.Misses, cache.Hits, cache.Count));
        Assert.Equal(Der([leaf, Ca.Certificate, Root.Certificate]), Der(second.Chain));
        Assert.Equal(first.Chain, second.Chain);

        // Without a snapshot (the TLS layer gave none) it is another input, cached on its own.
        Assert.True(cache.Validate(leaf, null, Policy with { Intermediates = [Ca.Certificate] }).IsValid);
        Assert.True(cache.Validate(leaf, null, Policy with { Intermediates = [Ca.Certificate] }).IsValid);
        Assert.Equal((2L, 2L, 2), (cache.Misses, cache.Hits, cache.Count));
    }

    [Fact]
    public void ValidatedChainCache_must_miss_for_another_leaf_intermediate_anchor_set_status_usage_or_depth()
    {
        var cache = new ValidatedChainCache();
        var leaf = TestPki.Leaf(Ca, "CN=APP1,O=Example").Certificate;
        var snapshot = Snapshot(leaf, Policy, Ca.Certificate);
        Assert.True(cache.Validate(leaf, snapshot, Policy).IsValid);

        // The same CA (name and key) certified again: another intermediate on an equally valid path.
        var reissued = TestPki.Intermediate(Root, key: Ca.Key).Certificate;
        var otherLeaf = TestPki.Leaf(Ca, "CN=APP1,O=Example").Certificate;
        var flagged = snapshot with
        {
            Elements = [.. snapshot.Elements.Select((e, i) => i == 0 ? (e.Certificate, [new X509ChainStatus { Status = X509ChainStatusFlags.NotTimeValid }]) : e)],
        };
        var variants = new (string What, X509Certificate2 Peer, ChainSnapshot? Snapshot, ChainPolicy Policy)[]
        {
            ("another leaf", otherLeaf, Snapshot(otherLeaf, Policy, Ca.Certificate), Policy),
            ("another intermediate", leaf, Snapshot(leaf, Policy, reissued), Policy),
            ("another anchor set", leaf, snapshot, Policy with { TrustAnchors = [Root.Certificate, TestPki.Root("Other Root").Certificate] }),
            ("other status flags", leaf, flagged, Policy),
            ("another usage", leaf, snapshot, Policy with { Usage = CertificateUsage.Server }),
            ("no usage", leaf, snapshot, Policy with { Usage = null }),
            ("another maximum depth", leaf, snapshot, Policy with { MaxDepth = 7 }),
            ("no snapshot", leaf, null, Policy with { Intermediates = [Ca.Certificate] }),
        };

        foreach (var (what, peer, presented, policy) in variants)
        {
            var misses = cache.Misses;
            var result = cache.Validate(peer, presented, policy);
            Assert.True(result.IsValid, $"{what}: {result}");
            Assert.True(cache.Misses == misses + 1, $"{what} must be validated in full, not answered from the cache");
        }

        Assert.Equal(0, cache.Hits);
    }

    [Fact]
    public void ValidatedChainCache_must_key_lists_so_that_moving_a_certificate_between_them_is_another_key()
    {
        var leaf = TestPki.Leaf(Ca).Certificate;

        var asIntermediate = ValidatedChainCache.KeyOf(leaf, null, Policy with { Intermediates = [Ca.Certificate] });
        var asAnchor = ValidatedChainCache.KeyOf(leaf, null, Policy with { TrustAnchors = [Root.Certificate, Ca.Certificate] });
        var presented = ValidatedChainCache.KeyOf(leaf, new ChainSnapshot([], [], [Ca.Certificate]), Policy);
        var asElement = ValidatedChainCache.KeyOf(leaf, new ChainSnapshot([(Ca.Certificate, [])], [], []), Policy);

        var reissued = TestPki.Intermediate(Root, key: Ca.Key).Certificate;
        var otherElement = ValidatedChainCache.KeyOf(leaf, new ChainSnapshot([(reissued, [])], [], []), Policy);
        var overall = ValidatedChainCache.KeyOf(leaf, new ChainSnapshot([(Ca.Certificate, [])], [new X509ChainStatus { Status = X509ChainStatusFlags.NotTimeValid }], []), Policy);

        Assert.Equal(6, new[] { asIntermediate, asAnchor, presented, asElement, otherElement, overall }.Distinct().Count());
        Assert.Equal(asIntermediate, ValidatedChainCache.KeyOf(X509CertificateLoader.LoadCertificate(leaf.RawData), null, Policy with { Intermediates = [Ca.Certificate] }));
    }

    [Fact]
    public void ValidatedChainCache_must_answer_only_while_every_certificate_of_the_path_is_within_its_validity()
    {
        var clock = new ManualClock();
        var cache = new ValidatedChainCache(time: clock);
        var leaf = TestPki.Leaf(Ca, "CN=APP1,O=Example", notBefore: TestPki.Now.AddMinutes(-5), notAfter: TestPki.Now.AddHours(1)).Certificate;
        var snapshot = Snapshot(leaf, Policy, Ca.Certificate);
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        Assert.True(cache.Validate(leaf, snapshot, Policy).IsValid);

        // Both ends are inclusive, the end to the second, as the full check has them.
        foreach (var (at, hit) in new[]
        {
            (notAfter, true), (notAfter.AddMilliseconds(999), true), (notAfter.AddSeconds(1), false),
            (notBefore, true), (notBefore.AddTicks(-1), false), (notAfter.AddDays(365 * 3), false),
        })
        {
            clock.Now = at;
            var hits = cache.Hits;
            Assert.True(cache.Validate(leaf, snapshot, Policy).IsValid);
            Assert.True(cache.Hits == hits + (hit ? 1 : 0), $"at {at:O} the cache must {(hit ? string.Empty : "not ")}answer");
        }
    }

    [Fact]
    public void ValidatedChainCache_must_never_keep_a_refusal_nor_serve_a_forged_intermediate_for_a_cached_leaf()
    {
        var cache = new ValidatedChainCache();
        var untrusted = TestPki.Intermediate(TestPki.Root("Other Root"), "Other CA");
        var stranger = TestPki.Leaf(untrusted, "CN=APP1,O=Example").Certificate;
        var strangerSnapshot = Snapshot(stranger, Policy, untrusted.Certificate);

        Assert.False(cache.Validate(stranger, strangerSnapshot, Policy).IsValid);
        Assert.False(cache.Validate(stranger, strangerSnapshot, Policy).IsValid);
        Assert.Equal((2L, 0L, 0), (cache.Misses, cache.Hits, cache.Count));

        // A valid chain is cached; the same leaf then comes with an intermediate of the same name and another key.
        var leaf = TestPki.Leaf(Ca, "CN=APP1,O=Example").Certificate;
        Assert.True(cache.Validate(leaf, Snapshot(leaf, Policy, Ca.Certificate), Policy).IsValid);
        var forged = TestPki.Intermediate(TestPki.Root("Test Root CA"), "Test Intermediate CA").Certificate;
        var forgedSnapshot = Snapshot(leaf, Policy, forged);

        Assert.False(cache.Validate(leaf, forgedSnapshot, Policy).IsValid);
        Assert.False(cache.Validate(leaf, forgedSnapshot, Policy).IsValid);
        Assert.Equal((0L, 1), (cache.Hits, cache.Count));
    }

    [Fact]
    public void ValidatedChainCache_must_hold_no_more_than_its_capacity_and_evict_the_least_recently_used()
    {
        var cache = new ValidatedChainCache(capacity: 3);
        var leaves = Enumerable.Range(0, 6).Select(i => TestPki.Leaf(Ca, $"CN=APP{i},O=Example").Certificate).ToList();
        var snapshots = leaves.Select(l => Snapshot(l, Policy, Ca.Certificate)).ToList();
        bool Hit(int i)
        {
            var hits = cache.Hits;
            Assert.True(cache.Validate(leaves[i], snapshots[i], Policy).IsValid);
            return cache.Hits > hits;
        }

        Assert.False(Hit(0));
        Assert.False(Hit(1));
        Assert.False(Hit(2));
        Assert.True(Hit(0));
        Assert.False(Hit(3));
        Assert.Equal(3, cache.Count);

        // 1 was the least recently used: gone; 0, 2 and 3 stay.
        Assert.True(Hit(0));
        Assert.True(Hit(2));
        Assert.True(Hit(3));
        Assert.False(Hit(1));
        Assert.False(Hit(4));
        Assert.False(Hit(5));
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void ValidatedChainCache_must_validate_a_policy_with_a_fixed_time_in_full_and_keep_nothing()
    {
        var cache = new ValidatedChainCache();
        var leaf = TestPki.Leaf(Ca).Certificate;
        var at = Policy with { Time = TestPki.Now };

        Assert.True(cache.Validate(leaf, Snapshot(leaf, at, Ca.Certificate), at).IsValid);
        Assert.True(cache.Validate(leaf, Snapshot(leaf, at, Ca.Certificate), at).IsValid);
        Assert.Equal((0L, 0L, 0), (cache.Misses, cache.Hits, cache.Count));
    }

    [Fact]
    public void ValidatedChainCache_must_be_shared_by_the_credentials_of_one_key_repository_and_not_by_the_next_read()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("trusted"));
        File.WriteAllText(dir.File("trusted/root.pem"), Root.Certificate.ExportCertificatePem());
        var repository = KeyRepository.Open(dir.Path);
        var again = KeyRepository.Open(dir.Path);

        var credentials = repository.TrustOnly();
        Assert.Same(repository.ValidatedChains, credentials.ValidatedChains);
        Assert.Same(repository.ValidatedChains, (credentials with { OcspStapling = true }).ValidatedChains);
        Assert.Same(repository.ValidatedChains, repository.Credentials(null).ValidatedChains);
        Assert.NotSame(repository.ValidatedChains, again.ValidatedChains);
    }

    [Fact]
    public void ValidatedChainCache_must_be_used_by_the_handshakes_chain_step_which_hands_on_the_cached_path()
    {
        var credentials = new TlsCredentials(null, [], [Root.Certificate], []);
        var leaf = TestPki.Leaf(Ca, "CN=APP1,O=Example").Certificate;
        var verifier = new HandshakeVerifier(HandshakeRole.Responder, credentials, new PeerRequirements(CipherSpecs.Select("ANY_TLS13")!), RevocationSettings.None);
        NegotiatedSession Session() => new(System.Security.Authentication.SslProtocols.Tls13, System.Net.Security.TlsCipherSuite.TLS_AES_128_GCM_SHA256, leaf,
            Snapshot(leaf, verifier.Policy, Ca.Certificate));

        var first = verifier.ValidateChain(Session());
        var second = new HandshakeVerifier(HandshakeRole.Responder, credentials, new PeerRequirements(CipherSpecs.Select("ANY_TLS13")!), RevocationSettings.None)
            .ValidateChain(Session());

        Assert.True(second.IsValid, second.ToString());
        Assert.Equal(1, credentials.ValidatedChains.Hits);
        Assert.Equal(first.Chain, second.Chain);
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
