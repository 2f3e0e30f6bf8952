using ActorQm.Mqsc;

namespace ActorQm.Tests.Mqsc;

public sealed class MqscParserSpec
{
    [Theory]
    [InlineData("DISPLAY QLOCAL(*)", true)]
    [InlineData("  dis chstatus(*) all", true)]
    [InlineData("DEFINE QLOCAL(DISPLAY)", false)]
    [InlineData("DISPLAYX QLOCAL(*)", false)]
    [InlineData("* DISPLAY in a comment", false)]
    public void Parser_must_tell_a_DISPLAY_command_by_its_verb(string text, bool display) =>
        Assert.Equal(display, MqscParser.IsDisplay(MqscParser.SplitCommands(text).DefaultIfEmpty(new MqscParser.CommandSource(text, [])).First()));

    [Fact]
    public void Parser_must_fold_keywords_and_unquoted_values_and_keep_quoted_case()
    {
        var cmd = MqscParser.ParseCommand("define qlocal(app.in) descr('Mixed Case') defpsist(yes)");

        Assert.Equal("DEFINE", cmd.Verb);
        Assert.Equal("QLOCAL", cmd.ObjectType);
        Assert.Equal("APP.IN", cmd.ObjectName!.Text);
        Assert.Equal("Mixed Case", cmd.Find("DESCR")!.Values[0].Text);
        Assert.Equal("YES", cmd.Find("DEFPSIST")!.Values[0].Text);
    }

    [Fact]
    public void Parser_must_accept_abbreviations_and_doubled_quotes()
    {
        var cmd = MqscParser.ParseCommand("DEF QL('it''s') DESCR('a ''quoted'' word')");

        Assert.Equal("DEFINE", cmd.Verb);
        Assert.Equal("QLOCAL", cmd.ObjectType);
        Assert.Equal("it's", cmd.ObjectName!.Text);
        Assert.Equal("a 'quoted' word", cmd.Find("DESCR")!.Values[0].Text);
    }

    [Fact]
    public void Parser_must_join_plus_continuations_without_leading_blanks_and_minus_continuations_as_is()
    {
        var script = "DEFINE QLOCAL(A) DESCR('one +\n      two') +\n   MAXDEPTH(10)\nDEFINE QLOCAL(B) DESCR('x -\n  y')";

        var commands = MqscParser.ParseScript(script);

        Assert.Equal(2, commands.Count);
        Assert.Equal("one two", commands[0].Find("DESCR")!.Values[0].Text);
        Assert.Equal("10", commands[0].Find("MAXDEPTH")!.Values[0].Text);
        Assert.Equal("x   y", commands[1].Find("DESCR")!.Values[0].Text);
    }

    [Fact]
    public void Parser_must_skip_comments_and_blank_lines()
    {
        var commands = MqscParser.ParseScript("* a comment\n\n   * indented comment\nDISPLAY QMGR\n");

        var only = Assert.Single(commands);
        Assert.Equal("QMGR", only.ObjectType);
        Assert.Equal(new MqscPosition(4, 1), only.Position);
    }

    [Fact]
    public void Parser_must_read_value_lists()
    {
        var cmd = MqscParser.ParseCommand("DEFINE NAMELIST(NL) NAMES('OCSP.1', LDAP.CRL ,'x')");

        Assert.Equal(new[] { "OCSP.1", "LDAP.CRL", "x" }, cmd.Find("NAMES")!.Values.Select(v => v.Text));
    }

    [Theory]
    [InlineData("DEFINE QLOCAL('A) MAXDEPTH(1)", "AMQ8405E", 1, 15)]
    [InlineData("DEFINE QLOCAL(A) MAXDEPTH(1", "AMQ8405E", 1, 26)]
    [InlineData("DEFYNE QLOCAL(A)", "AMQ8426E", 1, 1)]
    [InlineData("DEFINE QLOKAL(A)", "AMQ8405E", 1, 8)]
    [InlineData("DEFINE QLOCAL(A) MAXDEPTH(1) MAXDEPTH(2)", "AMQ8405E", 1, 30)]
    [InlineData("DEFINE QLOCAL(A) (1)", "AMQ8405E", 1, 18)]
    [InlineData("DEFINE QLOCAL(A) NAMES(A,,B)", "AMQ8405E", 1, 26)]
    public void Parser_must_report_malformed_commands_with_code_line_and_column(string text, string code, int line, int column)
    {
        var e = Assert.Throws<MqscException>(() => MqscParser.ParseCommand(text));

        Assert.Equal(code, e.Code);
        Assert.Equal(new MqscPosition(line, column), e.Position);
    }

    [Fact]
    public void Parser_must_report_the_original_line_of_an_error_inside_a_continued_command()
    {
        var script = "DEFINE QLOCAL(A) +\n  DESCR('fine')\nDEFINE QLOCAL(B) +\n   MAXDEPTH(5 +\n   DESCR('x')";

        var e = Assert.Throws<MqscException>(() => MqscParser.ParseScript(script));

        Assert.Equal(new MqscPosition(5, 4), e.Position);
    }
}
