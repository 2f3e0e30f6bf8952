using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>
/// Finds every certification path from a peer certificate to one of the key repository's trust
/// anchors, depth first with backtracking, shortest (anchor-first) extensions tried first. An
/// edge exists only where the issuer's name matches the child's issuer name, the key identifiers
/// do not contradict each other and the child's signature verifies with the issuer's key, so a
/// forged or unrelated certificate never becomes a candidate. A certificate whose subject and key
/// are already on the path is a loop and is not used again (RFC 4158 §5.2). Everything an outsider
/// can inflate is bounded: the certificates considered, the path length and the signature checks
/// (see docs/tls.md, "Path building").
/// </summary>
internal sealed class PathBuilder
{
    /// <summary>Bounds on the work one validation may cost, whatever a peer sends.</summary>
    /// <param name="MaxCertificates">Intermediates considered (the key repository's and the peer's together).</param>
    /// <param name="MaxSignatureChecks">Signatures verified while looking for issuers.</param>
    /// <param name="MaxCandidates">Complete paths handed to validation.</param>
    /// <param name="MaxSteps">Issuer candidates examined in all: bounds the search where cached signatures make each step cheap.</param>
    public sealed record Limits(int MaxCertificates = 96, int MaxSignatureChecks = 1024, int MaxCandidates = 32, int MaxSteps = 20_000);

    private readonly List<Node> _anchors;
    private readonly List<Node> _intermediates;
    private readonly Node _leaf;
    private readonly int _maxLength;
    private readonly Limits _limits;
    private readonly Dictionary<(Node Child, Node Parent), bool> _verified = new();

    private PathBuilder(Node leaf, List<Node> anchors, List<Node> intermediates, int maxLength, Limits limits)
    {
        _leaf = leaf;
        _anchors = anchors;
        _intermediates = intermediates;
        _maxLength = maxLength;
        _limits = limits;
    }

    /// <summary>Issuer candidates examined so far.</summary>
    public int Steps { get; private set; }

    /// <summary>Signature checks spent so far.</summary>
    public int SignatureChecks { get; private set; }

    /// <summary>True once a bound stopped the search: paths not yet found were not looked for.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>A certificate whose issuer was found by name but whose signature that issuer's key does not verify.</summary>
    public X509Certificate2? BadSignature { get; private set; }

    /// <summary>
    /// A builder for <paramref name="leaf"/>; <paramref name="maxLength"/> bounds the certificates
    /// below the anchor. Intermediates beyond <see cref="Limits.MaxCertificates"/> are not considered.
    /// </summary>
    public static PathBuilder For(X509Certificate2 leaf, IEnumerable<X509Certificate2> anchors, IEnumerable<X509Certificate2> intermediates, int maxLength, Limits? limits = null)
    {
        limits ??= new Limits();
        var anchorNodes = Distinct(anchors).Select(Node.Of).OfType<Node>().ToList();
        var leafNode = Node.Of(leaf) ?? throw new ArgumentException("the peer certificate cannot be parsed", nameof(leaf));
        var pool = Distinct(intermediates).Where(c => !c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)).ToList();
        var builder = new PathBuilder(leafNode, anchorNodes, pool.Take(limits.MaxCertificates).Select(Node.Of).OfType<Node>().ToList(), maxLength, limits);
        builder.Exhausted = pool.Count > limits.MaxCertificates;
        return builder;
    }

    /// <summary>Candidate paths, leaf first and anchor last, at most <see cref="Limits.MaxCandidates"/> of them.</summary>
    public IEnumerable<IReadOnlyList<X509Certificate2>> Paths()
    {
        var produced = 0;
        // The peer certificate may itself be a trust anchor (a pinned, self-signed certificate).
        if (_anchors.Any(a => a.Certificate.RawDataMemory.Span.SequenceEqual(_leaf.Certificate.RawDataMemory.Span)))
        {
            produced++;
            yield return [_leaf.Certificate];
        }

        var path = new List<Node> { _leaf };
        foreach (var found in Extend(path))
        {
            if (++produced > _limits.MaxCandidates)
            {
                Exhausted = true;
                yield break;
            }

            yield return found;
        }
    }

    private IEnumerable<IReadOnlyList<X509Certificate2>> Extend(List<Node> path)
    {
        var child = path[^1];
        foreach (var anchor in _anchors)
        {
            if (!OnPath(path, anchor) && Issues(anchor, child))
            {
                yield return path.Select(n => n.Certificate).Append(anchor.Certificate).ToList();
            }

            if (Exhausted)
            {
                yield break;
            }
        }

        if (path.Count > _maxLength)
        {
            yield break;
        }

        foreach (var issuer in _intermediates)
        {
            if (OnPath(path, issuer) || !Issues(issuer, child))
            {
                if (Exhausted)
                {
                    yield break;
                }

                continue;
            }

            path.Add(issuer);
            foreach (var found in Extend(path))
            {
                yield return found;
            }

            path.RemoveAt(path.Count - 1);
            if (Exhausted)
            {
                yield break;
            }
        }
    }

    private static bool OnPath(List<Node> path, Node candidate) =>
        path.Any(n => n.Name == candidate.Name && n.Key.AsSpan().SequenceEqual(candidate.Key));

    private bool Issues(Node parent, Node child)
    {
        if (++Steps > _limits.MaxSteps)
        {
            Exhausted = true;
            return false;
        }

        if (!parent.KeyCanVerify)
        {
            return false;
        }

        if (parent.Name != child.IssuerName
            || (child.AuthorityKeyId is { } aki && parent.SubjectKeyId is { } ski && !aki.AsSpan().SequenceEqual(ski)))
        {
            return false;
        }

        if (_verified.TryGetValue((child, parent), out var known))
        {
            return known;
        }

        if (SignatureChecks >= _limits.MaxSignatureChecks)
        {
            Exhausted = true;
            return false;
        }

        SignatureChecks++;
        bool ok;
        try
        {
            child.Parsed.Verify(parent.Parsed.GetPublicKey());
            ok = true;
        }
        catch (Exception)
        {
            // BouncyCastle throws whatever it meets (even NullReferenceException) on keys and
            // algorithms it cannot read; from a peer's certificate that is "does not verify".
            ok = false;
            BadSignature ??= child.Certificate;
        }

        _verified[(child, parent)] = ok;
        return ok;
    }

    private static IEnumerable<X509Certificate2> Distinct(IEnumerable<X509Certificate2> certificates)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var certificate in certificates)
        {
            if (seen.Add(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(certificate.RawDataMemory.Span))))
            {
                yield return certificate;
            }
        }
    }

    /// <summary>A certificate with what path building compares, read once.</summary>
    private sealed class Node
    {
        private Node(X509Certificate2 certificate, BcCertificate parsed, string name, string issuerName, byte[] key, byte[]? ski, byte[]? aki, bool keyCanVerify)
        {
            KeyCanVerify = keyCanVerify;
            Certificate = certificate;
            Parsed = parsed;
            Name = name;
            IssuerName = issuerName;
            Key = key;
            SubjectKeyId = ski;
            AuthorityKeyId = aki;
        }

        public X509Certificate2 Certificate { get; }

        public BcCertificate Parsed { get; }

        /// <summary>The subject in a canonical form (RFC 5280 §7.1 compares names case-insensitively, ignoring extra spaces).</summary>
        public string Name { get; }

        public string IssuerName { get; }

        public byte[] Key { get; }

        public byte[]? SubjectKeyId { get; }

        public byte[]? AuthorityKeyId { get; }

        /// <summary>
        /// Whether the key may be used to verify a signature while building: the kinds and sizes the
        /// per-certificate rules accept, with an RSA public exponent of at most 32 bits (as Go's and
        /// OpenSSL's limits) and a modulus of at most 8,192 bits, so that a peer cannot make each check
        /// cost a full-length modular exponentiation (docs/tls.md, "Path building").
        /// </summary>
        public bool KeyCanVerify { get; }

        /// <summary>The node, or null for a certificate BouncyCastle cannot read (it cannot be part of any path).</summary>
        public static Node? Of(X509Certificate2 certificate)
        {
            try
            {
                var parsed = new BcCertificate(certificate.RawData);
                var ski = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray();
                var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier?.ToArray();
                return new Node(certificate, parsed, Canonical(parsed.SubjectDN), Canonical(parsed.IssuerDN), parsed.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(), ski, aki, CanVerify(parsed));
            }
            catch (Exception e) when (e is Org.BouncyCastle.Security.Certificates.CertificateException or ArgumentException or InvalidOperationException
                or System.Security.Cryptography.CryptographicException or IOException or Asn1Exception)
            {
                return null;
            }
        }

        private static bool CanVerify(BcCertificate parsed)
        {
            try
            {
                return parsed.GetPublicKey() switch
                {
                    Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters rsa => rsa.Exponent.BitLength <= 32 && rsa.Modulus.BitLength <= 8192,
                    Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters ec => ec.PublicKeyParamSet is not null,
                    Org.BouncyCastle.Crypto.Parameters.Ed25519PublicKeyParameters => true,
                    _ => false,
                };
            }
            catch (Exception)
            {
                // A key BouncyCastle cannot read verifies nothing.
                return false;
            }
        }

        private static string Canonical(X509Name name) =>
            string.Join(",", name.GetOidList().Zip(name.GetValueList(), (oid, value) => oid.Id + "=" + string.Join(' ', value.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))));
    }
}
