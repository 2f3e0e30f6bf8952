using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>Which role the peer certificate must be fit for.</summary>
public enum CertificateUsage
{
    /// <summary>The peer is the TLS server (we initiated): id-kp-serverAuth.</summary>
    Server,

    /// <summary>The peer is the TLS client (it initiated): id-kp-clientAuth.</summary>
    Client,
}

/// <summary>The step of certificate validation that decided.</summary>
public enum ValidationStep
{
    Certificate,
    Path,
    Signature,
    Validity,
    BasicConstraints,
    KeyUsage,
    ExtendedKeyUsage,
    KeyStrength,
    Extensions,
    NameConstraints,
    Depth,
    Policy,
}

/// <summary>Trust anchors, intermediates and rules for one validation; a null <see cref="Usage"/> skips the purpose check.</summary>
public sealed record ChainPolicy(
    IReadOnlyList<X509Certificate2> TrustAnchors,
    IReadOnlyList<X509Certificate2> Intermediates,
    CertificateUsage? Usage,
    DateTimeOffset? Time = null,
    int MaxDepth = 8);

/// <summary>
/// A built chain copied out of its X509Chain (which the TLS layer disposes after its callback),
/// with the certificates its extra store held: in a TLS callback, the key repository's
/// intermediates and whatever the peer sent, the material for other paths.
/// </summary>
public sealed record ChainSnapshot(IReadOnlyList<(X509Certificate2 Certificate, X509ChainStatus[] Status)> Elements, X509ChainStatus[] Overall, IReadOnlyList<X509Certificate2> Presented)
{
    // Copies share the native certificate (a reference, not a re-parse: parsing cost ~150 µs a
    // certificate on the handshake's path) and outlive the chain's own, which it disposes.
    public static ChainSnapshot Of(X509Chain chain) => new(
        chain.ChainElements.Select(e => (new X509Certificate2(e.Certificate), e.ChainElementStatus.ToArray())).ToList(),
        chain.ChainStatus.ToArray(),
        chain.ChainPolicy.ExtraStore.Select(c => new X509Certificate2(c)).ToList());
}

/// <summary>The outcome: valid with the chain (leaf first), or the first failing step, why, and which certificate.</summary>
public sealed record ChainValidationResult(bool IsValid, IReadOnlyList<X509Certificate2> Chain, ValidationStep? FailedStep, string? Reason, X509Certificate2? Certificate)
{
    public static ChainValidationResult Valid(IReadOnlyList<X509Certificate2> chain) => new(true, chain, null, null, null);

    public static ChainValidationResult Invalid(ValidationStep step, string reason, X509Certificate2? certificate, IReadOnlyList<X509Certificate2>? chain = null) =>
        new(false, chain ?? [], step, reason, certificate);

    public override string ToString() => IsValid
        ? $"valid: {string.Join(" <- ", Chain.Select(c => c.Subject))}"
        : $"{FailedStep}: {Reason}{(Certificate is null ? string.Empty : $" [subject '{Certificate.Subject}', issuer '{Certificate.Issuer}', serial {Certificate.SerialNumber}]")}";
}

/// <summary>
/// Validates a peer certificate the way the handshake must: a path to one of the queue manager's
/// own trust anchors (never the system store), every signature, every certificate's validity
/// (both ends inclusive), CA constraints and path length, key usage and extended key usage for
/// the TLS role, key strength, signature algorithm, and the structural rules X509Chain skips.
/// <see cref="PathBuilder"/> finds every candidate path and X509Chain, restricted to one path at a
/// time, confirms its signatures and constraints; revocation is not its job here (it has no
/// usable engine for it, see docs/tls.md) and is a later handshake step.
/// </summary>
public static class ChainValidator
{
    internal const string NameConstraintsOid = "2.5.29.30";

    /// <summary>Self-issued CA certificates (key rollover) a path may hold beyond the maximum depth, which does not count them.</summary>
    private const int MaxSelfIssued = 4;

    private static readonly PathBuilder.Limits PathBuilderLimits = new();

    /// <summary>
    /// The X509Chain settings for <paramref name="policy"/>: only its anchors, no downloads, no
    /// revocation; validity and usage are ignored there because they are checked here, by RFC 5280.
    /// The TLS layer is given the same settings so the chain it builds anyway is the one evaluated.
    /// </summary>
    public static X509ChainPolicy ChainPolicyFor(ChainPolicy policy)
    {
        var chainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
            VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreWrongUsage,
            VerificationTime = (policy.Time ?? DateTimeOffset.UtcNow).UtcDateTime,
            VerificationTimeIgnored = policy.Time is null,
        };
        chainPolicy.CustomTrustStore.AddRange(policy.TrustAnchors.ToArray());
        chainPolicy.ExtraStore.AddRange(policy.Intermediates.ToArray());
        return chainPolicy;
    }

    /// <summary>
    /// Validates <paramref name="peer"/> over every path <see cref="PathBuilder"/> finds to the
    /// policy's anchors: the first path on which every check passes is the answer; when none
    /// does, the failure of the first (preferred) path, or why no path exists.
    /// </summary>
    public static ChainValidationResult Validate(X509Certificate2 peer, ChainPolicy policy) => MalformedPeer(peer) ?? ValidatePaths(peer, policy);

    /// <summary>
    /// A peer whose subject or issuer name cannot be read cleanly could be read two ways (an SSLPEER
    /// match on one reading): refused as a bad certificate before any path is built (docs/tls.md, SSLPEER).
    /// </summary>
    private static ChainValidationResult? MalformedPeer(X509Certificate2 peer) =>
        PeerName.MalformedNames(peer) is { } malformed ? ChainValidationResult.Invalid(ValidationStep.Certificate, malformed, peer) : null;

    /// <summary>The builder for <paramref name="peer"/> under <paramref name="policy"/>, or null for a peer certificate it cannot read.</summary>
    private static PathBuilder? Builder(X509Certificate2 peer, ChainPolicy policy)
    {
        try
        {
            return PathBuilder.For(peer, policy.TrustAnchors, policy.Intermediates, policy.MaxDepth + MaxSelfIssued);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static ChainValidationResult ValidatePaths(X509Certificate2 peer, ChainPolicy policy)
    {
        if (Builder(peer, policy) is not { } builder)
        {
            return ChainValidationResult.Invalid(ValidationStep.Certificate, "the peer certificate cannot be parsed", peer);
        }

        ChainValidationResult? first = null;
        foreach (var path in builder.Paths())
        {
            var result = ValidatePath(path, peer, policy);
            if (result.IsValid)
            {
                return result;
            }

            first ??= result;
        }

        if (first is not null)
        {
            return first;
        }

        if (builder.Exhausted)
        {
            return ChainValidationResult.Invalid(ValidationStep.Path, $"no path to a trusted root was found within the path-building bounds ({builder.SignatureChecks} signature checks)", peer);
        }

        return builder.BadSignature is { } forged
            ? ChainValidationResult.Invalid(ValidationStep.Signature, "a signature in the chain does not verify with the key of the certificate named as its issuer", forged)
            : ChainValidationResult.Invalid(ValidationStep.Path, "no path to a trusted root in the key repository", peer);
    }

    /// <summary>
    /// Every other path on which <paramref name="peer"/> validates, found lazily and within the path
    /// builder's bounds: what the revocation step tries when a certificate of the first valid path is
    /// revoked or undeterminable (a cross-certificate revoked by one root while another root still vouches).
    /// </summary>
    /// <remarks>With the handshake's <paramref name="snapshot"/>, the certificates the peer sent are candidates too.</remarks>
    public static IEnumerable<IReadOnlyList<X509Certificate2>> OtherValidPaths(X509Certificate2 peer, ChainPolicy policy, ChainSnapshot? snapshot, IReadOnlyList<X509Certificate2> tried)
    {
        policy = WithPresented(policy, snapshot);
        if (Builder(peer, policy) is not { } builder)
        {
            yield break;
        }

        foreach (var path in builder.Paths())
        {
            if (path.Count == tried.Count && path.Zip(tried).All(p => p.First.RawDataMemory.Span.SequenceEqual(p.Second.RawDataMemory.Span)))
            {
                continue;
            }

            if (ValidatePath(path, peer, policy) is { IsValid: true } valid)
            {
                yield return valid.Chain;
            }
        }
    }

    /// <summary>
    /// Validates what a TLS handshake captured: the path the TLS layer built with
    /// <see cref="ChainPolicyFor"/> settings is used when every check passes on it (the usual case,
    /// at no extra cost); otherwise every other path through the key repository's certificates and
    /// the ones the peer sent is tried (a cross-signed CA, a trusted intermediate).
    /// </summary>
    public static ChainValidationResult ValidatePresented(ChainSnapshot snapshot, X509Certificate2 peer, ChainPolicy policy)
    {
        if (MalformedPeer(peer) is { } malformed)
        {
            return malformed;
        }

        var built = Evaluate(snapshot, peer, policy);
        // The path the TLS layer built counts only if it ends at one of our anchors: a caller that let it use the system's
        // store (or any other) must not get a path to a root we do not trust.
        if (built.IsValid && built.Chain.Count > 0 && policy.TrustAnchors.Any(a => a.RawData.AsSpan().SequenceEqual(built.Chain[^1].RawData)))
        {
            return built;
        }

        if (built.IsValid)
        {
            built = ChainValidationResult.Invalid(ValidationStep.Path, "no path to a trusted root in the key repository", peer);
        }

        if (snapshot.Presented.Count > PathBuilderLimits.MaxCertificates)
        {
            return ChainValidationResult.Invalid(ValidationStep.Path, $"the peer sent {snapshot.Presented.Count} certificates, more than the {PathBuilderLimits.MaxCertificates} considered", peer);
        }

        var others = ValidatePaths(peer, WithPresented(policy, snapshot));
        return others.IsValid ? others : built;
    }

    private static ChainPolicy WithPresented(ChainPolicy policy, ChainSnapshot? snapshot) =>
        snapshot is { Presented.Count: > 0 } ? policy with { Intermediates = policy.Intermediates.Concat(snapshot.Presented).ToList() } : policy;

    /// <summary>One candidate path, leaf first: X509Chain restricted to exactly its certificates confirms signatures and its constraints, then every rule here.</summary>
    private static ChainValidationResult ValidatePath(IReadOnlyList<X509Certificate2> path, X509Certificate2 peer, ChainPolicy policy)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicyFor(policy with { TrustAnchors = [path[^1]], Intermediates = path.Skip(1).SkipLast(1).ToList() }) };
        try
        {
            chain.Build(peer);
        }
        catch (CryptographicException e)
        {
            // OpenSSL reports some malformed chains with codes .NET cannot map; that is a refusal, not a crash.
            return ChainValidationResult.Invalid(ValidationStep.Path, "the chain cannot be evaluated: " + e.Message, peer, path);
        }

        var snapshot = ChainSnapshot.Of(chain);
        if (snapshot.Elements.Count != path.Count || !snapshot.Elements.Select(e => e.Certificate).Zip(path).All(p => p.First.RawDataMemory.Span.SequenceEqual(p.Second.RawDataMemory.Span)))
        {
            return ChainValidationResult.Invalid(ValidationStep.Path, "the TLS layer's chain engine did not confirm the candidate path", peer, path);
        }

        // An anchor that is not self-issued (a trusted intermediate) ends the path by configuration:
        // X509Chain, which wants a self-signed root, calls that partial; every signature up to the
        // anchor was verified while building.
        if (!path[^1].IsSelfIssued())
        {
            snapshot = snapshot with
            {
                Elements = snapshot.Elements.Select(e => (e.Certificate, WithoutPartialChain(e.Status))).ToList(),
                Overall = WithoutPartialChain(snapshot.Overall),
            };
        }

        return Evaluate(snapshot, peer, policy);
    }

    private static X509ChainStatus[] WithoutPartialChain(X509ChainStatus[] statuses) =>
        statuses.Where(s => s.Status != X509ChainStatusFlags.PartialChain).ToArray();

    /// <summary>Applies every check to a chain already built with <see cref="ChainPolicyFor"/> settings.</summary>
    public static ChainValidationResult Evaluate(ChainSnapshot snapshot, X509Certificate2 peer, ChainPolicy policy)
    {
        var time = policy.Time ?? DateTimeOffset.UtcNow;
        var elements = snapshot.Elements.Select(e => e.Certificate).ToList();
        if (snapshot.Elements.SelectMany(e => e.Status).Concat(snapshot.Overall).Any(s => !Ignorable(s.Status)))
        {
            var (step, reason, culprit) = Explain(snapshot);
            return ChainValidationResult.Invalid(step, reason, culprit ?? peer, elements);
        }

        for (var i = 0; i < elements.Count; i++)
        {
            var failure = CertificateRules.Check(elements[i], i, elements.Count, policy.Usage, time);
            if (failure is not null)
            {
                return failure with { Chain = elements };
            }
        }

        // Self-issued intermediates (key rollover) do not count towards the depth (RFC 5280 6.1.4).
        var intermediates = elements.Skip(1).SkipLast(1).Count(c => !c.IsSelfIssued());
        if (intermediates > policy.MaxDepth)
        {
            return ChainValidationResult.Invalid(ValidationStep.Depth, $"{intermediates} intermediate certificates exceed the maximum depth {policy.MaxDepth}", peer, elements);
        }

        if (NameConstraintChecks.Violation(elements) is { } nc)
        {
            return ChainValidationResult.Invalid(ValidationStep.NameConstraints, nc, peer, elements);
        }

        if (CertificatePolicies.Violation(elements) is { } p)
        {
            return ChainValidationResult.Invalid(ValidationStep.Policy, p, peer, elements);
        }

        return ChainValidationResult.Valid(elements);
    }

    private static bool Ignorable(X509ChainStatusFlags flags) =>
        (flags & ~(X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested | X509ChainStatusFlags.NotValidForUsage)) == X509ChainStatusFlags.NoError;

    private static (ValidationStep, string, X509Certificate2?) Explain(ChainSnapshot chain)
    {
        foreach (var element in chain.Elements)
        {
            foreach (var status in element.Status.Where(s => !Ignorable(s.Status)))
            {
                var step = status.Status switch
                {
                    X509ChainStatusFlags.NotSignatureValid => ValidationStep.Signature,
                    X509ChainStatusFlags.InvalidBasicConstraints => ValidationStep.BasicConstraints,
                    X509ChainStatusFlags.HasExcludedNameConstraint or X509ChainStatusFlags.HasNotPermittedNameConstraint
                        or X509ChainStatusFlags.HasNotSupportedNameConstraint or X509ChainStatusFlags.HasNotDefinedNameConstraint
                        or X509ChainStatusFlags.InvalidNameConstraints => ValidationStep.NameConstraints,
                    X509ChainStatusFlags.HasNotSupportedCriticalExtension or X509ChainStatusFlags.InvalidExtension
                        or X509ChainStatusFlags.InvalidPolicyConstraints => ValidationStep.Extensions,
                    _ => ValidationStep.Path,
                };
                return (step, Describe(status), element.Certificate);
            }
        }

        var overall = chain.Overall.FirstOrDefault(s => !Ignorable(s.Status));
        return (ValidationStep.Path, Describe(overall), chain.Elements.Count > 0 ? chain.Elements[^1].Certificate : null);
    }

    private static string Describe(X509ChainStatus status) => status.Status switch
    {
        X509ChainStatusFlags.PartialChain => "no path to a trusted root in the key repository",
        X509ChainStatusFlags.UntrustedRoot => "the chain ends at a root that is not trusted by the key repository",
        X509ChainStatusFlags.NotSignatureValid => "a signature in the chain does not verify",
        X509ChainStatusFlags.Cyclic => "the chain is cyclic",
        _ => $"{status.Status}: {status.StatusInformation.Trim()}",
    };
}
