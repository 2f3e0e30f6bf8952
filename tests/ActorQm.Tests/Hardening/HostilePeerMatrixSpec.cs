using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ActorQm.Channels;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// The hostile-peer matrix: each peer attacks a running queue manager over a real TLS socket and must be
/// refused with the right AMQ code (seen on the queue manager's side), must get no message in or out,
/// and a good client on the same listener must work right afterwards. With ACTORQM_HOSTILE_REPORT set,
/// every case appends a line to that file (scripts/hostile-peers.sh prints it as a table).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class HostilePeerMatrixSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private static readonly TestPki.Issued Root = TestPki.Shared.Root;
    private static readonly TestPki.Issued Ca = TestPki.Shared.Ca;
    private static readonly TestPki.Issued Stranger = TestPki.Intermediate(TestPki.Root("Stranger Root"), "Stranger CA");
    private static readonly TestPki.Issued RevokedCa = TestPki.Intermediate(Root, "Revoked CA");
    private static readonly TestPki.Issued StaleCa = TestPki.Intermediate(Root, "Stale CA");
    private static readonly TestPki.Issued ScopedCa = TestPki.Intermediate(Root, "Scoped CA");
    private static readonly TestPki.Issued LengthZeroCa = TestPki.Intermediate(Root, "Length Zero CA", pathLength: 0);
    private const string App = "CN=APP1,OU=APPS,O=Example";
    private readonly TempDirectory _dir = new();
    private readonly List<OpenSslOcspResponder> _responders = new();
    private readonly LoopbackHttp _http = new();
    private readonly TestPki.Issued _goodLeaf = TestPki.Leaf(Ca, "CN=APP2,OU=APPS,O=Example");

    /// <summary>What a case changes: the attacker's certificate and CA certificates it sends, CRLs the queue manager reads, or a raw attack.</summary>
    public sealed record Case(string Name, string Expected, Func<HostilePeerMatrixSpec, Attack> Build)
    {
        /// <summary>The client's code where MQ's pair does not give it (a refusal before or inside TLS: the connection just closes).</summary>
        public string? AtClient { get; init; }
    }

    public sealed record Attack(X509Certificate2? Certificate, IReadOnlyList<X509Certificate2> Sends, string Channel = "APP.SVRCONN", string CipherSpec = "TLS_AES_128_GCM_SHA256",
        Func<int, Task>? Raw = null, byte[]? CaCrl = null, byte[]? RootCrl = null, byte[]? ExtraCrl = null, Ocsp Ocsp = Ocsp.None, string? From = null,
        byte[]? CdpCrl = null);

    private static Attack Client(TestPki.Issued leaf, params X509Certificate2[] sends) => new(leaf.WithKey(), sends);

    /// <summary>A leaf of the Scoped CA, whose one CRL (built for that leaf when <paramref name="forLeaf"/> is given) the queue manager reads.</summary>
    private static Attack Scoped(byte[]? crl, Func<X509Certificate2, byte[]>? forLeaf = null)
    {
        var leaf = TestPki.Leaf(ScopedCa, App);
        return Client(leaf, ScopedCa.Certificate) with { ExtraCrl = crl ?? forLeaf!(leaf.Certificate) };
    }

    private static readonly Case[] Cases =
    [
        new("expired leaf", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App, notBefore: TestPki.Now.AddDays(-30), notAfter: TestPki.Now.AddDays(-1)))),
        new("not-yet-valid leaf", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App, notBefore: TestPki.Now.AddDays(1), notAfter: TestPki.Now.AddDays(30)))),
        new("expired intermediate", "AMQ9633E", _ =>
        {
            var expired = TestPki.Intermediate(Root, "Expired CA", notBefore: TestPki.Now.AddDays(-60), notAfter: TestPki.Now.AddDays(-1));
            return Client(TestPki.Leaf(expired, App), expired.Certificate);
        }),
        new("untrusted root", "AMQ9633E", _ => Client(TestPki.Leaf(Stranger, App), Stranger.Certificate)),
        new("missing intermediate", "AMQ9633E", _ => Client(TestPki.Leaf(TestPki.Intermediate(Root, "Unsent CA"), App))),
        new("self-signed leaf", "AMQ9633E", _ => new Attack(SelfSigned(App), [])),
        // OpenSSL fails the signature inside the TLS handshake, before the certificate reaches ActorQm's validator.
        new("tampered issuer signature", "AMQ9616E", _ => Client(TestPki.Leaf(new TestPki.Issued(Ca.Certificate, ECDsa.Create(ECCurve.NamedCurves.nistP256)), App))) { AtClient = "AMQ9665E" },
        new("CA:TRUE leaf as end entity", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App, ca: true, usage: X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign))),
        new("server-only EKU as client", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App, client: false))),
        new("key usage without digitalSignature", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App, usage: X509KeyUsageFlags.NonRepudiation))),
        new("path length exceeded", "AMQ9633E", _ =>
        {
            var sub = TestPki.Intermediate(LengthZeroCa, "Too Deep CA");
            return Client(TestPki.Leaf(sub, App), LengthZeroCa.Certificate, sub.Certificate);
        }),
        new("leaf revoked by CRL", "AMQ9633E", _ =>
        {
            var leaf = TestPki.Leaf(Ca, App);
            return Client(leaf) with { CaCrl = TestPki.Crl(Ca, [leaf.Certificate]) };
        }),
        new("intermediate revoked by CRL", "AMQ9633E", _ => Client(TestPki.Leaf(RevokedCa, App), RevokedCa.Certificate) with
        {
            RootCrl = TestPki.Crl(Root, [RevokedCa.Certificate]), ExtraCrl = TestPki.Crl(RevokedCa, []),
        }),
        new("expired CRL of the peer's CA (status unknown under REQUIRED)", "AMQ9716E", _ => Client(TestPki.Leaf(StaleCa, App), StaleCa.Certificate) with
        {
            ExtraCrl = TestPki.Crl(StaleCa, [], nextUpdate: TestPki.Now.AddDays(-1), thisUpdate: TestPki.Now.AddDays(-10)),
        }),
        new("CRL of the peer's CA signed by another key", "AMQ9716E", _ => Client(TestPki.Leaf(StaleCa, App), StaleCa.Certificate) with
        {
            ExtraCrl = TestPki.Crl(new TestPki.Issued(StaleCa.Certificate, ECDsa.Create(ECCurve.NamedCurves.nistP256)), []),
        }),
        // The peer's CA publishes only CRLs that cannot answer for a leaf: the status is unknown, never GOOD.
        new("revoked leaf whose CA's only CRL is an ARL (onlyContainsCACerts) under REQUIRED", "AMQ9716E", _ => Scoped(BcCrl.Build(ScopedCa, [], idp: BcCrl.Idp(onlyCa: true)))),
        new("revoked leaf whose CA's only CRL is a keyCompromise partition (onlySomeReasons) under REQUIRED", "AMQ9716E", _ =>
            Scoped(BcCrl.Build(ScopedCa, [], idp: BcCrl.Idp(reasons: Org.BouncyCastle.Asn1.X509.ReasonFlags.KeyCompromise)))),
        new("revoked leaf whose CA's only CRL is a delta CRL under REQUIRED", "AMQ9716E", _ => Scoped(BcCrl.Build(ScopedCa, [], number: 8, deltaOf: 7))),
        new("revoked leaf whose CA's CRL has an unknown critical extension under REQUIRED", "AMQ9716E", _ => Scoped(BcCrl.Build(ScopedCa, [], unknownCritical: true))),
        new("CRL whose entries name a certificateIssuer without being indirect under REQUIRED", "AMQ9716E", _ =>
            Scoped(BcCrl.Build(ScopedCa, [BcCrl.Entry.Of(TestPki.Leaf(Ca, "CN=ELSEWHERE").Certificate, certificateIssuer: BcCrl.Name(Ca))]))),
        new("leaf revoked on an indirect CRL, listed under its CA after another CA's entries", "AMQ9633E", _ => Scoped(null, leaf => BcCrl.Build(ScopedCa,
            [BcCrl.Entry.Of(TestPki.Leaf(Ca, "CN=ELSEWHERE").Certificate, certificateIssuer: BcCrl.Name(Ca)), BcCrl.Entry.Of(leaf, certificateIssuer: BcCrl.Name(ScopedCa))],
            idp: BcCrl.Idp(indirect: true)))),
        new("leaf behind a CRL larger than tls.crl-max-bytes at its distribution point under REQUIRED", "AMQ9716E", spec =>
        {
            var leaf = TestPki.Leaf(ScopedCa, App, extensions: [BcCrl.DistributionPoint(spec._http.Url("/scoped.crl").ToString())]);
            var filler = Enumerable.Range(1, 4000).Select(i => new BcCrl.Entry(Org.BouncyCastle.Math.BigInteger.ValueOf(i)));
            return Client(leaf, ScopedCa.Certificate) with { CdpCrl = BcCrl.Build(ScopedCa, filler) };
        }),
        new("leaf revoked by OCSP (openssl ocsp responder)", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Revoked }),
        new("leaf unknown to OCSP under OCSPAuthentication REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Unknown }),
        new("OCSP GOOD signed by an unauthorised key under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.ImpostorSigned }),
        new("OCSP GOOD that is stale (nextUpdate past) under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Stale }),
        new("OCSP replay of an old GOOD for a now-revoked leaf under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.ReplayedGood }),
        new("malformed OCSP answer hiding a CRL revocation", "AMQ9633E", _ =>
        {
            var leaf = TestPki.Leaf(Ca, App);
            return Client(leaf) with { CaCrl = TestPki.Crl(Ca, [leaf.Certificate]), Ocsp = Ocsp.Malformed };
        }),
        new("revoked leaf, OCSP answer listing it GOOD then REVOKED", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Contradictory }),
        new("revoked leaf, OCSP GOOD larger than tls.ocsp-max-bytes under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Oversized }),
        new("revoked leaf, OCSP redirect to a responder saying GOOD under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.Redirected }),
        new("revoked leaf, OCSP GOOD without a nonce produced 3 h ago under REQUIRED", "AMQ9716E", _ => Client(TestPki.Leaf(Ca, App)) with { Ocsp = Ocsp.NonceLessStale }),
        new("SSLPEER mismatch on CN", "AMQ9636E", _ => Client(TestPki.Leaf(Ca, "CN=OTHER,OU=APPS,O=Example"))),
        new("SSLPEER mismatch on OU", "AMQ9636E", _ => Client(TestPki.Leaf(Ca, "CN=APP1,OU=SALES,O=Example"))),
        new("SSLPEER mismatch on O", "AMQ9636E", _ => Client(TestPki.Leaf(Ca, "CN=APP1,OU=APPS,O=Elsewhere"))),
        new("SSLPEER multi-OU order mismatch", "AMQ9636E", _ => Client(TestPki.Leaf(Ca, "CN=APP1,OU=B,OU=A,O=Example")) with { Channel = "OU.SVRCONN" }),
        new("SSLPEER: a second CN ahead of the allowed one", "AMQ9636E", _ => Client(TestPki.Leaf(Ca, "CN=MALLORY,CN=APP1,OU=APPS,O=Example"))),
        new("SSLPEER serial pin: a subject serialNumber equal to the pinned serial", "AMQ9636E", s =>
            Client(TestPki.Leaf(Ca, $"CN=APP2,OU=APPS,O=Example,OID.2.5.4.5={Serial(s._goodLeaf.Certificate)}")) with { Channel = "PIN.SVRCONN" }),
        new("invalid PrintableString in the DN", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, rawSubject: TestPki.RawName(
            ("2.5.4.3", System.Formats.Asn1.UniversalTagNumber.PrintableString, "APP*1"u8.ToArray()), ("2.5.4.11", System.Formats.Asn1.UniversalTagNumber.UTF8String, "APPS"u8.ToArray()))))),
        new("no certificate under SSLCAUTH(REQUIRED)", "AMQ9637E", _ => new Attack(null, [])),
        new("CipherSpec mismatch: client asks another than the channel's", "AMQ9631E", _ => Client(TestPki.Leaf(Ca, App)) with { CipherSpec = "TLS_AES_256_GCM_SHA384" }),
        new("CipherSpec mismatch: client offers one the queue manager does not allow", "AMQ9616E", _ => Client(TestPki.Leaf(Ca, App)) with { CipherSpec = "TLS_CHACHA20_POLY1305_SHA256" }) { AtClient = "AMQ9641E" },
        new("CHLAUTH BLOCKADDR (refused before any TLS byte)", "AMQ9777E", _ => Client(TestPki.Leaf(Ca, App)) with { From = "127.0.0.9" }) { AtClient = "AMQ9665E" },
        new("CHLAUTH SSLPEERMAP USERSRC(NOACCESS)", "AMQ9777E", _ => Client(TestPki.Leaf(Ca, "CN=APP9,OU=APPS,O=Example"))),
        new("CHLAUTH ADDRESSMAP USERSRC(NOACCESS)", "AMQ9777E", _ => Client(TestPki.Leaf(Ca, App)) with { From = "127.0.0.8" }),
        new("CHLAUTH SSLPEERMAP naming CN NOACCESS beside a longer O,L,C record USERSRC(CHANNEL)", "AMQ9777E", _ =>
            Client(TestPki.Leaf(Ca, "CN=APP5,O=Example Corp,L=Leeds,C=GB")) with { Channel = "ORG.SVRCONN" }),
        new("CHLAUTH exact-profile ADDRESSMAP NOACCESS beside a generic-profile SSLPEERMAP USERSRC(CHANNEL)", "AMQ9777E", _ =>
            Client(TestPki.Leaf(Ca, App)) with { Channel = "PRF.SVRCONN", From = "127.0.0.7" }),
        new("valid certificate mapped to a principal without CONNECT", "AMQ9557E", _ => Client(TestPki.Leaf(Ca, App)) with { Channel = "NOCONN.SVRCONN" }),
        new("valid certificate on a channel with no MCAUSER and no mapping", "AMQ9777E", _ => Client(TestPki.Leaf(Ca, App)) with { Channel = "NOUSER.SVRCONN" }),
        new("NUL byte in the DN", "AMQ9633E", _ => Client(TestPki.Leaf(Ca, "CN=APP1\0X,OU=APPS,O=Example"))),
        new("TLS 1.1 ClientHello", "AMQ9616E", _ => new Attack(null, [], Raw: port => RawBytes(port, OldClientHello(0x02)))),
        new("TLS 1.0 ClientHello", "AMQ9616E", _ => new Attack(null, [], Raw: port => RawBytes(port, OldClientHello(0x01)))),
        new("plaintext MQ client on the TLS port", "AMQ9639E", _ => new Attack(null, [], Raw: port => RawBytes(port, PlaintextHello()))),
        new("garbage bytes before the ClientHello", "AMQ9639E", _ => new Attack(null, [], Raw: port => RawBytes(port, [0x00, 0xff, 0x13, 0x37, .. "GET / HTTP/1.1\r\n\r\n"u8.ToArray()]))),
        new("HTTP request on the TLS port", "AMQ9616E", _ => new Attack(null, [], Raw: port => RawBytes(port, "GET / HTTP/1.1\r\nHost: qm\r\n\r\n"u8.ToArray()))),
    ];

    public static IEnumerable<object[]> CaseNames => Cases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Hostile_peer_must_be_refused_with_its_code_get_nothing_and_leave_the_listener_serving(string name)
    {
        var test = Cases.Single(c => c.Name == name);
        var attack = test.Build(this);
        var (qm, port) = await StartQueueManager(attack);
        var refusals = CreateTestProbe("refusals");
        Sys.EventStream.Subscribe(refusals.Ref, typeof(Handshake.ChannelSslError));
        Sys.EventStream.Subscribe(refusals.Ref, typeof(Channel.ChannelFailed));
        Sys.EventStream.Subscribe(refusals.Ref, typeof(TlsListener.ConnectionBlocked));

        var refused = false;
        string? clientSaw = null;
        try
        {
            if (attack.Raw is { } raw)
            {
                await raw(port);
            }
            else
            {
                await using var client = await MqClient.ConnectAsync(Options(port, attack));
                // Connected: the matrix fails below, but first try to deliver, to show what would be lost.
                await client.PutAsync("APP.IN", Text("from a hostile peer", Persistence.Persistent));
            }
        }
        catch (Exception e) when (e is MqException or IOException or AuthenticationException or SocketException)
        {
            refused = true;
            clientSaw = e.Message;
        }

        var code = await QueueManagerCode(refusals);
        var depth = (await DrainAsync(qm, "APP.IN")).Count;
        var goodAfter = await GoodClientWorks(port);
        Report(name, refused || attack.Raw is not null, code, test.Expected, depth, goodAfter);
        Output!.WriteLine($"{name}: client saw '{clientSaw}'; queue manager said {code}");

        Assert.True(refused || attack.Raw is not null, $"{name}: the peer was not refused");
        Assert.Equal(test.Expected, code);
        if (attack.Raw is null)
        {
            // Each end reports MQ's code for its side of the pair (the client's message names the queue manager's code too).
            Assert.Contains($"): {test.AtClient ?? AtClient(test.Expected)}: ", clientSaw, StringComparison.Ordinal);
        }

        Assert.Equal(0, depth);
        Assert.True(goodAfter, $"{name}: a good client could not work on the same listener afterwards");
    }

    private async Task<(IActorRef Qm, int Port)> StartQueueManager(Attack attack, string recheck = "off")
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qmhkey", "ibmwebspheremqqmh", TestPki.Leaf(Ca, "CN=QMH,OU=MQ,O=Example").WithKey());
        var crls = new List<string>();
        void Crl(string file, byte[] der)
        {
            File.WriteAllBytes(_dir.File(file), der);
            crls.Add(_dir.File(file));
        }

        Crl("root.crl", attack.RootCrl ?? TestPki.Crl(Root, []));
        if (attack.Ocsp is Ocsp.None or Ocsp.Revoked or Ocsp.Malformed)
        {
            // With no CRL for the intermediate CA, OCSP alone decides its leaves.
            Crl("ca.crl", attack.CaCrl ?? TestPki.Crl(Ca, []));
        }

        if (attack.ExtraCrl is { } extra)
        {
            Crl("extra.crl", extra);
        }

        if (attack.CdpCrl is { } published)
        {
            _http.Serve("/scoped.crl", published);
        }

        var ocsp = string.Empty;
        if (attack.Ocsp != Ocsp.None)
        {
            var responder = Responder(Ca);
            responder.Good(_goodLeaf.Certificate);
            HostileOcsp(responder, attack.Ocsp, attack.Certificate!);
            ocsp = $"DEFINE AUTHINFO('OCSP') AUTHTYPE(OCSP) OCSPURL('{responder.Url}')\nDEFINE NAMELIST('REVOCATION') NAMES('OCSP')\nALTER QMGR SSLCRLNL('REVOCATION')";
        }

        var qm = await QueueManagerPair.Start(Sys, _dir, "QMH", $"""
            ALTER QMGR SSLKEYR('{key}')
            {ocsp}
            DEFINE QLOCAL('APP.IN')
            DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,OU=APPS,O=Example') MCAUSER('app')
            DEFINE CHANNEL('OU.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('OU=A,OU=B,O=Example') MCAUSER('app')
            DEFINE CHANNEL('PIN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('SERIALNUMBER={Serial(_goodLeaf.Certificate)},CN=APP2') MCAUSER('app')
            SET CHLAUTH('APP.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=APP9') USERSRC(NOACCESS)
            SET CHLAUTH('APP.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('127.0.0.8') USERSRC(NOACCESS)
            DEFINE CHANNEL('ORG.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')
            SET CHLAUTH('ORG.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=APP5') USERSRC(NOACCESS)
            SET CHLAUTH('ORG.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('O=Example Corp,L=Leeds,C=GB') USERSRC(CHANNEL)
            DEFINE CHANNEL('PRF.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('app')
            SET CHLAUTH('PRF.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP*') USERSRC(CHANNEL)
            SET CHLAUTH('PRF.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('127.0.0.7') USERSRC(NOACCESS)
            SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('127.0.0.9')
            DEFINE CHANNEL('NOCONN.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED)
            SET CHLAUTH('NOCONN.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('O=Example') USERSRC(MAP) MCAUSER('nobody')
            DEFINE CHANNEL('NOUSER.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED)
            {TestGrants.App()}
            {LowPrivilegeDefinitions}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, $"tls {{ revocation-recheck-interval = {recheck}, ocsp-authentication = {(attack.Ocsp is Ocsp.Revoked or Ocsp.Malformed ? "optional" : "required")}, crl-files = [{string.Join(", ", crls.Select(c => $"\"{c}\""))}], cdp-check-extensions = on, crl-max-bytes = 64KiB, allowed-cipher-specs = [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, ECDHE_ECDSA_AES_128_GCM_SHA256] }}");
        return (qm.Actor, await QueueManagerPair.ListenerPort(qm.Actor));
    }

    private MqClientOptions Options(int port, Attack attack)
    {
        var path = _dir.File("client-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(path, "personal"));
        Directory.CreateDirectory(Path.Combine(path, "trusted"));
        foreach (var (cert, i) in new[] { Root.Certificate, Ca.Certificate }.Concat(attack.Sends).Select((c, i) => (c, i)))
        {
            File.WriteAllText(Path.Combine(path, "trusted", $"ca{i}.pem"), cert.ExportCertificatePem());
        }

        if (attack.Certificate is { } own)
        {
            File.WriteAllBytes(Path.Combine(path, "personal", "app.p12"), own.Export(X509ContentType.Pkcs12, "pw"));
            File.WriteAllText(path + ".sth", "pw\n");
            File.SetUnixFileMode(path + ".sth", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new MqClientOptions
        {
            Host = "127.0.0.1", Port = port, Channel = attack.Channel, QueueManager = "QMH", KeyRepository = path,
            CertificateLabel = "app", CipherSpec = attack.CipherSpec, SslPeer = "CN=QMH,OU=MQ,O=Example", ApplicationName = "hostile", Timeout = TimeSpan.FromSeconds(10),
            LocalAddress = attack.From is null ? null : System.Net.IPAddress.Parse(attack.From),
        };
    }

    /// <summary>The initiator's side of MQ's pairs (AMQ9641 for AMQ9631, AMQ9642 for AMQ9637, ...); admission refusals are the queue manager's code.</summary>
    private static string AtClient(string atQueueManager) => atQueueManager switch
    {
        "AMQ9631E" => "AMQ9641E",
        "AMQ9637E" => "AMQ9642E",
        "AMQ9636E" => "AMQ9643E",
        "AMQ9633E" or "AMQ9716E" => "AMQ9665E",
        _ => atQueueManager,
    };

    /// <summary>The first refusal the queue manager reported for this connection: its handshake, or the channel's checks after it.</summary>
    private static async Task<string?> QueueManagerCode(TestProbe refusals) =>
        await refusals.ReceiveOneAsync(TimeSpan.FromSeconds(10)) switch
        {
            Handshake.ChannelSslError e => e.AmqCode,
            Channel.ChannelFailed f => f.AmqCode,
            TlsListener.ConnectionBlocked => "AMQ9777E",
            _ => null,
        };

    private async Task<bool> GoodClientWorks(int port)
    {
        try
        {
            await using var good = await MqClient.ConnectAsync(Options(port, Client(_goodLeaf)));
            var queue = await good.OpenAsync("APP.IN", ClientOpenPurpose.Output);
            await queue.PutAsync(Text("good", Persistence.Persistent));
            var input = await good.OpenAsync("APP.IN", ClientOpenPurpose.Input);
            return Text(await input.GetAsync()) == "good";
        }
        catch (MqException e)
        {
            Output!.WriteLine($"good client failed: {e.Message}");
            return false;
        }
    }

    /// <summary>A certificate's serial as SSLPEER writes it (upper-case hex byte pairs joined by ':').</summary>
    private static string Serial(X509Certificate2 certificate) => string.Join(':', certificate.SerialNumberBytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2"), new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(TestPki.Now.AddDays(-1), TestPki.Now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A ClientHello that offers only TLS 1.{minor - 1} and one CBC suite, written by hand: .NET will not send one.</summary>
    private static byte[] OldClientHello(byte minor)
    {
        var random = RandomNumberGenerator.GetBytes(32);
        byte[] body = [0x03, minor, .. random, 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00];
        byte[] handshake = [0x01, 0x00, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return [0x16, 0x03, minor, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];
    }

    /// <summary>Bytes that are not a TLS ClientHello; the queue manager must close the connection without a channel byte.</summary>
    private static async Task RawBytes(int port, byte[] bytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(bytes);
        var buffer = new byte[256];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while (read < buffer.Length && (n = await stream.ReadAtLeastAsync(buffer.AsMemory(read), 1, throwOnEndOfStream: false, timeout.Token)) > 0)
            {
                read += n;
            }
        }
        catch (IOException)
        {
        }

        // The only answers allowed: a TLS alert record (content type 21), or in the clear one status frame saying TLS is
        // required (AMQ9639E); never channel data.
        if (read > 0 && buffer[0] != 21 && !IsTlsRequired(buffer.AsSpan(0, read)))
        {
            throw new InvalidOperationException($"the queue manager answered {Convert.ToHexString(buffer, 0, read)} to a non-TLS peer");
        }
    }

    private static bool IsTlsRequired(ReadOnlySpan<byte> answer) =>
        answer.Length > FrameStream.HeaderBytes
        && System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(answer) == answer.Length - FrameStream.HeaderBytes
        && ChannelFrames.Decode(answer[FrameStream.HeaderBytes..]).Segment is StatusSegment { AmqCode: "AMQ9639E" };

    /// <summary>What a client would send first without TLS: a channel frame with its initial data.</summary>
    private static byte[] PlaintextHello()
    {
        var frame = ChannelFrames.Encode(new InitialData("APP.SVRCONN", ChannelType.Client, "QMH", 1, 4_194_304, 300, 999_999_999, "TLS_AES_128_GCM_SHA256", 0, 0, "plain"));
        var bytes = new byte[frame.Length + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, frame.Length);
        frame.CopyTo(bytes, 4);
        return bytes;
    }

    private static void Report(string name, bool refused, string? code, string expected, int depth, bool goodAfter)
    {
        if (Environment.GetEnvironmentVariable("ACTORQM_HOSTILE_REPORT") is { Length: > 0 } path)
        {
            File.AppendAllText(path, string.Join('\t', name, refused ? "refused" : "ACCEPTED", code ?? "-", expected, depth, goodAfter ? "yes" : "NO") + "\n", new UTF8Encoding(false));
        }
    }

    public new void Dispose()
    {
        base.Dispose();
        _responders.ForEach(r => r.Dispose());
        _http.Dispose();
        _dir.Dispose();
    }
}
