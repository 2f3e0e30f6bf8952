using Akka.Configuration;

namespace ActorQm.Configuration;

/// <summary>
/// Reads HOCON text so that no input hangs or ends in a stack trace: the text is first checked for
/// what Akka's parser mishandles (an unbalanced bracket, on which it loops; a quoted string not
/// closed on its line, which it takes into the value), then parsed within a time bound
/// (docs/configuration.md, "Strict settings").
/// </summary>
public static class HoconText
{
    /// <summary>The longest a parse may take; HOCON files are small, so a slow parse is a stuck one.</summary>
    public static readonly TimeSpan ParseTimeout = TimeSpan.FromSeconds(5);

    /// <param name="source">Where the text comes from, for error messages (a file name).</param>
    public static Config Parse(string text, string source)
    {
        if (Structure(text) is { } problem)
        {
            throw new ConfigurationException($"{source}: not valid HOCON: {problem}");
        }

        var parse = Task.Run(() => ConfigurationFactory.ParseString(text));
        try
        {
            if (!parse.Wait(ParseTimeout))
            {
                throw new ConfigurationException($"{source}: not valid HOCON: the parser did not finish within {ParseTimeout.TotalSeconds:0} s");
            }

            return parse.Result;
        }
        catch (AggregateException e) when (e.InnerException is { } inner)
        {
            throw new ConfigurationException($"{source}: not valid HOCON: {inner.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>The first structural problem (with its line), or null: brackets and braces must pair, quotes close on their line.</summary>
    internal static string? Structure(string text)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n':
                    line++;
                    break;
                case '#':
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '"' when i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"':
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        return $"line {line}: a \"\"\" string is not closed";
                    }

                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                    break;
                case '"':
                    var start = line;
                    i++;
                    while (i < text.Length && text[i] != '"' && text[i] != '\n')
                    {
                        i += text[i] == '\\' ? 2 : 1;
                    }

                    if (i >= text.Length || text[i] != '"')
                    {
                        return $"line {start}: a quoted string is not closed on its line";
                    }

                    break;
                case '=' when text.AsSpan(i + 1).TrimStart(" \t").StartsWith("="):
                    return $"line {line}: '=' follows '=' (one separator between a key and its value)";
                case '{' or '[':
                    open.Push((c, line));
                    break;
                case '}' or ']':
                    var expected = c == '}' ? '{' : '[';
                    if (open.Count == 0)
                    {
                        return $"line {line}: '{c}' closes nothing";
                    }

                    var (bracket, at) = open.Pop();
                    if (bracket != expected)
                    {
                        return $"line {line}: '{c}' closes the '{bracket}' of line {at}";
                    }

                    break;
            }
        }

        return open.Count > 0 ? $"line {open.Peek().Line}: '{open.Peek().Bracket}' is not closed" : null;
    }
}
