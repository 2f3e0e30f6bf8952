using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>
/// The per-certificate rules <see cref="ChainValidator"/> applies to every certificate of a path
/// (X509Chain leaves them out, or applies them differently from RFC 5280): version, serial,
/// validity, signature algorithm and key strength, CA constraints, key usage, extended key usage,
/// key identifiers and the structure of some extensions. See docs/tls.md, "Chain validation".
/// </summary>
internal static class CertificateRules
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";
    private const string PolicyConstraintsOid = "2.5.29.36";
    private const string AuthorityInfoAccessOid = "1.3.6.1.5.5.7.1.1";

    private const string RsaPssOid = "1.2.840.113549.1.1.10";
    private const string Mgf1Oid = "1.2.840.113549.1.1.8";
    private const string Sha1Oid = "1.3.14.3.2.26";

    private static readonly HashSet<string> StrongHashes = ["2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"];

    /// <summary>Signature algorithms refused on certificates and CRLs: MD5, SHA-1 and DSA.</summary>
    internal static readonly HashSet<string> WeakSignatureAlgorithms =
    [
        "1.2.840.113549.1.1.4", // md5WithRSA
        "1.2.840.113549.1.1.5", // sha1WithRSA
        "1.2.840.10045.4.1", // ecdsa-with-SHA1
        "1.2.840.10040.4.3", // dsa-with-sha1
        "2.16.840.1.101.3.4.3.2", // dsa-with-sha256
    ];

    public static ChainValidationResult? Check(X509Certificate2 cert, int index, int length, CertificateUsage? usage, DateTimeOffset time)
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

        // The trust anchor's own signature is never relied on (RFC 5280 6.1.1: it is an input, its
        // name and key are what count), so a SHA-1 self-signature on a root does not condemn a chain.
        if (!isRoot && SignatureWeakness(cert) is { } weakSignature)
        {
            return Fail(ValidationStep.KeyStrength, $"{role} is signed with a weak algorithm ({weakSignature})");
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

    /// <summary>
    /// Why the certificate's signature algorithm is too weak, or null. RSASSA-PSS names its hash in
    /// its parameters (SHA-1 when they are absent, RFC 4055), so the OID alone says nothing: the
    /// parameters are read, and the outer algorithm must be the one the signed part names.
    /// </summary>
    internal static string? SignatureWeakness(X509Certificate2 cert)
    {
        var oid = cert.SignatureAlgorithm.Value ?? string.Empty;
        if (WeakSignatureAlgorithms.Contains(oid))
        {
            return cert.SignatureAlgorithm.FriendlyName ?? oid;
        }

        try
        {
            var outer = new AsnReader(cert.RawData, AsnEncodingRules.DER).ReadSequence();
            var tbs = outer.ReadSequence();
            var outerAlgorithm = outer.ReadEncodedValue();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                tbs.ReadEncodedValue();
            }

            tbs.ReadEncodedValue(); // serialNumber
            if (!tbs.ReadEncodedValue().Span.SequenceEqual(outerAlgorithm.Span))
            {
                return "the signature algorithm differs from the one the signed part names";
            }

            return oid == RsaPssOid ? PssWeakness(outerAlgorithm) : null;
        }
        catch (AsnContentException)
        {
            return "unreadable signature algorithm";
        }
    }

    private static string? PssWeakness(ReadOnlyMemory<byte> algorithmIdentifier)
    {
        var algorithm = new AsnReader(algorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
        algorithm.ReadObjectIdentifier();
        var parameters = algorithm.HasData ? algorithm.ReadEncodedValue() : (ReadOnlyMemory<byte>?)null;
        algorithm.ThrowIfNotEmpty();
        return PssParametersWeakness(parameters);
    }

    /// <summary>
    /// Why RSASSA-PSS with these parameters (the DER of RSASSA-PSS-params, or null when absent) is
    /// too weak, or null: the hash and MGF1's hash default to SHA-1 (RFC 4055). Also used for CRLs.
    /// </summary>
    internal static string? PssParametersWeakness(ReadOnlyMemory<byte>? encoded)
    {
        if (encoded is not { } present)
        {
            return "RSASSA-PSS with default parameters (SHA-1)";
        }

        var outer = new AsnReader(present, AsnEncodingRules.DER);
        var parameters = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        string hash = Sha1Oid, mgfHash = Sha1Oid;
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            hash = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence().ReadObjectIdentifier();
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            var mgf = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)).ReadSequence();
            if (mgf.ReadObjectIdentifier() != Mgf1Oid)
            {
                return "RSASSA-PSS with a mask generation function other than MGF1";
            }

            mgfHash = mgf.ReadSequence().ReadObjectIdentifier();
        }

        return StrongHashes.Contains(hash) && StrongHashes.Contains(mgfHash)
            ? null
            : $"RSASSA-PSS with hash {hash} and MGF1 hash {mgfHash} (SHA-256, SHA-384 or SHA-512 only)";
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
        // The anchor is an input (RFC 5280 6.1.1): its own AKI, self-signed or cross-signed, is not relied on.
        if (!isRoot && aki?.KeyIdentifier is null)
        {
            return ChainValidationResult.Invalid(ValidationStep.Extensions, $"{role} lacks an authorityKeyIdentifier with a keyIdentifier", cert);
        }

        // Only a self-issued anchor's identifier must point at itself; a trusted intermediate names its own issuer's key.
        if (isRoot && aki is not null && cert.IsSelfIssued())
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
                case ChainValidator.NameConstraintsOid:
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
