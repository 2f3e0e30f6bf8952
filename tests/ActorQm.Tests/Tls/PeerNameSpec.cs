using System.Formats.Asn1;
using System.Text;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class PeerNameSpec
{
    private const string CommonName = "2.5.4.3";
    private const string Organisation = "2.5.4.10";

    private static (string, UniversalTagNumber, byte[]) Printable(string oid, string value) => (oid, UniversalTagNumber.PrintableString, Encoding.Latin1.GetBytes(value));

    private static (string, UniversalTagNumber, byte[]) Utf8(string oid, string value) => (oid, UniversalTagNumber.UTF8String, Encoding.UTF8.GetBytes(value));

    [Fact]
    public void PeerName_must_render_a_subject_serialNumber_attribute_under_its_OID_never_as_SERIALNUMBER()
    {
        var device = TestPki.Leaf(TestPki.Shared.Ca, rawSubject: TestPki.RawName(Utf8(CommonName, "QM1"), Printable("2.5.4.5", "DEVICE-7"))).Certificate;
        var serial = string.Join(':', device.SerialNumberBytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

        var subject = PeerName.Subject(device);

        Assert.Equal($"SERIALNUMBER={serial},CN=QM1,2.5.4.5=DEVICE-7", subject.ToString());
        Assert.Equal([serial], subject.ValuesOf("SERIALNUMBER"));
    }

    [Fact]
    public void PeerName_must_render_an_issuer_serialNumber_attribute_as_SERIALNUMBER_where_no_certificate_serial_competes()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=LEAF", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var leaf = request.Create(new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=Serial CA,OID.2.5.4.5=5,O=Example"),
            System.Security.Cryptography.X509Certificates.X509SignatureGenerator.CreateForECDsa(key), TestPki.Now.AddDays(-1), TestPki.Now.AddDays(1), [0x2A]);

        Assert.Equal("CN=Serial CA,SERIALNUMBER=5,O=Example", PeerName.Issuer(leaf).ToString());
        // REVOKE CERT ISSUER('...') is written in filter syntax: it must name such an issuer and find its certificates.
        Assert.Equal(new RevokedCertificate("CN=Serial CA,SERIALNUMBER=5,O=Example", "2A", "test").Key(), RevokedCertificate.Key(PeerName.Issuer(leaf), leaf.SerialNumber));
    }

    [Fact]
    public void PeerName_must_render_emailAddress_as_E()
    {
        var name = TestPki.RawName(Utf8(CommonName, "ops"), ("1.2.840.113549.1.9.1", UniversalTagNumber.IA5String, "ops@example.com"u8.ToArray()));

        Assert.Equal("CN=ops,E=ops@example.com", PeerName.FromDer(name.RawData).ToString());
    }

    [Theory]
    [InlineData("AD*MIN")]
    [InlineData("ad@min")]
    [InlineData("ADMIN\u00e9")] // a byte above 0x7F
    public void PeerName_must_report_an_invalid_PrintableString_as_malformed_without_throwing(string value)
    {
        var name = TestPki.RawName(Printable(CommonName, value), Utf8(Organisation, "Example"));
        var certificate = TestPki.Leaf(TestPki.Shared.Ca, rawSubject: name).Certificate;

        var fromDer = PeerName.FromDer(name.RawData);
        var subject = PeerName.Subject(certificate);

        Assert.Contains("PrintableString", fromDer.Malformed, StringComparison.Ordinal);
        Assert.Contains("CN", fromDer.Malformed, StringComparison.Ordinal);
        Assert.Equal(fromDer.Malformed, subject.Malformed);
        Assert.Null(PeerName.Issuer(certificate).Malformed);
        Assert.DoesNotContain(value, subject.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("SERIALNUMBER=", subject.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PeerName_must_report_bytes_that_are_no_name_as_malformed_without_throwing()
    {
        var garbage = PeerName.FromDer([0x30, 0x05, 0x31, 0x7f, 0x00]);
        var trailing = PeerName.FromDer([.. TestPki.RawName(Utf8(CommonName, "QM1")).RawData, 0x00]);

        Assert.NotNull(garbage.Malformed);
        Assert.Empty(garbage.Attributes);
        Assert.NotNull(trailing.Malformed);
        Assert.Equal("attribute CN is not a character string", PeerName.FromDer(TestPki.RawName(("2.5.4.3", UniversalTagNumber.OctetString, "QM1"u8.ToArray())).RawData).Malformed);
        Assert.Null(PeerName.FromDer(TestPki.RawName(("1.2.3.4", UniversalTagNumber.OctetString, "x"u8.ToArray())).RawData).Malformed);
        Assert.Null(PeerName.FromDer(TestPki.RawName(Utf8(CommonName, "QM1")).RawData).Malformed);
    }
}
