using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

/// <summary>Key repositories written by the test into its own folder from certificates minted for it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyRepositorySpec : IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Root();
    private static readonly TestPki.Issued Ca = TestPki.Intermediate(Root);
    private readonly TempDirectory _dir = new();

    private string Repository(string password = "s3cret")
    {
        var path = Path.Combine(_dir.Path, "key");
        Directory.CreateDirectory(Path.Combine(path, "personal"));
        Directory.CreateDirectory(Path.Combine(path, "trusted"));
        File.WriteAllText(Path.Combine(path, "trusted", "root.pem"), Root.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(path, "trusted", "ca.pem"), Ca.Certificate.ExportCertificatePem());

        var qm1 = TestPki.Leaf(Ca, "CN=QM1");
        File.WriteAllBytes(Path.Combine(path, "personal", "ibmwebspheremqqm1.p12"), qm1.Certificate.CopyWithPrivateKey(qm1.Key).Export(X509ContentType.Pkcs12, password));

        var app = TestPki.Leaf(Ca, "CN=app1");
        File.WriteAllText(Path.Combine(path, "personal", "app1.pem"), app.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(path, "personal", "app1.key"), app.Key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)));
        return path;
    }

    private static void Stash(string path, string password, UnixFileMode mode)
    {
        File.WriteAllText(path + ".sth", password + "\n");
        File.SetUnixFileMode(path + ".sth", mode);
    }

    [Fact]
    public void KeyRepository_must_load_labelled_certificates_with_keys_and_the_trusted_CAs()
    {
        var path = Repository();
        Stash(path, "s3cret", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var repository = KeyRepository.Open(path);
        var qm1 = repository.Credentials(KeyRepository.DefaultQueueManagerLabel("QM1"));
        var app = repository.Credentials("app1");

        Assert.Equal(["app1", "ibmwebspheremqqm1"], repository.Labels.Order());
        Assert.True(qm1.Certificate!.HasPrivateKey);
        Assert.True(app.Certificate!.HasPrivateKey);
        Assert.Equal(Ca.Certificate.Thumbprint, Assert.Single(qm1.CertificateChain).Thumbprint);
        Assert.Equal(Root.Certificate.Thumbprint, Assert.Single(repository.TrustAnchors).Thumbprint);
        Assert.Equal(Ca.Certificate.Thumbprint, Assert.Single(repository.Intermediates).Thumbprint);
    }

    [Fact]
    public void KeyRepository_must_refuse_a_wrong_password_a_world_readable_stash_and_an_unknown_label()
    {
        var path = Repository();

        var wrong = Assert.Throws<KeyRepositoryException>(() => KeyRepository.Open(path, "guess"));
        Stash(path, "s3cret", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var exposed = Assert.Throws<KeyRepositoryException>(() => KeyRepository.Open(path));
        var missing = Assert.Throws<KeyRepositoryException>(() => KeyRepository.Open(path, "s3cret").Credentials("nope"));

        Assert.Equal("AMQ9660E", wrong.Code);
        Assert.DoesNotContain("guess", wrong.Message, StringComparison.Ordinal);
        Assert.Equal("AMQ9660E", exposed.Code);
        Assert.Equal("AMQ9642E", missing.Code);
        Assert.Contains("ibmwebspheremqqm1", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyRepository_must_warn_of_certificates_about_to_expire()
    {
        var path = Repository();
        var soon = TestPki.Leaf(Ca, "CN=SOON", notAfter: TestPki.Now.AddDays(3));
        File.WriteAllBytes(Path.Combine(path, "personal", "soon.p12"), soon.Certificate.CopyWithPrivateKey(soon.Key).Export(X509ContentType.Pkcs12, "s3cret"));

        var warnings = KeyRepository.Open(path, "s3cret").ExpiryWarnings(DateTimeOffset.UtcNow, TimeSpan.FromDays(30)).ToList();

        var warning = Assert.Single(warnings);
        Assert.StartsWith("AMQ9714W: personal certificate 'soon'", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyRepository_must_refuse_a_missing_folder_or_one_that_trusts_nothing()
    {
        Assert.Equal("AMQ9657E", Assert.Throws<KeyRepositoryException>(() => KeyRepository.Open(Path.Combine(_dir.Path, "none"))).Code);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "empty"));
        Assert.Equal("AMQ9657E", Assert.Throws<KeyRepositoryException>(() => KeyRepository.Open(Path.Combine(_dir.Path, "empty"))).Code);
    }

    public void Dispose() => _dir.Dispose();
}
