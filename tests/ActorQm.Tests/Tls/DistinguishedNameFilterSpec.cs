using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class DistinguishedNameFilterSpec
{
    /// <summary>A real certificate; the builder writes RDNs in reverse of the order added, so add them leaf-first (CN first).</summary>
    private static X509Certificate2 Certificate(Action<X500DistinguishedNameBuilder> subject, byte[]? serial = null)
    {
        var builder = new X500DistinguishedNameBuilder();
        subject(builder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(builder.Build(), key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var self = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        return serial is null ? X509CertificateLoader.LoadCertificate(self.RawData) : X509CertificateLoader.LoadCertificate(
            request.Create(self.SubjectName, X509SignatureGenerator.CreateForECDsa(key), now.AddDays(-1), now.AddDays(1), serial).RawData);
    }

    /// <summary>CN=qm1,OU=IBM,OU=WEBSPHERE,O="IBM, Inc",ST=MA,C=GB as rendered.</summary>
    private static void Qm1Subject(X500DistinguishedNameBuilder b)
    {
        b.AddCommonName("qm1");
        b.AddOrganizationalUnitName("IBM");
        b.AddOrganizationalUnitName("WEBSPHERE");
        b.AddOrganizationName("IBM, Inc");
        b.AddStateOrProvinceName("MA");
        b.AddCountryOrRegion("GB");
    }

    private static readonly X509Certificate2 Qm1 = Certificate(Qm1Subject, serial: [0x78, 0x40, 0x26, 0x54]);

    private static bool Match(string filter, X509Certificate2? cert = null) =>
        DistinguishedNameFilter.Parse(filter).Matches(PeerName.Subject(cert ?? Qm1));

    private static string Rejected(string filter) =>
        Assert.Throws<PeerNameFilterException>(() => DistinguishedNameFilter.Parse(filter)).Reason;

    [Fact]
    public void PeerName_must_render_the_subject_leaf_first_with_the_serial_number_in_front()
    {
        Assert.Equal("SERIALNUMBER=78:40:26:54,CN=qm1,OU=IBM,OU=WEBSPHERE,O=\"IBM, Inc\",ST=MA,C=GB", PeerName.Subject(Qm1).ToString());
        Assert.Equal("CN=qm1,OU=IBM,OU=WEBSPHERE,O=\"IBM, Inc\",ST=MA,C=GB", PeerName.Issuer(Qm1).ToString());
    }

    [Fact]
    public void Filter_must_compare_values_without_regard_to_case()
    {
        Assert.True(Match("CN=QM1"));
        Assert.False(Match("CN=QM2"));
    }

    [Theory]
    [InlineData("cn=QM1", "attribute types must be upper case")]
    [InlineData("CN =QM1", "no blank is allowed between the attribute type and '='")]
    [InlineData("GIVENNAME=x", "not an attribute type SSLPEER can filter on")]
    [InlineData("O=IBM, Inc", "expected TYPE=value")]
    [InlineData("CN=a,CN=b", "only OU and DC may appear more than once")]
    [InlineData("CN=\"unclosed", "quoted value is not closed")]
    [InlineData("CN=a,", "separator at the end with nothing after it")]
    [InlineData("=a", "missing attribute type before '='")]
    public void Filter_must_be_refused_when_malformed(string filter, string reason)
    {
        Assert.Equal(reason, Rejected(filter));
    }

    [Fact]
    public void Filter_must_be_refused_beyond_1024_bytes()
    {
        Assert.StartsWith("longer than 1024", Rejected("CN=" + new string('x', 1022)), StringComparison.Ordinal);
        Assert.True(DistinguishedNameFilter.TryParse("CN=" + new string('x', 1021), out _, out _));
    }

    [Fact]
    public void Filter_must_accept_semicolons_and_blanks_around_separators()
    {
        Assert.True(Match("CN=QM1 ; O=\"IBM, Inc\" ,  C=GB"));
    }

    [Fact]
    public void Filter_must_keep_commas_and_blanks_inside_quotes()
    {
        Assert.True(Match("O=\"IBM, Inc\""));
        Assert.True(Match("CN=  QM1  "));
        Assert.False(Match("CN=\"  QM1  \""));
    }

    [Theory]
    [InlineData("ST=MA")]
    [InlineData("SP=MA")]
    [InlineData("S=MA")]
    public void Filter_must_treat_ST_SP_and_S_alike(string filter) => Assert.True(Match(filter));

    [Theory]
    [InlineData("CN=QM*", true)]
    [InlineData("CN=*M1", true)]
    [InlineData("CN=*M*", true)]
    [InlineData("CN=*", true)]
    [InlineData("CN=Q*1", false)]
    [InlineData("CN=\\*M1", false)]
    [InlineData("CN=X*", false)]
    public void Filter_must_apply_wildcards_only_at_the_ends(string filter, bool matches) => Assert.Equal(matches, Match(filter));

    [Fact]
    public void Filter_must_match_a_literal_asterisk_where_the_value_has_one()
    {
        var star = Certificate(b => b.AddCommonName("*QM1"));
        var middle = Certificate(b => b.AddCommonName("Q*1"));

        Assert.True(Match("CN=\\*QM1", star));
        Assert.False(Match("CN=\\*QM1"));
        Assert.True(Match("CN=Q*1", middle));
    }

    [Theory]
    [InlineData("OU=IBM", true)]
    [InlineData("OU=IBM,OU=WEBSPHERE", true)]
    [InlineData("OU=WEBSPHERE,OU=IBM", false)]
    [InlineData("OU=WEBSPHERE", false)]
    [InlineData("OU=IBM,OU=WEBSPHERE,OU=MORE", false)]
    [InlineData("CN=QM*,OU=IBM,OU=WEB*", true)]
    public void Filter_must_compare_OUs_in_order_from_the_first(string filter, bool matches) => Assert.Equal(matches, Match(filter));

    [Fact]
    public void Filter_must_not_match_when_the_certificate_lacks_an_attribute_it_names()
    {
        Assert.False(Match("L=London"));
        Assert.False(Match("DC=com"));
    }

    [Fact]
    public void Filter_must_pin_one_certificate_by_serial_number()
    {
        var reissued = Certificate(Qm1Subject, serial: [0x01, 0x02]);

        Assert.True(Match("SERIALNUMBER=78:40:26:54,CN=QM1"));
        Assert.False(Match("SERIALNUMBER=78:40:26:54,CN=QM1", reissued));
    }

    [Fact]
    public void Filter_must_pin_the_certificate_serial_never_a_subject_serialNumber_attribute()
    {
        var app1 = Certificate(b => b.AddCommonName("APP1"), serial: [0x0A, 0x0B]);
        var impostor = Certificate(b =>
        {
            b.Add("2.5.4.5", "0A:0B", System.Formats.Asn1.UniversalTagNumber.PrintableString);
            b.AddCommonName("APP1");
        }, serial: [0x0C]);

        Assert.True(Match("SERIALNUMBER=0A:0B,CN=APP1", app1));
        Assert.False(Match("SERIALNUMBER=0A:0B,CN=APP1", impostor));
        Assert.False(Match("SERIALNUMBER=*0B", impostor));
        Assert.True(Match("SERIALNUMBER=0C,CN=APP1", impostor));
    }

    private static readonly X509Certificate2 Mallory = Certificate(b =>
    {
        b.AddCommonName("MALLORY");
        b.AddCommonName("ADMIN");
        b.AddOrganizationalUnitName("OPS");
        b.AddOrganizationName("Example");
    });

    [Theory]
    [InlineData("CN=ADMIN")]
    [InlineData("CN=MALLORY")]
    [InlineData("CN=*")]
    [InlineData("CN=ADM*,OU=OPS,O=Example")]
    public void Filter_must_not_match_an_attribute_the_subject_repeats_where_the_filter_names_it_once(string filter)
    {
        Assert.False(Match(filter, Mallory));
        Assert.Contains("CN occurs 2 times", DistinguishedNameFilter.Parse(filter).Mismatch(PeerName.Subject(Mallory)), StringComparison.Ordinal);
    }

    [Fact]
    public void Filter_must_still_match_a_subject_that_repeats_an_attribute_the_filter_does_not_name()
    {
        Assert.True(Match("OU=OPS,O=Example", Mallory));
        Assert.Null(DistinguishedNameFilter.Parse("O=Example").Mismatch(PeerName.Subject(Mallory)));
    }

    [Fact]
    public void Filter_must_not_match_an_attribute_repeated_inside_one_multi_valued_RDN()
    {
        // SET { CN=MALLORY, CN=ADMIN } as one RDN, then O=Example above it.
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSetOf())
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("2.5.4.10");
                writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String, "Example");
            }

            using (writer.PushSetOf())
            {
                foreach (var cn in new[] { "MALLORY", "ADMIN" })
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("2.5.4.3");
                        writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String, cn);
                    }
                }
            }
        }

        var name = PeerName.FromDer(writer.Encode());

        Assert.Equal(2, name.ValuesOf("CN").Count());
        Assert.False(DistinguishedNameFilter.Parse("CN=ADMIN").Matches(name));
        Assert.True(DistinguishedNameFilter.Parse("O=Example").Matches(name));
    }

    [Fact]
    public void Filter_must_match_no_malformed_name()
    {
        var name = PeerName.FromDer(Support.TestPki.RawName(
            ("2.5.4.3", System.Formats.Asn1.UniversalTagNumber.PrintableString, "AD*MIN"u8.ToArray()),
            ("2.5.4.10", System.Formats.Asn1.UniversalTagNumber.UTF8String, "Example"u8.ToArray())).RawData);

        Assert.False(DistinguishedNameFilter.Parse("O=Example").Matches(name));
        Assert.False(DistinguishedNameFilter.Parse("CN=*").Matches(name));
        Assert.Contains("PrintableString", DistinguishedNameFilter.Parse("O=Example").Mismatch(name), StringComparison.Ordinal);
    }

    [Fact]
    public void Filter_must_accept_the_UID_USERID_and_MAIL_E_synonyms()
    {
        var cert = Certificate(b =>
        {
            b.AddEmailAddress("ops@example.com");
            b.Add("0.9.2342.19200300.100.1.1", "ops1");
            b.AddCommonName("client");
        });

        Assert.True(Match("MAIL=OPS@example.com,USERID=ops1", cert));
        Assert.True(Match("E=ops@*,UID=ops1", cert));
        Assert.Equal("E", DistinguishedNameFilter.Parse("MAIL=x").Types.Single());
    }

    [Fact]
    public void Filter_must_refuse_MAIL_and_E_when_the_subject_has_two_email_addresses()
    {
        var two = Certificate(b =>
        {
            b.AddEmailAddress("mallory@example.com");
            b.AddEmailAddress("ops@example.com");
            b.AddCommonName("client");
        });

        Assert.False(Match("MAIL=ops@example.com", two));
        Assert.False(Match("E=mallory@example.com", two));
        Assert.True(Match("CN=client", two));
    }

    [Theory]
    [InlineData("CN=APP1", "O=Example Corp,L=Leeds,C=GB")]
    [InlineData("SERIALNUMBER=01:02", "UID=u1,CN=APP1,OU=A,O=Example")]
    [InlineData("CN=APP1", "CN=APP*")]
    [InlineData("CN=APP*", "CN=AP*")]
    [InlineData("CN=APP1,O=Example", "CN=APP1")]
    [InlineData("OU=A,OU=B", "OU=A")]
    [InlineData("C=GB", "UNSTRUCTUREDNAME=x,DNQ=y")]
    public void DistinguishedNameFilter_must_rank_attribute_by_attribute_in_MQ_order(string moreSpecific, string lessSpecific)
    {
        var more = DistinguishedNameFilter.Parse(moreSpecific);
        var less = DistinguishedNameFilter.Parse(lessSpecific);

        Assert.True(more.CompareSpecificity(less) > 0);
        Assert.True(less.CompareSpecificity(more) < 0);
        Assert.Equal(0, more.CompareSpecificity(DistinguishedNameFilter.Parse(moreSpecific)));
    }
}
