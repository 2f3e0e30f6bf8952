using System.Security.Cryptography.X509Certificates;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Tests.Support;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>The hostile-peer matrix's OCSP responders: how they answer for the attacker's leaf, and a peer revoked while connected.</summary>
public sealed partial class HostilePeerMatrixSpec
{
    /// <summary>How the attacker's leaf stands with a real OCSP responder (the good client's leaf is always GOOD there).</summary>
    public enum Ocsp
    {
        None,

        /// <summary>Revoked; OCSPAuthentication OPTIONAL, CRLs as usual.</summary>
        Revoked,

        /// <summary>Unknown to the responder, with no CRL for its issuer: OCSPAuthentication REQUIRED must refuse it.</summary>
        Unknown,

        /// <summary>GOOD, signed by an OCSP-signing key of another CA (REQUIRED, no CRL for its issuer).</summary>
        ImpostorSigned,

        /// <summary>GOOD, signed by the issuer with the request's nonce, but its nextUpdate is a day past (REQUIRED, no CRL).</summary>
        Stale,

        /// <summary>Revoked now; the responder replays the GOOD answer it gave before (REQUIRED, no CRL).</summary>
        ReplayedGood,

        /// <summary>Revoked on the CA's CRL; the responder answers with a malformed response the fuzzer found (OPTIONAL).</summary>
        Malformed,

        /// <summary>Revoked; the responder's signed answer lists the leaf twice, GOOD then REVOKED (REQUIRED, no CRL).</summary>
        Contradictory,

        /// <summary>Revoked; the responder answers a signed GOOD padded to 1 MiB, past tls.ocsp-max-bytes (REQUIRED, no CRL).</summary>
        Oversized,

        /// <summary>Revoked; the responder redirects (307) to another responder of the CA that answers GOOD (REQUIRED, no CRL).</summary>
        Redirected,

        /// <summary>Revoked; the responder replays a signed GOOD without a nonce produced 3 hours ago, nextUpdate tomorrow (REQUIRED, no CRL).</summary>
        NonceLessStale,

        /// <summary>GOOD (answers valid for minutes) until the test revokes it at the responder while it is connected (REQUIRED, no CRL).</summary>
        GoodUntilRevoked,
    }

    /// <summary>
    /// Class 11 of issue 15: a client revoked at the OCSP responder while connected is cut off by the queue manager's next
    /// re-check, though the answer it got at the handshake is cached for minutes: the re-check asks the responder.
    /// </summary>
    [Fact]
    public async Task Peer_revoked_at_the_responder_while_connected_must_be_cut_off_within_about_one_recheck()
    {
        var leaf = TestPki.Leaf(Ca, App);
        var attack = Client(leaf) with { Ocsp = Ocsp.GoodUntilRevoked };
        var (qm, port) = await StartQueueManager(attack, recheck: "500ms");
        var warnings = CreateTestProbe("warnings");
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.LogEvent));
        await using var client = await MqClient.ConnectAsync(Options(port, attack));
        await client.PutAsync("APP.IN", Text("while good", Persistence.Persistent));
        var responder = _responders[0];
        var asked = responder.Requests;

        responder.Revoked(leaf.Certificate);
        var revoked = DateTime.UtcNow;

        var cut = await warnings.FishForMessageAsync<Akka.Event.LogEvent>(w => w.Message.ToString()!.Contains("revoked while the connection ran", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Output!.WriteLine($"cut off {(DateTime.UtcNow - revoked).TotalMilliseconds:F0} ms after the revocation (re-check every 500 ms): {cut.Message}");
        Assert.StartsWith("AMQ9633E", cut.Message.ToString(), StringComparison.Ordinal);
        Assert.True(responder.Requests > asked, "the re-checks did not ask the responder");
        await Assert.ThrowsAnyAsync<Exception>(() => client.PutAsync("APP.IN", Text("after the revocation", Persistence.Persistent)));
        Assert.Equal(["while good"], await DrainAsync(qm, "APP.IN"));
        Assert.True(await GoodClientWorks(port));
    }

    private OpenSslOcspResponder Responder(TestPki.Issued signer)
    {
        var responder = new OpenSslOcspResponder(Ca, signer);
        _responders.Add(responder);
        return responder;
    }

    /// <summary>
    /// How the one real responder (which answers the good client GOOD throughout) treats the attacker's leaf:
    /// only requests about that leaf get the hostile answer, so the good client can still prove itself.
    /// </summary>
    private void HostileOcsp(OpenSslOcspResponder responder, Ocsp mode, X509Certificate2 leaf)
    {
        switch (mode)
        {
            case Ocsp.Revoked:
                responder.Revoked(leaf);
                break;
            case Ocsp.ImpostorSigned:
                var impostor = Responder(TestPki.Leaf(Stranger, "CN=OCSP.SIGNER", server: false, client: false, ocspSigning: true));
                impostor.Good(leaf);
                responder.AnswerFor(leaf, impostor.Respond);
                break;
            case Ocsp.Stale:
                responder.AnswerFor(leaf, request => OcspAnswers.Good(request, Ca, DateTime.UtcNow.AddDays(-2), DateTime.UtcNow.AddDays(-1)));
                break;
            case Ocsp.Malformed:
                var finding = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Tls", "OcspFuzzFindings"), "*.der").Order(StringComparer.Ordinal).First();
                responder.AnswerFor(leaf, _ => File.ReadAllBytes(finding));
                break;
            case Ocsp.GoodUntilRevoked:
                responder.Good(leaf);
                break;
            case Ocsp.Contradictory:
                responder.Revoked(leaf);
                responder.AnswerFor(leaf, request => OcspAnswers.Signed(request, Ca, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddHours(1), [OcspAnswers.IsGood, OcspAnswers.IsRevoked]));
                break;
            case Ocsp.Oversized:
                responder.Revoked(leaf);
                responder.AnswerFor(leaf, request => OcspAnswers.Signed(request, Ca, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddHours(1), [OcspAnswers.IsGood], padding: 1 << 20));
                break;
            case Ocsp.Redirected:
                responder.Revoked(leaf);
                var elsewhere = Responder(Ca);
                elsewhere.Good(leaf);
                responder.WriteFor(leaf, LoopbackHttp.Redirect(elsewhere.Url));
                break;
            case Ocsp.NonceLessStale:
                responder.Revoked(leaf);
                var produced = DateTime.UtcNow.AddHours(-3);
                responder.AnswerFor(leaf, request => OcspAnswers.Signed(request, Ca, produced, DateTime.UtcNow.AddDays(1), [OcspAnswers.IsGood], OcspAnswers.Nonce.None, produced));
                break;
            case Ocsp.ReplayedGood:
                responder.Good(leaf);
                var old = responder.Respond(OcspAnswers.Request(leaf, Ca));
                responder.Revoked(leaf);
                responder.AnswerFor(leaf, _ => old);
                break;
        }
    }
}
