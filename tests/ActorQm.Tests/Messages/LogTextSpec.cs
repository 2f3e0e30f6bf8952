using ActorQm.Messages;
using ActorQm.Tls;

namespace ActorQm.Tests.Messages;

public sealed class LogTextSpec
{
    [Theory]
    [InlineData("CN=APP1,O=Example", "CN=APP1,O=Example")]
    [InlineData("intruder\ninfo: forged", "intruder\\0Ainfo: forged")]
    [InlineData("a\r\u0000b\u0085", "a\\0D\\00b\\C2\\85")]
    [InlineData("Zürich ✓", "Zürich ✓")]
    public void LogText_must_escape_control_characters_and_keep_everything_else(string text, string printable) =>
        Assert.Equal(printable, LogText.Printable(text));

    [Fact]
    public void PeerName_must_render_a_line_break_in_a_name_as_an_escape()
    {
        var name = PeerName.Parse("CN=\"two\u000Alines\",O=Example").ToString();

        Assert.DoesNotContain('\n', name);
        Assert.Contains("\\0A", name, StringComparison.Ordinal);
    }
}
