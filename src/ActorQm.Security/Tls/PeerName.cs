using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ActorQm.Tls;

/// <summary>One attribute of a distinguished name with MQ's keyword for its type.</summary>
public readonly record struct DnAttribute(string Type, string Value);

/// <summary>
/// A certificate's subject or issuer as MQ renders it for SSLPEER matching and channel status:
/// attributes leaf-first (CN before C), and for a subject a leading SERIALNUMBER holding the
/// certificate's serial number as upper-case hex byte pairs joined by ':'. Decoded from the DER
/// itself so every attribute (including repeated OU/DC and multi-valued RDNs) is seen. In a
/// subject the serialNumber attribute (2.5.4.5) is rendered under its OID, never as SERIALNUMBER,
/// so that it can never pass for the certificate's serial; in an issuer (SSLCERTI, REVOKE CERT),
/// where no certificate serial competes, it is SERIALNUMBER as MQ writes it. Decoding never
/// throws: a name that is not clean DER, or whose filterable attribute is not a valid character
/// string (a '*' in a PrintableString), is <see cref="Malformed"/> and matches no filter
/// (docs/tls.md, SSLPEER).
/// </summary>
public sealed class PeerName
{
    private static readonly Dictionary<string, string> Keywords = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN",
        ["2.5.4.4"] = "SN",
        ["2.5.4.5"] = "SERIALNUMBER",
        ["2.5.4.6"] = "C",
        ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST",
        ["2.5.4.9"] = "STREET",
        ["2.5.4.10"] = "O",
        ["2.5.4.11"] = "OU",
        ["2.5.4.12"] = "T",
        ["2.5.4.17"] = "PC",
        ["2.5.4.46"] = "DNQ",
        ["0.9.2342.19200300.100.1.1"] = "UID",
        ["0.9.2342.19200300.100.1.25"] = "DC",
        ["1.2.840.113549.1.9.1"] = "E",
        ["1.2.840.113549.1.9.2"] = "UNSTRUCTUREDNAME",
        ["1.2.840.113549.1.9.8"] = "UNSTRUCTUREDADDRESS",
    };

    /// <summary>The subject's own serialNumber attribute: its OID, which no filter can name (docs/tls.md, SSLPEER).</summary>
    private const string SubjectSerialNumber = "2.5.4.5";

    private PeerName(IReadOnlyList<DnAttribute> attributes, string? malformed = null)
    {
        Attributes = attributes;
        Malformed = malformed;
    }

    /// <summary>No attributes at all: matches no filter that names an attribute.</summary>
    public static PeerName Empty { get; } = new([]);

    public IReadOnlyList<DnAttribute> Attributes { get; }

    /// <summary>Why the name is not a well-formed distinguished name (null when it is); a malformed name matches no filter.</summary>
    public string? Malformed { get; }

    /// <summary>The subject of <paramref name="certificate"/> with its serial number first, as SSLPEER sees it.</summary>
    public static PeerName Subject(X509Certificate2 certificate)
    {
        var serial = string.Join(':', certificate.SerialNumberBytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        var (attributes, malformed) = Decode(certificate.SubjectName.RawData);
        var own = attributes.Select(a => a.Type == "SERIALNUMBER" ? a with { Type = SubjectSerialNumber } : a);
        return new PeerName([new DnAttribute("SERIALNUMBER", serial), .. own], malformed);
    }

    /// <summary>The issuer of <paramref name="certificate"/>, as SSLCERTI sees it.</summary>
    public static PeerName Issuer(X509Certificate2 certificate) => FromDer(certificate.IssuerName.RawData);

    /// <summary>A DER name as an issuer name renders (SSLCERTI): no certificate serial, 2.5.4.5 as SERIALNUMBER.</summary>
    public static PeerName FromDer(ReadOnlySpan<byte> der)
    {
        var (attributes, malformed) = Decode(der);
        return new PeerName(attributes, malformed);
    }

    /// <summary>
    /// Why the subject or issuer name of <paramref name="certificate"/> cannot be relied on (null when both are
    /// well formed): every end that checks a peer refuses such a certificate as bad (AMQ9633E).
    /// </summary>
    public static string? MalformedNames(X509Certificate2 certificate) =>
        Subject(certificate).Malformed is { } subject ? $"the subject name is malformed: {subject}"
        : Issuer(certificate).Malformed is { } issuer ? $"the issuer name is malformed: {issuer}"
        : null;

    /// <summary>A DN written as text (e.g. the SSLPEER of DISPLAY CHLAUTH ... MATCH(RUNCHECK)), in the order written.</summary>
    public static PeerName Parse(string text) => new(DistinguishedNameFilter.Parse(text).Attributes().ToList());

    /// <summary>Every value of one attribute type, in rendered (leaf-first) order.</summary>
    public IEnumerable<string> ValuesOf(string type) => Attributes.Where(a => a.Type == type).Select(a => a.Value);

    /// <summary>MQ's rendering, e.g. <c>SERIALNUMBER=78:40:26,CN=QM1,OU=MQ,O=Example,C=GB</c>.</summary>
    public override string ToString() => string.Join(',', Attributes.Select(a => $"{a.Type}={Escape(a.Value)}"));

    private static string Escape(string value)
    {
        var controls = value.Any(char.IsControl);
        if (!controls && value.IndexOfAny([',', ';', '"', '\\', '+', '=']) < 0 && value.Trim() == value)
        {
            return value;
        }

        // A control character (a line break in a CN a refused caller made) is written as RFC 4514's \XX of its UTF-8 bytes,
        // so a DN never breaks a log line or a display.
        return "\"" + Messages.LogText.Printable(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)) + "\"";
    }

    /// <summary>Reads RDNSequence ::= SEQUENCE OF SET OF AttributeTypeAndValue; returns leaf-first order and the first problem found.</summary>
    private static (List<DnAttribute> Attributes, string? Malformed) Decode(ReadOnlySpan<byte> der)
    {
        var rdns = new List<List<DnAttribute>>();
        string? malformed = null;
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (sequence.HasData)
            {
                var set = sequence.ReadSetOf();
                var rdn = new List<DnAttribute>();
                while (set.HasData)
                {
                    var atv = set.ReadSequence();
                    var oid = atv.ReadObjectIdentifier();
                    var type = Keywords.GetValueOrDefault(oid, oid);
                    var (value, problem) = ReadValue(atv, type, Keywords.ContainsKey(oid));
                    atv.ThrowIfNotEmpty();
                    malformed ??= problem;
                    rdn.Add(new DnAttribute(type, value));
                }

                rdns.Add(rdn);
            }
        }
        catch (AsnContentException e)
        {
            // Nothing of a name that is not DER is trusted: no attributes, only the reason.
            return ([], $"not a DER-encoded distinguished name ({e.Message})");
        }

        rdns.Reverse();
        return (rdns.SelectMany(r => r).ToList(), malformed);
    }

    private static readonly UTF32Encoding Ucs4 = new(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true);

    private static byte[] Content(ReadOnlySpan<byte> encoded)
    {
        AsnDecoder.ReadEncodedValue(encoded, AsnEncodingRules.DER, out var offset, out var length, out _);
        return encoded.Slice(offset, length).ToArray();
    }

    /// <summary>A string value, or '#' and the hex of its encoding; a keyword attribute that is no valid string is a problem.</summary>
    private static (string Value, string? Problem) ReadValue(AsnReader atv, string type, bool keyword)
    {
        var tag = atv.PeekTag();
        var encoded = atv.ReadEncodedValue();
        string Hex() => "#" + Convert.ToHexString(encoded.Span);
        if (tag.TagClass != TagClass.Universal || tag.IsConstructed)
        {
            return (Hex(), keyword ? $"attribute {type} is not a character string" : null);
        }

        var kind = (UniversalTagNumber)tag.TagValue;
        try
        {
            var value = new AsnReader(encoded, AsnEncodingRules.DER);
            switch (kind)
            {
                case UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                    or UniversalTagNumber.BMPString or UniversalTagNumber.NumericString or UniversalTagNumber.VisibleString:
                    return (value.ReadCharacterString(kind), null);
                case UniversalTagNumber.T61String:
                    // Teletex in certificates is in practice Latin-1.
                    return (Encoding.Latin1.GetString(Content(encoded.Span)), null);
                case UniversalTagNumber.UniversalString:
                    // UCS-4 big-endian; .NET's AsnReader has no decoder for it.
                    return (Ucs4.GetString(Content(encoded.Span)), null);
            }
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException or DecoderFallbackException)
        {
            return (Hex(), $"attribute {type} is not a valid {kind}");
        }

        return (Hex(), keyword ? $"attribute {type} is not a character string" : null);
    }
}
