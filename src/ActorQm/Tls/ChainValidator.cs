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

/// <summary>A built chain copied out of its X509Chain (which the TLS layer disposes after its callback).</summary>
public sealed record ChainSnapshot(IReadOnlyList<(X509Certificate2 Certificate, X509ChainStatus[] Status)> Elements, X509ChainStatus[] Overall)
{
    public static ChainSnapshot Of(X509Chain chain) => new(
        chain.ChainElements.Select(e => (X509CertificateLoader.LoadCertificate(e.Certificate.RawData), e.ChainElementStatus.ToArray())).ToList(),
        chain.ChainStatus.ToArray());
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
/// X509Chain builds the path and checks signatures; revocation is not its job here (it has no
/// usable engine for it, see docs/tls.md) and is a later handshake step.
/// </summary>
public static class ChainValidator
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";
    internal const string NameConstraintsOid = "2.5.29.30";
    private const string PolicyConstraintsOid = "2.5.29.36";
    private const string AuthorityInfoAccessOid = "1.3.6.1.5.5.7.1.1";

    private static readonly HashSet<string> WeakSignatureAlgorithms =
    [
        "1.2.840.113549.1.1.4", // md5WithRSA
        "1.2.840.113549.1.1.5", // sha1WithRSA
        "1.2.840.10045.4.1", // ecdsa-with-SHA1
        "1.2.840.10040.4.3", // dsa-with-sha1
        "2.16.840.1.101.3.4.3.2", // dsa-with-sha256
    ];

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

    public static ChainValidationResult Validate(X509Certificate2 peer, ChainPolicy policy)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicyFor(policy) };
        try
        {
            chain.Build(peer);
        }
        catch (CryptographicException e)
        {
            // OpenSSL reports some malformed chains with codes .NET cannot map; that is a refusal, not a crash.
            return ChainValidationResult.Invalid(ValidationStep.Path, "the chain cannot be evaluated: " + e.Message, peer);
        }

        return Evaluate(ChainSnapshot.Of(chain), peer, policy);
    }

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
            var failure = CheckCertificate(elements[i], i, elements.Count, policy.Usage, time);
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

    private static ChainValidationResult? CheckCertificate(X509Certificate2 cert, int index, int length, CertificateUsage? usage, DateTimeOffset time)
    {
        var isLeaf = index == 0;
        var isRoot = index == length - 1;
        ChainValidationResult Fail(ValidationStep step, string reason) => ChainValidationResult.Invalid(step, reason, cert);
        var role = isLeaf ? "peer certificate" : isRoot ? "root" : "intermediate";

        if (cert.Version != 3)
        {
            return Fail(ValidationStep.Certificate, $"{role} is X.509 v{cert.Version}, not v3");
        }

        // A name with a control character (a NUL above all) can be read two ways: "CN=APP1\0.evil" passes SSLPEER('CN=APP*').
        if ((ControlCharacter(cert.SubjectName.Name) ?? ControlCharacter(cert.IssuerName.Name)) is { } control)
        {
            return Fail(ValidationStep.Certificate, $"{role} has a control character (U+{(int)control:X4}) in its subject or issuer name");
        }

        var serial = cert.SerialNumberBytes.Span;
        // Trust anchors are chosen by the administrator; some long-lived roots have serial 0.
        if (!isRoot && (serial.Length > 20 || serial.IndexOfAnyExcept((byte)0) < 0 || (serial[0] & 0x80) != 0))
        {
            return Fail(ValidationStep.Certificate, $"{role} serial number is zero, negative or longer than 20 octets");
        }

        // Both bounds are inclusive at second precision (RFC 5280 4.1.2.5).
        var seconds = DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());
        var atOrAfterStart = time >= new DateTimeOffset(cert.NotBefore.ToUniversalTime());
        if (!atOrAfterStart)
        {
            return Fail(ValidationStep.Validity, $"{role} is not valid before {cert.NotBefore.ToUniversalTime():u}");
        }

        if (seconds > new DateTimeOffset(cert.NotAfter.ToUniversalTime()))
        {
            return Fail(ValidationStep.Validity, $"{role} expired at {cert.NotAfter.ToUniversalTime():u}");
        }

        if (WeakSignatureAlgorithms.Contains(cert.SignatureAlgorithm.Value ?? string.Empty))
        {
            return Fail(ValidationStep.KeyStrength, $"{role} is signed with a weak algorithm ({cert.SignatureAlgorithm.FriendlyName ?? cert.SignatureAlgorithm.Value})");
        }

        if (KeyWeakness(cert) is { } weak)
        {
            return Fail(ValidationStep.KeyStrength, $"{role} has a weak key: {weak}");
        }

        var basic = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (isLeaf)
        {
            if (basic is { CertificateAuthority: true })
            {
                return Fail(ValidationStep.BasicConstraints, "peer certificate is a CA certificate (basicConstraints cA=TRUE)");
            }
        }
        else
        {
            if (basic is null || !basic.CertificateAuthority)
            {
                return Fail(ValidationStep.BasicConstraints, $"{role} is not marked as a CA (basicConstraints cA=TRUE missing)");
            }

            if (!basic.Critical)
            {
                return Fail(ValidationStep.BasicConstraints, $"{role} basicConstraints is not critical");
            }
        }

        var keyUsage = cert.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is not null)
        {
            if (isLeaf && keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            {
                return Fail(ValidationStep.KeyUsage, "peer certificate may sign certificates (keyUsage keyCertSign)");
            }

            // A TLS peer proves its key by signing (CertificateVerify, ECDHE); only an RSA key may instead be a key-transport key.
            if (isLeaf && !keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature)
                && !(keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyEncipherment) && cert.GetKeyAlgorithm() == "1.2.840.113549.1.1.1"))
            {
                return Fail(ValidationStep.KeyUsage, $"peer certificate may not sign in a TLS handshake (keyUsage {keyUsage.KeyUsages} lacks digitalSignature)");
            }

            if (!isLeaf && !keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            {
                return Fail(ValidationStep.KeyUsage, $"{role} may not sign certificates (keyUsage lacks keyCertSign)");
            }
        }

        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is not null)
        {
            var purposes = eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
            var wanted = usage == CertificateUsage.Server ? ServerAuth : ClientAuth;
            if (purposes.Count == 0)
            {
                return Fail(ValidationStep.ExtendedKeyUsage, $"{role} has an empty extendedKeyUsage");
            }

            if (usage is not null && !isRoot && !purposes.Contains(wanted) && !purposes.Contains(AnyExtendedKeyUsage))
            {
                return Fail(ValidationStep.ExtendedKeyUsage, $"{role} is not for {(usage == CertificateUsage.Server ? "TLS servers (serverAuth)" : "TLS clients (clientAuth)")}");
            }
        }

        return CheckIdentifiers(cert, isLeaf, isRoot, role) ?? CheckStructure(cert, isLeaf, role);
    }

    private static char? ControlCharacter(string name)
    {
        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return c;
            }
        }

        return null;
    }

    private static ChainValidationResult? CheckIdentifiers(X509Certificate2 cert, bool isLeaf, bool isRoot, string role)
    {
        var aki = cert.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault();
        var ski = cert.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        if (!isRoot && aki?.KeyIdentifier is null)
        {
            return ChainValidationResult.Invalid(ValidationStep.Extensions, $"{role} lacks an authorityKeyIdentifier with a keyIdentifier", cert);
        }

        if (isRoot && aki is not null)
        {
            if (aki.KeyIdentifier is null || aki.NamedIssuer is not null || aki.SerialNumber is not null)
            {
                return ChainValidationResult.Invalid(ValidationStep.Extensions, "root authorityKeyIdentifier must hold only a keyIdentifier", cert);
            }

            if (ski is not null && !aki.KeyIdentifier.Value.Span.SequenceEqual(Convert.FromHexString(ski.SubjectKeyIdentifier ?? string.Empty)))
            {
                return ChainValidationResult.Invalid(ValidationStep.Extensions, "root authorityKeyIdentifier does not match its subjectKeyIdentifier", cert);
            }
        }

        if (!isLeaf && ski is null)
        {
            return ChainValidationResult.Invalid(ValidationStep.Extensions, $"{role} lacks a subjectKeyIdentifier", cert);
        }

        return null;
    }

    private static ChainValidationResult? CheckStructure(X509Certificate2 cert, bool isLeaf, string role)
    {
        foreach (var ext in cert.Extensions)
        {
            switch (ext.Oid?.Value)
            {
                case NameConstraintsOid:
                    if (isLeaf)
                    {
                        return ChainValidationResult.Invalid(ValidationStep.NameConstraints, "peer certificate carries nameConstraints, which only CAs may", cert);
                    }

                    if (!NameConstraintChecks.HasSubtrees(ext.RawData))
                    {
                        return ChainValidationResult.Invalid(ValidationStep.NameConstraints, $"{role} nameConstraints has neither permitted nor excluded subtrees", cert);
                    }

                    break;
                case PolicyConstraintsOid when !ext.Critical:
                    return ChainValidationResult.Invalid(ValidationStep.Extensions, $"{role} policyConstraints is not critical", cert);
                case AuthorityInfoAccessOid when !IsWellFormedSequenceOfSequences(ext.RawData):
                    return ChainValidationResult.Invalid(ValidationStep.Extensions, $"{role} authorityInfoAccess is malformed", cert);
            }
        }

        return null;
    }

    private static string? KeyWeakness(X509Certificate2 cert)
    {
        switch (cert.PublicKey.Oid.Value)
        {
            case "1.2.840.113549.1.1.1":
                using (var rsa = cert.GetRSAPublicKey())
                {
                    var modulus = rsa!.ExportParameters(false).Modulus!;
                    var exactBits = (modulus.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]) + 24;
                    if (exactBits < 2048)
                    {
                        return $"RSA {exactBits} bits (2048 at least)";
                    }

                    return exactBits % 8 != 0 ? $"RSA modulus of {exactBits} bits is not a whole number of bytes" : null;
                }

            case "1.2.840.10045.2.1":
                using (var ec = cert.GetECDsaPublicKey())
                {
                    var curve = ec!.ExportParameters(false).Curve;
                    var name = curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "explicit curve";
                    return curve.Oid?.Value is "1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35" ? null : $"EC curve {name} (P-256, P-384 or P-521 only)";
                }

            case "1.2.840.10040.4.1":
                return "DSA";
            case "1.3.101.112":
                return null;
            default:
                return $"unsupported key algorithm {cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value}";
        }
    }

    private static bool IsWellFormedSequenceOfSequences(byte[] der)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var items = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (!items.HasData)
            {
                return false;
            }

            while (items.HasData)
            {
                var access = items.ReadSequence();
                access.ReadObjectIdentifier();
                access.ReadEncodedValue();
                access.ThrowIfNotEmpty();
            }

            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
