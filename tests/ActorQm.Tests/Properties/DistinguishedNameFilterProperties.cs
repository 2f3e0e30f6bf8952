using ActorQm.Tls;
using FsCheck;
using FsCheck.Fluent;

namespace ActorQm.Tests.Properties;

/// <summary>
/// Laws of SSLPEER matching (spec: attributes are ANDed, values compared without case, a trailing
/// or leading * matches any run, OU values in order), checked on generated distinguished names.
/// </summary>
public sealed class DistinguishedNameFilterProperties
{
    private static readonly Gen<string> Value = ChannelFramesProperties.Text(12, "abcdefgXYZ019 .-").Where(v => v.Trim().Length > 0 && v.Trim() == v);

    /// <summary>A DN with a CN, one to three OUs, an O and maybe a C.</summary>
    private static readonly Gen<(string Cn, string[] Ous, string O, string? C)> Names =
        from cn in Value
        from ous in Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Value, n))
        from o in Value
        from c in Gen.Elements<string?>(null, "GB", "US")
        select (cn, ous, o, c);

    private static string Dn((string Cn, string[] Ous, string O, string? C) n) =>
        string.Join(",", new[] { $"CN={n.Cn}" }.Concat(n.Ous.Select(o => $"OU={o}")).Append($"O={n.O}").Concat(n.C is null ? [] : [$"C={n.C}"]));

    private static PeerName Peer((string Cn, string[] Ous, string O, string? C) n) => PeerName.Parse(Dn(n));

    [Fact]
    public void DistinguishedNameFilter_must_match_the_name_it_was_written_from() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), n => DistinguishedNameFilter.Parse(Dn(n)).Matches(Peer(n))));

    [Fact]
    public void DistinguishedNameFilter_must_match_values_without_regard_to_case() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), n =>
            DistinguishedNameFilter.Parse(Dn((n.Cn.ToLowerInvariant(), n.Ous.Select(o => o.ToUpperInvariant()).ToArray(), n.O.ToLowerInvariant(), n.C))).Matches(Peer(n))));

    [Fact]
    public void DistinguishedNameFilter_must_match_any_subset_of_the_names_attributes() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), n =>
            DistinguishedNameFilter.Parse($"CN={n.Cn}").Matches(Peer(n))
            && DistinguishedNameFilter.Parse($"O={n.O},CN={n.Cn}").Matches(Peer(n))
            && DistinguishedNameFilter.Parse($"OU={n.Ous[0]}").Matches(Peer(n))));

    [Fact]
    public void DistinguishedNameFilter_must_let_a_trailing_or_leading_wildcard_stand_for_any_run() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), Gen.Choose(0, 12).ToArbitrary(), (n, cut) =>
        {
            var keep = Math.Min(cut, n.Cn.Length);
            return DistinguishedNameFilter.Parse($"CN={n.Cn[..keep]}*,O={n.O}").Matches(Peer(n))
                && DistinguishedNameFilter.Parse($"CN=*{n.Cn[keep..]},O={n.O}").Matches(Peer(n));
        }));

    [Fact]
    public void DistinguishedNameFilter_must_refuse_a_name_whose_value_differs() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), n =>
            !DistinguishedNameFilter.Parse($"CN={n.Cn}x,O={n.O}").Matches(Peer(n))
            && !DistinguishedNameFilter.Parse($"CN={n.Cn},O={n.O}x").Matches(Peer(n))
            && !DistinguishedNameFilter.Parse($"CN={n.Cn},L=nowhere").Matches(Peer(n))));

    [Fact]
    public void DistinguishedNameFilter_must_compare_organizational_units_in_order() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.Where(n => n.Ous.Length >= 2 && !n.Ous[0].Equals(n.Ous[1], StringComparison.OrdinalIgnoreCase)).ToArbitrary(), n =>
            DistinguishedNameFilter.Parse($"OU={n.Ous[0]},OU={n.Ous[1]}").Matches(Peer(n))
            && !DistinguishedNameFilter.Parse($"OU={n.Ous[1]},OU={n.Ous[0]}").Matches(Peer(n))));

    [Fact]
    public void DistinguishedNameFilter_must_match_no_value_of_an_attribute_the_name_repeats() =>
        Check.One(ChannelFramesProperties.Seeded, Prop.ForAll(Names.ToArbitrary(), Value.ToArbitrary(), (n, extra) =>
        {
            var twice = PeerName.FromDer(new System.Security.Cryptography.X509Certificates.X500DistinguishedName($"CN={extra},{Dn(n)}").RawData);
            return !DistinguishedNameFilter.Parse($"CN={n.Cn}").Matches(twice)
                && !DistinguishedNameFilter.Parse($"CN={extra}").Matches(twice)
                && !DistinguishedNameFilter.Parse("CN=*").Matches(twice)
                && DistinguishedNameFilter.Parse($"O={n.O}").Matches(twice);
        }));
}
