using System.Security.Cryptography.X509Certificates;
using ActorQm.Client;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Client;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyRepositoryCacheSpec : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void KeyRepositoryCache_must_share_a_repository_until_one_of_its_files_changes()
    {
        var path = QueueManagerPair.KeyRepository(_dir, "appkey", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        var first = KeyRepositoryCache.Open(path);
        Assert.Same(first, KeyRepositoryCache.Open(path));
        Assert.Same(first, KeyRepositoryCache.Open(path + "/"));

        // A renewed certificate is used from the next connection on.
        var renewed = TestPki.Leaf(TestPki.Shared.Ca, "CN=APP2,O=Example").WithKey();
        File.WriteAllBytes(Path.Combine(path, "personal", "app.p12"), renewed.Export(X509ContentType.Pkcs12, "pw"));
        var second = KeyRepositoryCache.Open(path);
        Assert.NotSame(first, second);
        Assert.Equal("CN=APP2, O=Example", second.Credentials("app").Certificate!.Subject);

        // A new trusted file counts too.
        File.WriteAllText(Path.Combine(path, "trusted", "extra.pem"), TestPki.Shared.Root.Certificate.ExportCertificatePem());
        Assert.NotSame(second, KeyRepositoryCache.Open(path));
    }

    [Fact]
    public void KeyRepositoryCache_must_check_the_stash_again_when_its_mode_changes()
    {
        var path = QueueManagerPair.KeyRepository(_dir, "appkey2", "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        KeyRepositoryCache.Open(path);

        // Only the mode changes (not the contents nor the time): a stash others may read is refused, as at the first open.
        File.SetUnixFileMode(path + ".sth", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var refused = Assert.Throws<KeyRepositoryException>(() => KeyRepositoryCache.Open(path));
        Assert.Contains(".sth", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
