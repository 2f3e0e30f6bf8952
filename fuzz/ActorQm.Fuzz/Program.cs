using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Tls;
using SharpFuzz;

// afl++ harnesses (SharpFuzz) for the parsers that read what a peer or an administrator sends. Each
// target accepts the errors its parser documents; anything else escapes and afl records a crash.
// Run by scripts/fuzz.sh against an instrumented ActorQm.dll.
var target = args.Length > 0 ? args[0] : string.Empty;
Action<ReadOnlySpan<byte>> run = target switch
{
    // Channel frames: a segment or an error text, never an exception.
    "frames" => data => ChannelFrames.Decode(data),
    // MQSC text: commands or an MqscException.
    "mqsc" => data =>
    {
        try
        {
            MqscParser.ParseScript(System.Text.Encoding.UTF8.GetString(data));
        }
        catch (MqscException)
        {
        }
    },
    // SSLPEER filters and distinguished names: a filter or a PeerNameFilterException.
    "dn" => data =>
    {
        var text = System.Text.Encoding.UTF8.GetString(data);
        if (DistinguishedNameFilter.TryParse(text, out var filter, out _))
        {
            filter!.Matches(PeerName.Parse(text));
        }
    },
    // CRLs from files and LDAP: a CRL or a FormatException.
    "crl" => data =>
    {
        try
        {
            CrlDocument.Parse(data, "fuzz");
        }
        catch (FormatException)
        {
        }
    },
    // OCSP answers, read as for a real request (args: issuer PEM, certificate PEM, the request whose nonce the seeds carry): an answer, never an exception.
    "ocsp" => OcspTarget(args),
    _ => throw new ArgumentException("usage: ActorQm.Fuzz frames | mqsc | dn | crl | ocsp <issuer.pem> <leaf.pem> <request.der>"),
};

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});

static Action<ReadOnlySpan<byte>> OcspTarget(string[] args)
{
    var issuer = X509Certificate2.CreateFromPem(File.ReadAllText(args[1]));
    var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(args[2]));
    var requestBytes = File.ReadAllBytes(args[3]);
    var responder = new Uri("http://127.0.0.1/ocsp");
    var now = DateTimeOffset.UtcNow;

    // BouncyCastle is instrumented: it may run only once the fuzzer's shared memory is set up, inside the first run.
    var request = new Lazy<(Org.BouncyCastle.Ocsp.CertificateID Id, byte[] Nonce, Org.BouncyCastle.X509.X509Certificate Issuer)>(() =>
    {
        var parsed = new Org.BouncyCastle.Ocsp.OcspReq(requestBytes);
        var nonce = Org.BouncyCastle.Asn1.Asn1OctetString.GetInstance(parsed.GetExtensionValue(Org.BouncyCastle.Asn1.Ocsp.OcspObjectIdentifiers.PkixOcspNonce).GetOctets()).GetOctets();
        return (parsed.GetRequestList()[0].GetCertID(), nonce, new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(issuer.RawData));
    });
    return data =>
    {
        var (id, nonce, bcIssuer) = request.Value;
        OcspClient.Interpret(responder, data.ToArray(), id, nonce, bcIssuer, leaf, now, TimeSpan.FromMinutes(5), out _);
    };
}
