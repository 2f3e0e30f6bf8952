using ActorQm.Tests.Support;
using ActorQm.Tls;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Ocsp;
using static ActorQm.Tests.Support.OcspAnswers;

namespace ActorQm.Tests.Tls;

/// <summary>
/// OcspClient against what a hostile or unusual responder sends over loopback HTTP: answers signed by the test's CA
/// (BouncyCastle) that contradict themselves, carry no nonce or another one, are signed by a delegated responder at
/// another time, and raw HTTP answers (redirects, oversized and dripping bodies). See docs/tls.md, "Revocation".
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class OcspClientSpec : IDisposable
{
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly List<IDisposable> _disposables = new();

    private LoopbackHttp Http(Func<byte[], byte[]>? handler = null)
    {
        var http = new LoopbackHttp { Handler = handler };
        _disposables.Add(http);
        return http;
    }

    private static Task<RevocationAnswer> Ask(OcspClient client, LoopbackHttp http, TestPki.Issued leaf, DateTimeOffset? now = null, TimeSpan? timeout = null, bool fresh = false) =>
        Ask(client, http.Url("/ocsp"), leaf, now, timeout, fresh);

    private static Task<RevocationAnswer> Ask(OcspClient client, Uri responder, TestPki.Issued leaf, DateTimeOffset? now = null, TimeSpan? timeout = null, bool fresh = false) =>
        client.CheckAsync(responder, leaf.Certificate, Ca.Certificate, now ?? DateTimeOffset.UtcNow, timeout ?? Timeout, CancellationToken.None, fresh);

    private static byte[] Current(byte[] request, IEnumerable<Entry> singles, Nonce nonce = Nonce.Echo) =>
        Signed(request, Ca, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddHours(1), singles, nonce);

    /// <summary>Each token one SingleResponse: good, revoked or unknown, for our certificate or (other-) for another serial of the issuer.</summary>
    private static IEnumerable<Entry> Singles(string tokens) =>
        tokens.Split(',').Select(t => new Entry(
            t.EndsWith("good", StringComparison.Ordinal) ? CertificateStatus.Good : t.EndsWith("revoked", StringComparison.Ordinal) ? OcspAnswers.Revoked : OcspAnswers.Unknown,
            t.StartsWith("other-", StringComparison.Ordinal) ? new Org.BouncyCastle.Math.BigInteger("123456789") : null));

    [Theory]
    [InlineData("good,revoked", RevocationStatus.Revoked)]
    [InlineData("revoked,good", RevocationStatus.Revoked)]
    [InlineData("good,unknown", RevocationStatus.Unknown)]
    [InlineData("unknown,good", RevocationStatus.Unknown)]
    [InlineData("good,good", RevocationStatus.Good)]
    [InlineData("other-revoked,good", RevocationStatus.Good)]
    [InlineData("good,other-revoked", RevocationStatus.Good)]
    [InlineData("other-good", RevocationStatus.Unknown)]
    public async Task OcspClient_must_read_every_SingleResponse_for_the_certificate_and_never_call_a_contradiction_good(string singles, RevocationStatus expected)
    {
        var leaf = TestPki.Leaf(Ca, "CN=TWICE");

        var answer = await Ask(new OcspClient(), Http(request => Current(request, Singles(singles))), leaf);

        Assert.Equal(expected, answer.Status);
    }

    [Fact]
    public async Task OcspClient_must_give_unknown_for_an_answer_over_its_cap_without_buffering_it()
    {
        var http = Http();
        http.Raw = async (_, stream, cancel) =>
        {
            await LoopbackHttp.Oversized(64L << 20)(stream, cancel);
            return true;
        };
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = DateTime.UtcNow;

        var answer = await Ask(new OcspClient(), http, TestPki.Leaf(Ca, "CN=OVERSIZED"));

        var grown = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("tls.ocsp-max-bytes", answer.Detail, StringComparison.Ordinal);
        // Process-wide, measured alone (MeasuredAlone): buffering the answer would allocate 64 MiB and more.
        Assert.True(grown < 32L << 20, $"reading a 64 MiB answer allocated {grown >> 20} MiB");
        Assert.True(DateTime.UtcNow - started < Timeout, "the oversized answer was read to its end");
    }

    [Fact]
    public async Task OcspClient_must_give_up_on_an_answer_that_drips_past_the_timeout()
    {
        var http = Http();
        http.Raw = async (_, stream, cancel) =>
        {
            await LoopbackHttp.Drip(TimeSpan.FromMilliseconds(100))(stream, cancel);
            return true;
        };
        var started = DateTime.UtcNow;

        var answer = await Ask(new OcspClient(), http, TestPki.Leaf(Ca, "CN=DRIP"), timeout: TimeSpan.FromSeconds(1));

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("no answer within", answer.Detail, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), $"took {DateTime.UtcNow - started}");
    }

    [Theory]
    [InlineData(307)]
    [InlineData(302)]
    public async Task OcspClient_must_not_follow_a_redirect(int status)
    {
        var elsewhere = Http(request => Current(request, [new Entry(CertificateStatus.Good)]));
        var http = Http();
        http.Raw = async (_, stream, cancel) =>
        {
            await LoopbackHttp.Redirect(elsewhere.Url("/ocsp"), status)(stream, cancel);
            return true;
        };

        var answer = await Ask(new OcspClient(), http, TestPki.Leaf(Ca, "CN=REDIRECTED"));

        Assert.Equal(RevocationStatus.Unknown, answer.Status);
        Assert.Contains("redirect", answer.Detail, StringComparison.Ordinal);
        Assert.Equal(0, elsewhere.Requests);
    }

    [Theory]
    [InlineData(-8, -2, RevocationStatus.Good)]
    [InlineData(-1, 30, RevocationStatus.Unknown)]
    public async Task OcspClient_must_judge_a_delegated_responder_at_the_validation_time_not_the_wall_clock(int notBeforeDays, int notAfterDays, RevocationStatus expected)
    {
        var then = DateTimeOffset.UtcNow.AddDays(-5);
        var signer = TestPki.Leaf(Ca, "CN=OCSP.SIGNER", server: false, client: false, ocspSigning: true,
            notBefore: DateTimeOffset.UtcNow.AddDays(notBeforeDays), notAfter: DateTimeOffset.UtcNow.AddDays(notAfterDays));
        var http = Http(request => Signed(request, signer, then.UtcDateTime.AddMinutes(-1), then.UtcDateTime.AddHours(1), [new Entry(CertificateStatus.Good)],
            producedAt: then.UtcDateTime, delegated: true));

        var answer = await Ask(new OcspClient(), http, TestPki.Leaf(Ca, "CN=CHECKED.THEN"), now: then);

        Assert.Equal(expected, answer.Status);
    }

    [Fact]
    public async Task OcspClient_must_send_one_request_for_concurrent_checks_of_one_certificate()
    {
        using var gate = new ManualResetEventSlim();
        var http = Http(request =>
        {
            gate.Wait(TimeSpan.FromSeconds(10));
            return Current(request, [new Entry(CertificateStatus.Good)]);
        });
        var client = new OcspClient();
        var leaf = TestPki.Leaf(Ca, "CN=POPULAR");

        var checks = Enumerable.Range(0, 20).Select(i => Ask(client, http, leaf, fresh: i % 2 == 0)).ToList();
        gate.Set();
        var answers = await Task.WhenAll(checks);

        Assert.All(answers, a => Assert.Equal(RevocationStatus.Good, a.Status));
        Assert.Equal(1, http.Requests);
    }

    [Fact]
    public async Task OcspClient_must_accept_a_fresh_answer_without_a_nonce_by_default_and_refuse_an_old_one()
    {
        var leaf = TestPki.Leaf(Ca, "CN=PRE.PRODUCED");
        var fresh = Http(request => Current(request, [new Entry(CertificateStatus.Good)], Nonce.None));
        var old = Http(request => Signed(request, Ca, DateTime.UtcNow.AddHours(-3), DateTime.UtcNow.AddDays(3), [new Entry(CertificateStatus.Good)], Nonce.None,
            producedAt: DateTime.UtcNow.AddHours(-3)));

        Assert.Equal(RevocationStatus.Good, (await Ask(new OcspClient(), fresh, leaf)).Status);
        var refused = await Ask(new OcspClient(), old, leaf);
        Assert.Equal(RevocationStatus.Unknown, refused.Status);
        Assert.Contains("tls.ocsp-nonce-less-max-age", refused.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OcspNonce.Required, "Echo", -1, RevocationStatus.Good)]
    [InlineData(OcspNonce.Required, "None", -1, RevocationStatus.Unknown)]
    [InlineData(OcspNonce.Required, "Other", -1, RevocationStatus.Unknown)]
    [InlineData(OcspNonce.Preferred, "Echo", -180, RevocationStatus.Good)]
    [InlineData(OcspNonce.Preferred, "None", -1, RevocationStatus.Good)]
    [InlineData(OcspNonce.Preferred, "None", -180, RevocationStatus.Unknown)]
    [InlineData(OcspNonce.Preferred, "Other", -1, RevocationStatus.Unknown)]
    [InlineData(OcspNonce.Off, "None", -1, RevocationStatus.Good)]
    [InlineData(OcspNonce.Off, "None", -180, RevocationStatus.Unknown)]
    [InlineData(OcspNonce.Off, "Other", -1, RevocationStatus.Good)]
    [InlineData(OcspNonce.Off, "Other", -180, RevocationStatus.Unknown)]
    public async Task OcspClient_must_believe_an_answer_only_as_its_nonce_setting_says(OcspNonce mode, string nonce, int producedMinutesAgo, RevocationStatus expected)
    {
        var produced = DateTime.UtcNow.AddMinutes(producedMinutesAgo);
        bool? sentNonce = null;
        var http = Http(request =>
        {
            sentNonce = new OcspReq(request).GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is not null;
            return Signed(request, Ca, produced, DateTime.UtcNow.AddDays(1), [IsGood], Enum.Parse<Nonce>(nonce), producedAt: produced);
        });

        var answer = await Ask(new OcspClient { Nonce = mode }, http, TestPki.Leaf(Ca, "CN=NONCE." + mode));

        Assert.Equal(expected, answer.Status);
        Assert.Equal(mode != OcspNonce.Off, sentNonce);
    }

    [Fact]
    public async Task OcspClient_without_a_nonce_less_max_age_must_believe_an_answer_until_its_nextUpdate()
    {
        var http = Http(request => Signed(request, Ca, DateTime.UtcNow.AddDays(-3), DateTime.UtcNow.AddDays(1), [new Entry(CertificateStatus.Good)], Nonce.None,
            producedAt: DateTime.UtcNow.AddDays(-3)));

        Assert.Equal(RevocationStatus.Good, (await Ask(new OcspClient { Nonce = OcspNonce.Off, NonceLessMaxAge = null }, http, TestPki.Leaf(Ca, "CN=PRE.PRODUCED"))).Status);
    }

    [Theory]
    [InlineData("Echo", 1)]
    [InlineData("None", 2)]
    public async Task OcspClient_must_cache_an_answer_without_our_nonce_no_longer_than_it_is_believed(string nonce, int requests)
    {
        var produced = DateTime.UtcNow.AddMinutes(-30);
        var http = Http(request => Signed(request, Ca, produced, DateTime.UtcNow.AddDays(1), [IsGood], Enum.Parse<Nonce>(nonce), producedAt: produced));
        var client = new OcspClient();
        var leaf = TestPki.Leaf(Ca, "CN=CACHED." + nonce);
        Assert.Equal(RevocationStatus.Good, (await Ask(client, http, leaf)).Status);

        // Two hours on, a nonce-less answer produced 30 minutes before the first check is past tls.ocsp-nonce-less-max-age.
        await Ask(client, http, leaf, now: DateTimeOffset.UtcNow.AddHours(2));

        Assert.Equal(requests, http.Requests);
    }

    [Fact]
    public async Task OcspClient_must_ask_the_responder_on_a_fresh_check_and_keep_its_answer()
    {
        using var responder = new OpenSslOcspResponder(Ca, Ca);
        var leaf = TestPki.Leaf(Ca, "CN=REVOKED.MEANWHILE");
        responder.Good(leaf.Certificate);
        var client = new OcspClient();
        Assert.Equal(RevocationStatus.Good, (await Ask(client, responder.Url, leaf)).Status);

        responder.Revoked(leaf.Certificate);

        Assert.Equal(RevocationStatus.Good, (await Ask(client, responder.Url, leaf)).Status);
        Assert.Equal(1, responder.Requests);
        Assert.Equal(RevocationStatus.Revoked, (await Ask(client, responder.Url, leaf, fresh: true)).Status);
        Assert.Equal(2, responder.Requests);
        var cached = await Ask(client, responder.Url, leaf);
        Assert.Equal(RevocationStatus.Revoked, cached.Status);
        Assert.Contains("(cached)", cached.Source, StringComparison.Ordinal);
    }

    public void Dispose() => _disposables.ForEach(d => d.Dispose());
}
