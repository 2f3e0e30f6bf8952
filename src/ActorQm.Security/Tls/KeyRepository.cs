using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>A key repository that cannot be used: missing, unreadable, wrong password, or no such label.</summary>
public sealed class KeyRepositoryException(string code, string message) : Exception($"{code}: {message}")
{
    public string Code { get; } = code;
}

/// <summary>
/// A queue manager's (or client's) key repository, SSLKEYR: a folder holding personal
/// certificates with their private keys, one file per label (<c>personal/LABEL.p12</c>, or
/// <c>personal/LABEL.pem</c> with the key in it or beside it as <c>LABEL.key</c>), and the CA
/// certificates it trusts (<c>trusted/*.pem|*.crt|*.cer</c>, roots and intermediates). The
/// password of PKCS#12 files and encrypted keys comes from the stash file <c>SSLKEYR.sth</c> or
/// the environment variable <c>ACTORQM_KEYR_PASSWORD</c>; it is never logged.
/// </summary>
public sealed class KeyRepository
{
    public const string PasswordVariable = "ACTORQM_KEYR_PASSWORD";

    private readonly Dictionary<string, X509Certificate2> _personal;

    private KeyRepository(string path, Dictionary<string, X509Certificate2> personal, List<X509Certificate2> trusted)
    {
        Path = path;
        _personal = personal;
        TrustAnchors = trusted.Where(c => c.IsSelfIssued()).ToList();
        Intermediates = trusted.Where(c => !c.IsSelfIssued()).ToList();
    }

    public string Path { get; }

    public IReadOnlyCollection<string> Labels => _personal.Keys;

    public IReadOnlyList<X509Certificate2> TrustAnchors { get; }

    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>The chain validations of peers under this repository's trust, shared by all its credentials: a repository read again starts empty.</summary>
    internal ValidatedChainCache ValidatedChains { get; } = new();

    /// <summary>MQ's default label of a queue manager's certificate: ibmwebspheremq + name in lower case.</summary>
    public static string DefaultQueueManagerLabel(string qmgrName) => "ibmwebspheremq" + qmgrName.ToLowerInvariant();

    /// <summary>MQ's default label of a client's certificate: ibmwebspheremq + user id in lower case.</summary>
    public static string DefaultClientLabel(string userId) => "ibmwebspheremq" + userId.ToLowerInvariant();

    public static KeyRepository Open(string path, string? password = null)
    {
        if (!Directory.Exists(path))
        {
            throw new KeyRepositoryException("AMQ9657E", $"key repository {path} could not be opened: no such folder");
        }

        password ??= Environment.GetEnvironmentVariable(PasswordVariable) ?? ReadStash(path);
        var personal = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        var personalDir = System.IO.Path.Combine(path, "personal");
        if (Directory.Exists(personalDir))
        {
            foreach (var file in Directory.EnumerateFiles(personalDir).Order(StringComparer.Ordinal))
            {
                var label = System.IO.Path.GetFileNameWithoutExtension(file);
                switch (System.IO.Path.GetExtension(file).ToLowerInvariant())
                {
                    case ".p12" or ".pfx":
                        personal[label] = LoadPkcs12(file, password);
                        break;
                    case ".pem" or ".crt":
                        personal[label] = LoadPem(file, password);
                        break;
                }
            }
        }

        var trusted = new List<X509Certificate2>();
        var trustedDir = System.IO.Path.Combine(path, "trusted");
        if (Directory.Exists(trustedDir))
        {
            foreach (var file in Directory.EnumerateFiles(trustedDir).Where(f => f.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".crt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".cer", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
            {
                var collection = new X509Certificate2Collection();
                try
                {
                    collection.ImportFromPemFile(file);
                }
                catch (CryptographicException e)
                {
                    throw new KeyRepositoryException("AMQ9666E", $"trusted certificate file {file} could not be read: {e.Message}");
                }

                trusted.AddRange(collection);
            }
        }

        if (trusted.Count == 0)
        {
            throw new KeyRepositoryException("AMQ9657E", $"key repository {path} trusts no CA certificate (trusted/ is empty)");
        }

        return new KeyRepository(path, personal, trusted);
    }

    /// <summary>The certificate of <paramref name="label"/> with the intermediates that lead from it to a trusted root.</summary>
    public TlsCredentials Credentials(string? label)
    {
        X509Certificate2? own = null;
        if (label is not null && !_personal.TryGetValue(label, out own))
        {
            throw new KeyRepositoryException("AMQ9642E", $"no personal certificate labelled '{label}' in key repository {Path} (labels: {string.Join(", ", _personal.Keys)})");
        }

        return new TlsCredentials(own, own is null ? [] : ChainOf(own), TrustAnchors, Intermediates) { ValidatedChains = ValidatedChains };
    }

    /// <summary>Beyond MQ: a warning for every personal certificate that expires within <paramref name="ahead"/> (or has expired).</summary>
    public IEnumerable<string> ExpiryWarnings(DateTimeOffset now, TimeSpan ahead) =>
        _personal.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Where(p => new DateTimeOffset(p.Value.NotAfter.ToUniversalTime()) <= now + ahead)
            .Select(p => new DateTimeOffset(p.Value.NotAfter.ToUniversalTime()) <= now
                ? $"AMQ9715E: personal certificate '{p.Key}' ({p.Value.Subject}) in {Path} expired at {p.Value.NotAfter.ToUniversalTime():u}."
                : $"AMQ9714W: personal certificate '{p.Key}' ({p.Value.Subject}) in {Path} expires at {p.Value.NotAfter.ToUniversalTime():u}.");

    /// <summary>Credentials for a peer that presents no certificate of its own (a client without one).</summary>
    public TlsCredentials TrustOnly() => new(null, [], TrustAnchors, Intermediates) { ValidatedChains = ValidatedChains };

    private List<X509Certificate2> ChainOf(X509Certificate2 leaf)
    {
        var chain = new List<X509Certificate2>();
        var current = leaf;
        while (!current.IsSelfIssued() && chain.Count < 8)
        {
            // An intermediate filed among the trusted certificates (as MQ key repositories often have it) still belongs in the chain we send.
            var issuer = Intermediates.Concat(TrustAnchors).FirstOrDefault(c => !c.IsSelfIssued() && c.IsNamedIssuerOf(current));
            if (issuer is null)
            {
                break;
            }

            chain.Add(issuer);
            current = issuer;
        }

        return chain;
    }

    private static string? ReadStash(string path)
    {
        var stash = path.TrimEnd('/') + ".sth";
        if (!File.Exists(stash))
        {
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(stash) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0)
        {
            throw new KeyRepositoryException("AMQ9660E", $"stash file {stash} is readable by other users; restrict it to its owner (chmod 600)");
        }

        return File.ReadAllText(stash).TrimEnd('\r', '\n');
    }

    private static X509Certificate2 LoadPkcs12(string file, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(file, password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            // The message of a failed decryption can echo nothing secret, but keep it generic anyway.
            throw new KeyRepositoryException("AMQ9660E", $"{file} could not be opened with the key repository password (stash file or {PasswordVariable})");
        }
    }

    private static X509Certificate2 LoadPem(string file, string? password)
    {
        var keyFile = System.IO.Path.ChangeExtension(file, ".key");
        var keyPath = File.Exists(keyFile) ? keyFile : file;
        var encrypted = File.ReadAllText(keyPath).Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
        try
        {
            var cert = encrypted
                ? X509Certificate2.CreateFromEncryptedPemFile(file, password ?? throw new KeyRepositoryException("AMQ9660E", $"{keyPath} is encrypted and no password is available"), keyPath == file ? null : keyPath)
                : X509Certificate2.CreateFromPemFile(file, keyPath == file ? null : keyPath);
            // Through PKCS#12 so the key is usable by the TLS layer on every platform.
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException) when (encrypted)
        {
            throw new KeyRepositoryException("AMQ9660E", $"{keyPath} could not be decrypted with the key repository password (stash file or {PasswordVariable})");
        }
        catch (CryptographicException e)
        {
            throw new KeyRepositoryException("AMQ9666E", $"personal certificate {file} or its key could not be read: {e.Message}");
        }
    }
}
