using System.Text.RegularExpressions;

namespace ActorQm.Tests.Diagnostics;

/// <summary>An AMQ code's suffix names its level (I information, W warning, E error), as in MQ's logs.</summary>
public sealed partial class AmqLogSpec
{
    [GeneratedRegex(@"\.(Info|Warning|Error)\(\s*(?:[A-Za-z_]+,\s*)?""(AMQ\d{4}([IWES]))", RegexOptions.CultureInvariant)]
    private static partial Regex CodedLogCall();

    [Fact]
    public void Log_calls_must_use_the_level_their_AMQ_code_names()
    {
        var source = Path.Combine(RepositoryRoot(), "src");
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match m in CodedLogCall().Matches(lines[i]))
                {
                    var expected = m.Groups[3].Value switch
                    {
                        "I" => "Info",
                        "W" => "Warning",
                        _ => "Error",
                    };
                    if (m.Groups[1].Value != expected)
                    {
                        wrong.Add($"{Path.GetRelativePath(source, file)}:{i + 1}: {m.Groups[2].Value} logged with {m.Groups[1].Value}");
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, "AMQ codes logged at another level than their suffix:\n" + string.Join("\n", wrong));
    }

    [GeneratedRegex(@"AMQ\d{4}[IWE]", RegexOptions.CultureInvariant)]
    private static partial Regex Code();

    [Fact]
    public void Every_AMQ_code_the_source_emits_must_be_explained_in_docs_messages()
    {
        var root = RepositoryRoot();
        var reference = File.ReadAllText(Path.Combine(root, "docs", "messages.md"));
        var missing = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Code().Matches(File.ReadAllText(f)).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .Where(code => !reference.Contains(code, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(missing.Count == 0, "AMQ codes emitted but not in docs/messages.md: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActorQm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"the repository is not above {AppContext.BaseDirectory}");
    }
}
