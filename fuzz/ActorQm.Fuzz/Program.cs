using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Protocol;
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
    }
    ,
    // SSLPEER filters and distinguished names: a filter or a PeerNameFilterException.
    "dn" => data =>
    {
        var text = System.Text.Encoding.UTF8.GetString(data);
        if (DistinguishedNameFilter.TryParse(text, out var filter, out _))
        {
            filter!.Matches(PeerName.Parse(text));
        }
    }
    ,
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
    }
    ,
    // HOCON settings as an administrator writes them: settings or one ConfigurationException, never a hang
    // (afl's -t bound counts one) and never another exception.
    "hocon" => data =>
    {
        try
        {
            var config = ActorQm.Configuration.HoconText.Parse(System.Text.Encoding.UTF8.GetString(data), "fuzz");
            ActorQm.Configuration.ActorQmSettings.Create(config);
        }
        catch (Akka.Configuration.ConfigurationException)
        {
        }
    }
    ,
    // OCSP answers, read as for a real request (args: issuer PEM, certificate PEM, the request whose nonce the seeds carry): an answer, never an exception.
    "ocsp" => OcspTarget(args),
    // Path building over whatever certificates a peer could send: a verdict within the builder's bounds, never an exception.
    "paths" => PathsTarget,
    _ => throw new ArgumentException("usage: ActorQm.Fuzz frames | mqsc | dn | crl | paths | hocon | ocsp <issuer.pem> <leaf.pem> <request.der>"),
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

// Input: one byte (how many of the certificates after the peer's are trust anchors), then certificates
// as [2-byte big-endian length][DER]; the first is the peer's, the rest intermediates. Certificates
// .NET cannot load are dropped, as the TLS layer would never deliver them.
static void PathsTarget(ReadOnlySpan<byte> data)
{
    if (data.Length < 1)
    {
        return;
    }

    var anchorCount = data[0] % 4;
    var certificates = new List<X509Certificate2>();
    for (var rest = data[1..]; rest.Length >= 2;)
    {
        var length = Math.Min((rest[0] << 8) | rest[1], rest.Length - 2);
        try
        {
            certificates.Add(X509CertificateLoader.LoadCertificate(rest.Slice(2, length)));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
        }

        rest = rest[(2 + length)..];
    }

    if (certificates.Count == 0)
    {
        return;
    }

    var anchors = certificates.Skip(1).Take(anchorCount).ToList();
    var intermediates = certificates.Skip(1 + anchorCount).ToList();
    ChainValidator.Validate(certificates[0], new ChainPolicy(anchors, intermediates, CertificateUsage.Client, DateTimeOffset.UnixEpoch.AddYears(56)));

    // A peer certificate BouncyCastle cannot read has no path (Validate refused it above): the builder says so with an ArgumentException.
    var limits = new PathBuilder.Limits();
    PathBuilder builder;
    try
    {
        builder = PathBuilder.For(certificates[0], anchors, intermediates, 12, limits);
    }
    catch (ArgumentException)
    {
        return;
    }

    foreach (var _ in builder.Paths())
    {
    }

    if (builder.SignatureChecks > limits.MaxSignatureChecks || builder.Steps > limits.MaxSteps + 1)
    {
        throw new InvalidOperationException($"path building went past its bounds: {builder.SignatureChecks} signatures, {builder.Steps} steps");
    }
}
