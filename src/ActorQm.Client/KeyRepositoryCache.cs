using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ActorQm.Tls;

namespace ActorQm.Client;

/// <summary>
/// Opening a key repository decrypts its PKCS#12 files (some 8-10 ms here, more than the TLS handshake itself), so
/// connections of one process share the repository they name for as long as its files stay as they were: every connect
/// compares the names, sizes, times and modes of the files (and the password variable) with those it was read from,
/// and reads it again when any changed. A replaced certificate is used from the next connection on, as before.
/// </summary>
internal static class KeyRepositoryCache
{
    private const int MaxRepositories = 16;
    private static readonly ConcurrentDictionary<string, (string Fingerprint, KeyRepository Repository)> Opened = new(StringComparer.Ordinal);

    public static KeyRepository Open(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var fingerprint = Fingerprint(full);
        if (fingerprint is not null && Opened.TryGetValue(full, out var cached) && cached.Fingerprint == fingerprint)
        {
            return cached.Repository;
        }

        var repository = KeyRepository.Open(path);
        if (fingerprint is not null)
        {
            if (Opened.Count >= MaxRepositories)
            {
                Opened.Clear();
            }

            Opened[full] = (fingerprint, repository);
        }

        return repository;
    }

    /// <summary>What the repository was read from, as one hash; null when it cannot be listed (then it is opened every time, with its own error).</summary>
    private static string? Fingerprint(string path)
    {
        try
        {
            var text = new StringBuilder();
            var stash = path + ".sth";
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Append(stash))
            {
                var info = new FileInfo(file);
                text.Append(file).Append('|');
                if (info.Exists)
                {
                    text.Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('|').Append(OperatingSystem.IsWindows() ? 0 : (int)info.UnixFileMode);
                }

                text.Append('\n');
            }

            text.Append(Environment.GetEnvironmentVariable(KeyRepository.PasswordVariable) ?? "\0");
            return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
