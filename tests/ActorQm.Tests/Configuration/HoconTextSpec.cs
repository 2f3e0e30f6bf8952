using ActorQm.Configuration;
using ActorQm.Tests.Support;
using Akka.Configuration;

namespace ActorQm.Tests.Configuration;

[Collection(MeasuredAlone.Name)]
public sealed class HoconTextSpec
{
    [Theory]
    [InlineData("a { b = [1, }", "line 1: '}' closes the '[' of line 1")]
    [InlineData("a {\n  b = 1\n", "line 1: '{' is not closed")]
    [InlineData("a = \"abc\nb = 1", "line 1: a quoted string is not closed on its line")]
    [InlineData("a = = \"x\"", "line 1: '=' follows '='")]
    [InlineData("a = 1 }", "line 1: '}' closes nothing")]
    [InlineData("a = \"\"\"x", "line 1: a \"\"\" string is not closed")]
    public void HoconText_must_refuse_what_Akkas_parser_hangs_on_or_misreads_naming_the_line(string text, string problem)
    {
        var e = Assert.Throws<ConfigurationException>(() => HoconText.Parse(text, "t.conf"));

        Assert.StartsWith("t.conf: not valid HOCON: " + problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HoconText_must_read_what_HOCON_allows_around_brackets_and_quotes()
    {
        var config = HoconText.Parse(""""
            # a { comment [ with brackets
            a { b = "x } y", c = [1, 2], e = "say \"hi\"" }
            // a comment with a [
            f = """multi
            line { """
            g = "http://host:80/p"
            """", "t.conf");

        Assert.Equal("x } y", config.GetString("a.b"));
        Assert.Equal([1, 2], config.GetIntList("a.c"));
        Assert.Equal("say \"hi\"", config.GetString("a.e"));
        Assert.Contains("line {", config.GetString("f"), StringComparison.Ordinal);
    }

    [Fact]
    public void HoconText_must_answer_within_its_bound_on_the_input_that_used_to_hang()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.Throws<ConfigurationException>(() => HoconText.Parse("actorqm.queue-managers { QM1 { store.path = [1, } }", "t.conf"));
        Assert.True(watch.Elapsed < HoconText.ParseTimeout, $"took {watch.Elapsed}");
    }
}
