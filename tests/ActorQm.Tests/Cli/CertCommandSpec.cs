using System.Security.Cryptography.X509Certificates;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Cli;

/// <summary>
/// Every option of <c>actorqm cert verify</c> that CliSpec does not use, each a real process: the
/// revocation sources (a real `openssl ocsp` responder, CRLs over loopback HTTP), the policy for an
/// undeterminable status, the validation time, the peer's role and the depth bound.
/// </summary>
public sealed class CertCommandSpec : IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Root("CLI Root");
    private readonly TempDirectory _dir = new();
    private readonly OpenSslOcspResponder _responder = new(Root, Root);
    private readonly LoopbackHttp _crls = new();

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var cli = new ChildProcess("ActorQm.Cli.dll", args);
        cli.StandardInput.Close();
        var exit = cli.WaitForExit(TimeSpan.FromMinutes(1));
        return (exit, string.Join('\n', cli.Drain([])), cli.StandardError);
    }

    private string Pem(X509Certificate2 certificate)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    private (int Exit, string Output, string Error) Verify(TestPki.Issued peer, params string[] args) =>
        Run(["cert", "verify", "--trust", Pem(Root.Certificate), "--peer", Pem(peer.Certificate), .. args]);

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/ocsp")]
    [InlineData("/ocsp")]
    public void Cert_verify_must_refuse_an_ocsp_value_that_is_not_an_http_URL_with_exit_20_and_one_line(string url)
    {
        var (exit, _, error) = Verify(TestPki.Leaf(Root), "--ocsp", url);

        Assert.Equal(20, exit);
        Assert.Equal($"actorqm: --ocsp '{url}' is not an http URL of an OCSP responder (as AUTHINFO OCSPURL)", error);
    }

    [Fact]
    public void Cert_verify_must_ask_the_responder_given_by_ocsp_or_named_in_the_AIA_with_ocsp_aia()
    {
        var good = TestPki.Leaf(Root);
        var revoked = TestPki.Leaf(Root);
        var named = TestPki.Leaf(Root, extensions: [new X509AuthorityInformationAccessExtension([_responder.Url.ToString()], null)]);
        _responder.Good(good.Certificate);
        _responder.Revoked(revoked.Certificate);
        _responder.Revoked(named.Certificate);
        var url = _responder.Url.ToString();

        var (goodExit, goodOut, goodErr) = Verify(good, "--ocsp", url);
        var (revokedExit, _, revokedErr) = Verify(revoked, "--ocsp", url);
        var (namedExit, _, namedErr) = Verify(named, "--ocsp-aia");

        Assert.True(goodExit == 0, goodErr);
        Assert.Contains("revocation: Good", goodOut, StringComparison.Ordinal);
        Assert.Equal(2, revokedExit);
        Assert.Contains("revocation Revoked", revokedErr, StringComparison.Ordinal);
        Assert.Equal(2, namedExit);
        Assert.Contains("revocation Revoked", namedErr, StringComparison.Ordinal);
        Assert.Equal(3, _responder.Requests);
    }

    [Fact]
    public void Cert_verify_must_apply_unknown_to_a_status_nobody_can_give()
    {
        var stranger = TestPki.Leaf(Root);
        var url = _responder.Url.ToString();

        var (requiredExit, _, requiredErr) = Verify(stranger, "--ocsp", url);
        var (warnExit, warnOut, warnErr) = Verify(stranger, "--ocsp", url, "--unknown", "warn");
        var (badExit, _, badErr) = Verify(stranger, "--ocsp", url, "--unknown", "maybe");

        Assert.Equal(2, requiredExit);
        Assert.Contains("revocation Unknown", requiredErr, StringComparison.Ordinal);
        Assert.True(warnExit == 0, warnErr);
        Assert.Contains("revocation: Unknown", warnOut, StringComparison.Ordinal);
        Assert.Equal(20, badExit);
        Assert.Contains("--unknown must be", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Cert_verify_must_fetch_the_CRL_a_certificate_names_with_crl_cdp()
    {
        var url = _crls.Url("/root.crl").ToString();
        var leaf = TestPki.Leaf(Root, extensions: [CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url])]);
        _crls.Serve("/root.crl", TestPki.Crl(Root, [leaf.Certificate]));

        var (withoutExit, _, _) = Verify(leaf);
        var (cdpExit, _, cdpErr) = Verify(leaf, "--crl-cdp");

        Assert.Equal(0, withoutExit);
        Assert.Equal(2, cdpExit);
        Assert.Contains("revocation Revoked", cdpErr, StringComparison.Ordinal);
        Assert.Equal(1, _crls.Requests);
    }

    [Fact]
    public void Cert_verify_must_validate_at_time_for_the_usage_and_within_max_depth()
    {
        var lapsed = TestPki.Leaf(Root, notBefore: TestPki.Now.AddDays(-10), notAfter: TestPki.Now.AddDays(-2));
        var serverOnly = TestPki.Leaf(Root, client: false);
        var intermediate = TestPki.Intermediate(Root);
        var deep = TestPki.Leaf(intermediate);

        var (thenExit, thenOut, thenErr) = Verify(lapsed, "--time", TestPki.Now.AddDays(-5).ToString("O"));
        var (badTimeExit, _, badTimeErr) = Verify(lapsed, "--time", "yesterday");
        var (clientExit, _, clientErr) = Verify(serverOnly, "--usage", "client");
        var (depthExit, _, depthErr) = Verify(deep, "--untrusted", Pem(intermediate.Certificate), "--max-depth", "0", "--json");
        var (okDepthExit, _, _) = Verify(deep, "--untrusted", Pem(intermediate.Certificate), "--max-depth", "1");

        Assert.True(thenExit == 0, thenErr);
        Assert.Contains(": OK", thenOut, StringComparison.Ordinal);
        Assert.Equal(20, badTimeExit);
        Assert.Contains("not an RFC 3339 time", badTimeErr, StringComparison.Ordinal);
        Assert.Equal(2, clientExit);
        Assert.Contains("refused at", clientErr, StringComparison.Ordinal);
        Assert.True(depthExit == 2, depthErr);
        Assert.Equal(0, okDepthExit);
    }

    public void Dispose()
    {
        _responder.Dispose();
        _crls.Dispose();
        _dir.Dispose();
    }
}
