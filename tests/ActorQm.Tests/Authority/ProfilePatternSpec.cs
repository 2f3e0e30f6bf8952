using ActorQm.Authority;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Authority;

[Collection(MeasuredAlone.Name)]
public sealed class ProfilePatternSpec
{
    [Theory]
    [InlineData("ABC.*.JKL", "ABC.DEF.JKL", true)]
    [InlineData("ABC.*.JKL", "ABC.JKL", false)]
    [InlineData("ABC.*.JKL", "ABC.D.E.JKL", false)]
    [InlineData("ABC*", "ABCDEF", true)]
    [InlineData("ABC*", "ABC", true)]
    [InlineData("ABC*", "ABCDEF.XYZ", false)]
    [InlineData("AB.?D", "AB.CD", true)]
    [InlineData("AB.?D", "AB.CCD", false)]
    [InlineData("AB?", "AB.", false)]
    [InlineData("**", "ANY.THING.AT.ALL", true)]
    [InlineData("APP.**", "APP", true)]
    [InlineData("APP.**", "APP.A.B.C", true)]
    [InlineData("APP.**", "APPX.A", false)]
    [InlineData("A.**.Z", "A.Z", true)]
    [InlineData("A.**.Z", "A.B.C.Z", true)]
    [InlineData("A.**.Z", "A.B.C.Y", false)]
    [InlineData("*", "ONEQUALIFIER", true)]
    [InlineData("*", "TWO.QUALIFIERS", false)]
    [InlineData("PAYROLL.QUEUE", "PAYROLL.QUEUE", true)]
    [InlineData("PAYROLL.QUEUE", "payroll.queue", false)]
    [InlineData("A*B*C", "AXXBYYBZC", true)]
    [InlineData("A*B*C", "AXXBYYBZ", false)]
    public void ProfilePattern_must_match_names_as_MQ_generic_profiles_do(string profile, string name, bool matches) =>
        Assert.Equal(matches, ProfilePattern.Parse(profile).Matches(name));

    [Theory]
    [InlineData("A**")]
    [InlineData("**.A.**")]
    [InlineData("")]
    [InlineData("A.***")]
    [InlineData("APP(IN)")]
    [InlineData("APP IN")]
    [InlineData("APP'IN")]
    public void ProfilePattern_must_refuse_profiles_MQ_does_not_accept(string profile) =>
        Assert.NotNull(ProfilePattern.Validate(profile));

    [Fact]
    public void ProfilePattern_must_refuse_a_profile_longer_than_an_object_name() =>
        Assert.NotNull(ProfilePattern.Validate(new string('A', 49)));

    [Theory]
    // At the first difference a literal beats a wildcard; ? beats * beats **; a name beats every generic profile.
    [InlineData("AB.C*", "AB.*")]
    [InlineData("AB.CD", "AB.C*")]
    [InlineData("AB.?D", "AB.*")]
    [InlineData("AB.*", "AB.**")]
    [InlineData("AB.CD", "**")]
    [InlineData("ABC", "ABC*")]
    [InlineData("APP.PAYROLL.*", "APP.**")]
    public void ProfilePattern_must_rank_the_more_specific_profile_first(string more, string less)
    {
        var (a, b) = (ProfilePattern.Parse(more), ProfilePattern.Parse(less));

        Assert.True(ProfilePattern.CompareSpecificity(a, b) > 0);
        Assert.True(ProfilePattern.CompareSpecificity(b, a) < 0);
    }

    [Fact]
    public void ProfilePattern_must_stay_fast_on_a_hostile_profile()
    {
        // Many stars against a near-miss name: an exponential matcher would not return.
        var profile = ProfilePattern.Parse(string.Concat(Enumerable.Repeat("*A", 23)) + "B");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(profile.Matches(new string('A', 48)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }
}
