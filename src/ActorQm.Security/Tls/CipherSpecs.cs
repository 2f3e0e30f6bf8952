using System.Net.Security;
using System.Security.Authentication;

namespace ActorQm.Tls;

/// <summary>One MQ CipherSpec: the protocol and IANA suite it stands for.</summary>
public sealed record CipherSpec(string Name, SslProtocols Protocol, TlsCipherSuite Suite, bool Fips, string? SuiteB, bool Deprecated);

/// <summary>What an SSLCIPH value allows: the protocols, and either one suite or any current suite of those protocols.</summary>
public sealed record CipherSpecSelection(string Value, SslProtocols Protocols, CipherSpec? Specific)
{
    public bool IsAlias => Specific is null;

    /// <summary>The suites an initiator offers for this value.</summary>
    public IEnumerable<CipherSpec> Offered => Specific is { } s ? [s] : CipherSpecs.Current.Where(c => Protocols.HasFlag(c.Protocol));

    /// <summary>The check after the handshake (AMQ9631 at the responder): is what was negotiated allowed by this value?</summary>
    public bool Accepts(SslProtocols protocol, TlsCipherSuite suite) =>
        Specific is { } s ? s.Protocol == protocol && s.Suite == suite : Protocols.HasFlag(protocol) && CipherSpecs.Current.Any(c => c.Suite == suite);
}

/// <summary>
/// MQ's CipherSpec catalogue and alias CipherSpecs (docs/tls.md), mapped to .NET's protocols and
/// suites. Deprecated names (RC4, 3DES, NULL, DES, every SSL 3.0 and TLS 1.0 CipherSpec) are
/// known so that they are refused by name (AMQ8242) rather than as unknown.
/// </summary>
public static class CipherSpecs
{
    private const SslProtocols Tls12 = SslProtocols.Tls12;
    private const SslProtocols Tls13 = SslProtocols.Tls13;
#pragma warning disable CS0618, SYSLIB0039 // the deprecated protocols are named only to refuse them
    private const SslProtocols Tls10 = SslProtocols.Tls;
    private const SslProtocols Ssl30 = SslProtocols.Ssl3;
#pragma warning restore CS0618, SYSLIB0039

    public static IReadOnlyList<CipherSpec> All { get; } =
    [
        new("TLS_AES_128_GCM_SHA256", Tls13, (TlsCipherSuite)0x1301, true, null, false),
        new("TLS_AES_256_GCM_SHA384", Tls13, (TlsCipherSuite)0x1302, true, null, false),
        new("TLS_CHACHA20_POLY1305_SHA256", Tls13, (TlsCipherSuite)0x1303, false, null, false),
        new("TLS_AES_128_CCM_SHA256", Tls13, (TlsCipherSuite)0x1304, true, null, false),
        new("TLS_AES_128_CCM_8_SHA256", Tls13, (TlsCipherSuite)0x1305, true, null, false),
        new("ECDHE_ECDSA_AES_128_CBC_SHA256", Tls12, (TlsCipherSuite)0xC023, true, null, false),
        new("ECDHE_ECDSA_AES_256_CBC_SHA384", Tls12, (TlsCipherSuite)0xC024, true, null, false),
        new("ECDHE_ECDSA_AES_128_GCM_SHA256", Tls12, (TlsCipherSuite)0xC02B, true, "128_BIT", false),
        new("ECDHE_ECDSA_AES_256_GCM_SHA384", Tls12, (TlsCipherSuite)0xC02C, true, "192_BIT", false),
        new("ECDHE_RSA_AES_128_CBC_SHA256", Tls12, (TlsCipherSuite)0xC027, true, null, false),
        new("ECDHE_RSA_AES_256_CBC_SHA384", Tls12, (TlsCipherSuite)0xC028, true, null, false),
        new("ECDHE_RSA_AES_128_GCM_SHA256", Tls12, (TlsCipherSuite)0xC02F, true, null, false),
        new("ECDHE_RSA_AES_256_GCM_SHA384", Tls12, (TlsCipherSuite)0xC030, true, null, false),
        new("TLS_RSA_WITH_AES_128_CBC_SHA256", Tls12, (TlsCipherSuite)0x003C, true, null, false),
        new("TLS_RSA_WITH_AES_256_CBC_SHA256", Tls12, (TlsCipherSuite)0x003D, true, null, false),
        new("TLS_RSA_WITH_AES_128_GCM_SHA256", Tls12, (TlsCipherSuite)0x009C, true, null, false),
        new("TLS_RSA_WITH_AES_256_GCM_SHA384", Tls12, (TlsCipherSuite)0x009D, true, null, false),
        new("ECDHE_ECDSA_3DES_EDE_CBC_SHA256", Tls12, (TlsCipherSuite)0xC008, true, null, true),
        new("ECDHE_RSA_3DES_EDE_CBC_SHA256", Tls12, (TlsCipherSuite)0xC012, true, null, true),
        new("ECDHE_ECDSA_RC4_128_SHA256", Tls12, (TlsCipherSuite)0xC007, false, null, true),
        new("ECDHE_RSA_RC4_128_SHA256", Tls12, (TlsCipherSuite)0xC011, false, null, true),
        new("ECDHE_ECDSA_NULL_SHA256", Tls12, (TlsCipherSuite)0xC006, false, null, true),
        new("ECDHE_RSA_NULL_SHA256", Tls12, (TlsCipherSuite)0xC010, false, null, true),
        new("TLS_RSA_WITH_NULL_SHA256", Tls12, (TlsCipherSuite)0x003B, false, null, true),
        new("TLS_RSA_WITH_RC4_128_SHA256", Tls12, (TlsCipherSuite)0x0005, false, null, true),
        new("TLS_RSA_WITH_AES_128_CBC_SHA", Tls10, (TlsCipherSuite)0x002F, true, null, true),
        new("TLS_RSA_WITH_AES_256_CBC_SHA", Tls10, (TlsCipherSuite)0x0035, true, null, true),
        new("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Tls10, (TlsCipherSuite)0x000A, true, null, true),
        new("TLS_RSA_WITH_DES_CBC_SHA", Tls10, (TlsCipherSuite)0x0009, false, null, true),
        new("NULL_MD5", Ssl30, (TlsCipherSuite)0x0001, false, null, true),
        new("NULL_SHA", Ssl30, (TlsCipherSuite)0x0002, false, null, true),
        new("RC4_MD5_EXPORT", Ssl30, (TlsCipherSuite)0x0003, false, null, true),
        new("RC4_MD5_US", Ssl30, (TlsCipherSuite)0x0004, false, null, true),
        new("RC4_SHA_US", Ssl30, (TlsCipherSuite)0x0005, false, null, true),
        new("RC2_MD5_EXPORT", Ssl30, (TlsCipherSuite)0x0006, false, null, true),
        new("DES_SHA_EXPORT", Ssl30, (TlsCipherSuite)0x0009, false, null, true),
        new("AES_SHA_US", Ssl30, (TlsCipherSuite)0x002F, false, null, true),
        new("DES_SHA_EXPORT1024", Ssl30, (TlsCipherSuite)0x0062, false, null, true),
        new("RC4_56_SHA_EXPORT1024", Ssl30, (TlsCipherSuite)0x0064, false, null, true),
        new("FIPS_WITH_DES_CBC_SHA", Ssl30, (TlsCipherSuite)0xFEFE, false, null, true),
        new("FIPS_WITH_3DES_EDE_CBC_SHA", Ssl30, (TlsCipherSuite)0xFEFF, false, null, true),
    ];

    /// <summary>Current (not deprecated) CipherSpecs in MQ's preference order: TLS 1.3 first.</summary>
    public static IReadOnlyList<CipherSpec> Current { get; } =
    [
        .. new[] { 0x1303, 0x1302, 0x1301, 0x1304, 0x1305 }.Select(h => All.Single(c => (int)c.Suite == h && c.Protocol == Tls13)),
        .. All.Where(c => c.Protocol == Tls12 && !c.Deprecated),
    ];

    private static readonly Dictionary<string, SslProtocols> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ANY"] = Tls12 | Tls13,
        ["ANY_TLS12"] = Tls12,
        ["ANY_TLS12_OR_HIGHER"] = Tls12 | Tls13,
        ["ANY_TLS13"] = Tls13,
        ["ANY_TLS13_OR_HIGHER"] = Tls13,
    };

    public static CipherSpec? Find(string name) => All.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why an SSLCIPH value cannot be defined (AMQ8242), or null when it can. Blank means no TLS.</summary>
    public static string? DefinitionError(string value)
    {
        if (value.Length == 0 || Aliases.ContainsKey(value))
        {
            return null;
        }

        if (value.Length > 32)
        {
            return $"SSLCIPH '{value}' is longer than 32 characters";
        }

        return Find(value) switch
        {
            null => $"SSLCIPH '{value}' is not a CipherSpec ActorQm knows (see the catalogue, or use an alias such as ANY_TLS12_OR_HIGHER)",
            { Deprecated: true } d => $"CipherSpec {d.Name} is deprecated ({Describe(d.Protocol)}) and refused",
            _ => null,
        };
    }

    /// <summary>
    /// What an SSLCIPH value allows at an end where TLS 1.3 is or is not enabled. Null when nothing
    /// is left (e.g. ANY_TLS13 with TLS 1.3 disabled): the channel cannot start (AMQ9635).
    /// </summary>
    public static CipherSpecSelection? Select(string value, bool allowTls13 = true)
    {
        if (DefinitionError(value) is not null || value.Length == 0)
        {
            return null;
        }

        var enabled = allowTls13 ? Tls12 | Tls13 : Tls12;
        if (Aliases.TryGetValue(value, out var protocols))
        {
            var left = protocols & enabled;
            return left == SslProtocols.None ? null : new CipherSpecSelection(value.ToUpperInvariant(), left, null);
        }

        var spec = Find(value)!;
        return enabled.HasFlag(spec.Protocol) ? new CipherSpecSelection(spec.Name, spec.Protocol, spec) : null;
    }

    /// <summary>The MQ name of a negotiated suite, for channel status and messages.</summary>
    public static string NameOf(TlsCipherSuite suite, SslProtocols protocol) =>
        All.FirstOrDefault(c => c.Suite == suite && c.Protocol == protocol && !c.Deprecated)?.Name ?? suite.ToString();

    /// <summary>The .NET policy that restricts a handshake to <paramref name="specs"/>.</summary>
    public static CipherSuitesPolicy Policy(IEnumerable<CipherSpec> specs)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Restricting TLS cipher suites per connection needs OpenSSL (Linux) or Apple TLS.");
        }

        return new CipherSuitesPolicy(specs.Select(s => s.Suite));
    }

    private static string Describe(SslProtocols protocol) => protocol switch
    {
        Tls12 => "TLS 1.2 with a broken or no cipher",
        Tls10 => "TLS 1.0",
        _ => "SSL 3.0",
    };
}
