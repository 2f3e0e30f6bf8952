using System.Net;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class AddressPatternSpec
{
    [Theory]
    [InlineData("*", "10.1.2.3", true)]
    [InlineData("10.9.*", "10.9.200.1", true)]
    [InlineData("10.9.*", "10.8.200.1", false)]
    [InlineData("192.*.2", "192.7.8.2", true)]
    [InlineData("192.*.2", "192.7.8.3", false)]
    [InlineData("192.0.*.1-8", "192.0.77.8", true)]
    [InlineData("192.0.*.1-8", "192.0.77.9", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("2001:DB8::1", "2001:db8:0:0:0:0:0:1", true)]
    [InlineData("2001:DB8::1", "127.0.0.1", false)]
    // Not patterns MQ accepts: they match nothing, even the addresses they seem to name.
    [InlineData("127.0.0.0/8", "127.0.0.1", false)]
    [InlineData("127.0.0.5-1", "127.0.0.3", false)]
    [InlineData("10.1", "10.1.0.0", false)]
    public void AddressPattern_must_match_as_MQ_documents_and_invalid_patterns_never(string pattern, string address, bool matches) =>
        Assert.Equal(matches, AddressPattern.Matches(pattern, IPAddress.Parse(address)));

    [Fact]
    public void AddressPattern_must_name_the_part_and_where_it_starts()
    {
        var bad = AddressPattern.Validate("10.1.300.4")!;

        Assert.Equal((3, 6, "300"), (bad.Part, bad.Offset, bad.Text));
        Assert.Equal("a range a-b needs a lower than b", AddressPattern.Validate("10.1.1.5-5")!.Reason);
        Assert.Equal(5, AddressPattern.Validate("1.2.3.4.5")!.Part);
        Assert.Null(AddressPattern.Validate("*.*.*.*"));
        Assert.NotNull(AddressPattern.Validate("10.*.*"));
    }

    [Fact]
    public void AddressPattern_must_rank_a_number_over_a_range_over_a_wildcard() =>
        Assert.True(AddressPattern.Specificity("10.1.1.1") > AddressPattern.Specificity("10.1.1.1-9")
            && AddressPattern.Specificity("10.1.1.1-9") > AddressPattern.Specificity("10.1.*")
            && AddressPattern.Specificity("10.1.*") > AddressPattern.Specificity("*"));
}
