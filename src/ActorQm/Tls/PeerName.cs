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
/// itself so every attribute (including repeated OU/DC and multi-valued RDNs) is seen.
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

    private PeerName(IReadOnlyList<DnAttribute> attributes) => Attributes = attributes;

    /// <summary>No attributes at all: matches no filter that names an attribute.</summary>
    public static PeerName Empty { get; } = new([]);

    public IReadOnlyList<DnAttribute> Attributes { get; }

    /// <summary>The subject of <paramref name="certificate"/> with its serial number first, as SSLPEER sees it.</summary>
    public static PeerName Subject(X509Certificate2 certificate)
    {
        var serial = string.Join(':', certificate.SerialNumberBytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        return new PeerName([new DnAttribute("SERIALNUMBER", serial), .. Decode(certificate.SubjectName.RawData)]);
    }

    /// <summary>The issuer of <paramref name="certificate"/>, as SSLCERTI sees it.</summary>
    public static PeerName Issuer(X509Certificate2 certificate) => new(Decode(certificate.IssuerName.RawData));

    public static PeerName FromDer(ReadOnlySpan<byte> der) => new(Decode(der));

    /// <summary>A DN written as text (e.g. the SSLPEER of DISPLAY CHLAUTH ... MATCH(RUNCHECK)), in the order written.</summary>
    public static PeerName Parse(string text) => new(DistinguishedNameFilter.Parse(text).Attributes().ToList());

    /// <summary>Every value of one attribute type, in rendered (leaf-first) order.</summary>
    public IEnumerable<string> ValuesOf(string type) => Attributes.Where(a => a.Type == type).Select(a => a.Value);

    /// <summary>MQ's rendering, e.g. <c>SERIALNUMBER=78:40:26,CN=QM1,OU=MQ,O=Example,C=GB</c>.</summary>
    public override string ToString() => string.Join(',', Attributes.Select(a => $"{a.Type}={Escape(a.Value)}"));

    private static string Escape(string value)
    {
        if (value.IndexOfAny([',', ';', '"', '\\', '+', '=']) < 0 && value.Trim() == value)
        {
            return value;
        }

        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Reads RDNSequence ::= SEQUENCE OF SET OF AttributeTypeAndValue; returns leaf-first order.</summary>
    private static List<DnAttribute> Decode(ReadOnlySpan<byte> der)
    {
        var rdns = new List<List<DnAttribute>>();
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
                var value = ReadValue(atv);
                rdn.Add(new DnAttribute(Keywords.GetValueOrDefault(oid, oid), value));
            }

            rdns.Add(rdn);
        }

        rdns.Reverse();
        return rdns.SelectMany(r => r).ToList();
    }

    private static string ReadValue(AsnReader atv)
    {
        var tag = atv.PeekTag();
        if (tag.TagClass == TagClass.Universal)
        {
            switch ((UniversalTagNumber)tag.TagValue)
            {
                case UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                    or UniversalTagNumber.BMPString or UniversalTagNumber.NumericString or UniversalTagNumber.VisibleString
                    or UniversalTagNumber.UniversalString:
                    return atv.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                case UniversalTagNumber.T61String:
                    // Teletex in certificates is in practice Latin-1.
                    return Encoding.Latin1.GetString(atv.ReadOctetString(new Asn1Tag(UniversalTagNumber.T61String)));
            }
        }

        return "#" + Convert.ToHexString(atv.ReadEncodedValue().Span);
    }
}
