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
    _ => throw new ArgumentException("usage: ActorQm.Fuzz frames | mqsc | dn | crl"),
};

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
