using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Bench;

/// <summary>
/// Handshakes per second over loopback: a bare SslStream mutual-TLS handshake with .NET's own
/// chain validation (custom root trust), against ActorQm's handshake actors at both ends (chain
/// validation with every extra check, revocation pass-through, SSLPEER), sequential and 8 at a time. The same two
/// certificates meet every time, so the chain step is answered from the validated-chain cache but for one row that
/// gives each handshake an empty cache (docs/tls.md, "Validated-chain cache").
/// </summary>
internal static class HandshakeBench
{
    public static async Task<List<BenchRow>> Run(int count)
    {
        var (root, ca, qm1, qm2) = Pki(out var rootKey, out var caKey);
        using var responder = new Cli.Dev.DevOcspResponder((root, rootKey), (ca, caKey));
        var crls = new[] { Crl(root, rootKey, 1), Crl(ca, caKey, 2) };
        var warmOcsp = new OcspClient();
        var system = ActorSystem.Create("handshake-bench", "akka.loglevel = WARNING");
        try
        {
            var supervisor = system.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(MaxConcurrent: 64, MaxQueued: 1024)));
            var credentials1 = new TlsCredentials(qm1, [ca], [root], []);
            var credentials2 = new TlsCredentials(qm2, [ca], [root], []);
            var cipher = CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!;

            // Both sides build their certificate contexts once, as a long-running server would.
            var context1 = SslStreamCertificateContext.Create(qm1, new X509Certificate2Collection(ca), offline: true);
            var context2 = SslStreamCertificateContext.Create(qm2, new X509Certificate2Collection(ca), offline: true);

            // The server decides whether a session may be resumed (TLS 1.3 tickets, TLS 1.2 session ids); .NET's client
            // offers what it cached for the same target and certificate context.
            Task Bare() => BareWith(resume: false);

            async Task BareWith(bool resume)
            {
                var (i, r) = await Connect();
                using var _ = i;
                using var __ = r;
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
                policy.CustomTrustStore.Add(root);
                await using var client = new SslStream(i.GetStream());
                await using var server = new SslStream(r.GetStream());
                await Task.WhenAll(
                    client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = "QM2",
                        ClientCertificateContext = context1,
                        CertificateChainPolicy = policy,
                        RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
                    }),
                    server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = context2,
                        AllowTlsResume = resume,
                        ClientCertificateRequired = true,
                        CertificateChainPolicy = policy,
                        RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
                    }));
            }

            var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
            var phase = "warm-up";
            Task ActorQm() => ActorQmWith(RevocationSettings.None);

            async Task ActorQmWith(RevocationSettings revocation, bool coldChainCache = false)
            {
                // Credentials copied with an empty cache: the chain step validates in full, the rest is as in the other rows.
                var (own1, own2) = coldChainCache
                    ? (credentials1 with { ValidatedChains = new() }, credentials2 with { ValidatedChains = new() })
                    : (credentials1, credentials2);
                var (i, r) = await Connect();
                using var _ = i;
                using var __ = r;
                var toQm2 = new PeerRequirements(cipher, DistinguishedNameFilter.Parse("CN=QM2,O=Example"));
                var toQm1 = new PeerRequirements(cipher, DistinguishedNameFilter.Parse("CN=QM1,O=Example"));
                var a = supervisor.Ask<object>(reply => new Handshake.StartHandshake("out", HandshakeRole.Initiator, i.GetStream(), "QM2", own1, toQm2, reply) { Revocation = revocation },
                    TimeSpan.FromSeconds(30), CancellationToken.None);
                var b = supervisor.Ask<object>(reply => new Handshake.StartHandshake("in", HandshakeRole.Responder, r.GetStream(), "QM2", own2, toQm1, reply) { Revocation = revocation },
                    TimeSpan.FromSeconds(30), CancellationToken.None);
                var outcomes = await Task.WhenAll(a, b);
                foreach (var ok in outcomes.OfType<Handshake.HandshakeSucceeded>())
                {
                    ok.Stream.Dispose();
                }

                // A refusal is counted and reported with its reason, not a crash of the benchmark.
                var refusals = outcomes.OfType<Handshake.HandshakeFailed>().ToList();
                if ((refusals.FirstOrDefault(f => f.Step != HandshakeStep.CertificateExchange) ?? refusals.FirstOrDefault()) is { } refused)
                {
                    failures.AddOrUpdate($"{refused.AmqCode} at {refused.Step} ({phase})", 1, (_, n) => n + 1);
                }
            }

            await Measure("warm-up", 20, 1, Bare);
            await Measure("warm-up", 20, 1, ActorQm);
            var bareSeq = await Measure("bare SslStream mTLS, sequential", count, 1, Bare);
            await Measure("warm-up", 20, 1, () => BareWith(resume: true));
            var bareResumed = await Measure("bare SslStream mTLS, session resumption allowed, sequential", count, 1, () => BareWith(resume: true));
            var steps = system.ActorOf(Props.Create(() => new StepTimes()));
            system.EventStream.Subscribe(steps, typeof(Handshake.HandshakeTransitioned));
            phase = "sequential";
            var qmSeq = await Measure("ActorQm full validation + SSLPEER, sequential", count, 1, ActorQm);
            system.EventStream.Unsubscribe(steps);
            var times = await steps.Ask<string>(StepTimes.Report.Instance, TimeSpan.FromSeconds(5));
            Console.WriteLine($"ActorQm handshake, mean time from the handshake actor's start to each step (sequential run): {times}");
            var qmSeqCold = await Measure("ActorQm full validation + SSLPEER, cold chain cache, sequential", count, 1, () => ActorQmWith(RevocationSettings.None, coldChainCache: true));
            var bareConc = await Measure("bare SslStream mTLS, 8 concurrent", count, 8, Bare);
            phase = "8 concurrent";
            var qmConc = await Measure("ActorQm full validation + SSLPEER, 8 concurrent", count, 8, ActorQm);
            var warm = new RevocationSettings(crls, OcspResponder: responder.Url, Ocsp: warmOcsp);
            await ActorQmWith(warm);
            phase = "revocation";
            var qmRevocation = await Measure("ActorQm + CRL + OCSP (warm cache), sequential", count, 1, () => ActorQmWith(warm));
            var qmCold = await Measure("ActorQm + CRL + OCSP (cold, every handshake asks), sequential", count, 1,
                () => ActorQmWith(warm with { Ocsp = new OcspClient() }));
            Console.WriteLine();
            Console.WriteLine($"| {"handshakes (both ends in this process)",-50} | {"per s",8} | ratio |");
            Console.WriteLine($"|{new string('-', 52)}|{new string('-', 10)}|-------|");
            Console.WriteLine($"| {"bare SslStream mTLS, sequential",-50} | {bareSeq,8:F0} |  1.00 |");
            Console.WriteLine($"| {"bare, resumption allowed, sequential",-50} | {bareResumed,8:F0} | {bareResumed / bareSeq,5:F2} |");
            Console.WriteLine($"| {"ActorQm full validation + SSLPEER, sequential",-50} | {qmSeq,8:F0} | {qmSeq / bareSeq,5:F2} |");
            Console.WriteLine($"| {"ActorQm, cold chain cache, sequential",-50} | {qmSeqCold,8:F0} | {qmSeqCold / bareSeq,5:F2} |");
            Console.WriteLine($"| {"bare SslStream mTLS, 8 concurrent",-50} | {bareConc,8:F0} |  1.00 |");
            Console.WriteLine($"| {"ActorQm full validation + SSLPEER, 8 concurrent",-50} | {qmConc,8:F0} | {qmConc / bareConc,5:F2} |");
            Console.WriteLine($"| {"ActorQm + CRL + OCSP from cache, sequential",-50} | {qmRevocation,8:F0} | {qmRevocation / bareSeq,5:F2} |");
            Console.WriteLine($"| {"ActorQm + CRL + cold OCSP, sequential",-50} | {qmCold,8:F0} | {qmCold / bareSeq,5:F2} |");
            Console.WriteLine();
            Console.WriteLine(failures.IsEmpty ? "Refused handshakes: none." : $"Refused handshakes: {string.Join(", ", failures.Select(f => $"{f.Value} x {f.Key}"))}.");
            Console.WriteLine($"Added cost of a cold OCSP check (both ends ask for the peer and its CA): {1000.0 / qmCold - 1000.0 / qmRevocation:F2} ms per handshake; responder answered {responder.Requests} requests.");
            const string both = "both ends in this process";
            return
            [
                new("H1", "handshakes, bare SslStream mutual TLS, sequential", bareSeq, "per s", 1, "H1 bare seq", "both ends in this process; no session resumption, as ActorQm (docs/tls.md)"),
                new("H1", "handshakes, bare SslStream mutual TLS, session resumption allowed, sequential", bareResumed, "per s", bareResumed / bareSeq, "H1 bare seq", "what resumption would give; ActorQm never resumes"),
                new("H1", "handshakes, ActorQm chain + SSLPEER, sequential", qmSeq, "per s", qmSeq / bareSeq, "H1 bare seq", $"both ends in this process; chain step from the validated-chain cache (the same peers each time); mean time to each step: {times}"),
                new("H1", "handshakes, ActorQm chain (cold validated-chain cache) + SSLPEER, sequential", qmSeqCold, "per s", qmSeqCold / bareSeq, "H1 bare seq", "both ends in this process; every chain validated in full"),
                new("H1", "handshakes, ActorQm chain + CRL + OCSP (warm cache) + SSLPEER, sequential", qmRevocation, "per s", qmRevocation / bareSeq, "H1 bare seq", both),
                new("H1", "handshakes, ActorQm chain + CRL + cold OCSP + SSLPEER, sequential", qmCold, "per s", qmCold / bareSeq, "H1 bare seq", "every handshake asks the loopback dev OCSP responder (real OCSP over HTTP)"),
                new("H1", "handshakes, bare SslStream mutual TLS, 8 concurrent", bareConc, "per s", 1, "H1 bare 8", both),
                new("H1", "handshakes, ActorQm chain + SSLPEER, 8 concurrent", qmConc, "per s", qmConc / bareConc, "H1 bare 8", both),
            ];
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static CrlDocument Crl(X509Certificate2 issuer, ECDsa key, long number) =>
        CrlDocument.Parse(new CertificateRevocationListBuilder().Build(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(key), number,
            DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false),
            DateTimeOffset.UtcNow.AddHours(-1)), issuer.Subject);

    private static async Task<double> Measure(string label, int count, int parallel, Func<Task> handshake)
    {
        var sw = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await handshake();
            }
        }));
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<(TcpClient Initiator, TcpClient Responder)> Connect()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        await connect;
        return (client, server);
    }

    /// <summary>An ECDSA P-256 PKI minted in memory for the run: root, intermediate, two queue managers.</summary>
    private static (X509Certificate2 Root, X509Certificate2 Ca, X509Certificate2 Qm1, X509Certificate2 Qm2) Pki() => Pki(out _, out _);

    private static (X509Certificate2 Root, X509Certificate2 Ca, X509Certificate2 Qm1, X509Certificate2 Qm2) Pki(out ECDsa rootKey, out ECDsa caKey)
    {
        var now = DateTimeOffset.UtcNow;
        rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = CaRequest("CN=Bench Root", rootKey);
        var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = CaRequest("CN=Bench CA", caKey);
        caRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var ca = caRequest.Create(root, now.AddDays(-1), now.AddYears(1), [2]);
        var signer = caKey;
        return (X509CertificateLoader.LoadCertificate(root.RawData), X509CertificateLoader.LoadCertificate(ca.RawData),
            Leaf("CN=QM1,O=Example", ca, signer, 3), Leaf("CN=QM2,O=Example", ca, signer, 4));

        static CertificateRequest CaRequest(string subject, ECDsa key)
        {
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return request;
        }

        X509Certificate2 Leaf(string subject, X509Certificate2 issuer, ECDsa issuerKey, byte serial)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            using var cert = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), now.AddDays(-1), now.AddDays(90), [serial]);
            return X509CertificateLoader.LoadPkcs12(cert.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>Mean elapsed time at which the handshakes reached each step, by step, both roles together.</summary>
    private sealed class StepTimes : ReceiveActor
    {
        private readonly Dictionary<HandshakeStep, (double Sum, int Count)> _times = [];

        public StepTimes()
        {
            Receive<Handshake.HandshakeTransitioned>(t =>
            {
                var (sum, n) = _times.GetValueOrDefault(t.To);
                _times[t.To] = (sum + t.Elapsed.TotalMilliseconds, n + 1);
            });
            Receive<Report>(_ => Sender.Tell(string.Join(", ", _times.OrderBy(p => p.Value.Sum / p.Value.Count)
                .Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Key} {p.Value.Sum / p.Value.Count:F2} ms")))));
        }

        public sealed record Report
        {
            public static readonly Report Instance = new();
        }
    }
}
