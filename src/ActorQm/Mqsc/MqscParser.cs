using System.Text;

namespace ActorQm.Mqsc;

/// <summary>
/// Reads MQSC text as runmqsc does: keywords case-insensitive, unquoted names and values folded to
/// upper case, quoted strings kept as written ('' is a quote), a trailing '+' joins the next line
/// without its leading blanks, a trailing '-' joins it as is, and lines starting with '*' are comments.
/// </summary>
public static class MqscParser
{
    private static readonly Dictionary<string, string> VerbSynonyms = new(StringComparer.Ordinal)
    {
        ["DEF"] = "DEFINE", ["DIS"] = "DISPLAY", ["DELETE"] = "DELETE", ["DEFINE"] = "DEFINE",
        ["DISPLAY"] = "DISPLAY", ["ALTER"] = "ALTER", ["SET"] = "SET", ["CLEAR"] = "CLEAR",
        ["REFRESH"] = "REFRESH", ["START"] = "START", ["STOP"] = "STOP", ["RESET"] = "RESET",
        ["RESOLVE"] = "RESOLVE", ["REVOKE"] = "REVOKE",
    };

    private static readonly Dictionary<string, string> TypeSynonyms = new(StringComparer.Ordinal)
    {
        ["QL"] = "QLOCAL", ["QLOCAL"] = "QLOCAL", ["QR"] = "QREMOTE", ["QREMOTE"] = "QREMOTE",
        ["QA"] = "QALIAS", ["QALIAS"] = "QALIAS", ["Q"] = "QUEUE", ["QUEUE"] = "QUEUE",
        ["CHL"] = "CHANNEL", ["CHANNEL"] = "CHANNEL", ["QMGR"] = "QMGR", ["AUTHINFO"] = "AUTHINFO",
        ["NL"] = "NAMELIST", ["NAMELIST"] = "NAMELIST", ["LSTR"] = "LISTENER", ["LISTENER"] = "LISTENER",
        ["CHLAUTH"] = "CHLAUTH", ["QSTATUS"] = "QSTATUS", ["QS"] = "QSTATUS", ["CHSTATUS"] = "CHSTATUS",
        ["CHS"] = "CHSTATUS", ["SECURITY"] = "SECURITY", ["QMSTATUS"] = "QMSTATUS", ["CERT"] = "CERT",
        ["CLUSQMGR"] = "CLUSQMGR", ["QCLUSTER"] = "QCLUSTER", ["QC"] = "QCLUSTER",
        ["AUTHREC"] = "AUTHREC", ["ENTAUTH"] = "ENTAUTH", ["CLUSTER"] = "CLUSTER",
    };

    /// <summary>Splits a script into commands and parses each; the first bad command stops it.</summary>
    public static IReadOnlyList<MqscCommand> ParseScript(string script)
    {
        var commands = new List<MqscCommand>();
        foreach (var source in SplitCommands(script))
        {
            commands.Add(Parse(source));
        }

        return commands;
    }

    /// <summary>Parses a single command (continuations allowed).</summary>
    public static MqscCommand ParseCommand(string text)
    {
        var sources = SplitCommands(text);
        return sources.Count switch
        {
            1 => Parse(sources[0]),
            0 => throw new MqscException("AMQ8405E", "Syntax error: empty command.", new MqscPosition(1, 1)),
            _ => throw new MqscException("AMQ8405E", "Syntax error: more than one command given.", sources[1].Positions[0]),
        };
    }

    internal sealed record CommandSource(string Text, MqscPosition[] Positions);

    internal static List<CommandSource> SplitCommands(string script)
    {
        var result = new List<CommandSource>();
        var text = new StringBuilder();
        var positions = new List<MqscPosition>();
        var continuing = false;
        var stripLeading = false;
        var lines = script.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            var start = 0;
            if (!continuing)
            {
                var trimmed = line.TrimStart();
                if (trimmed.Length == 0 || trimmed[0] == '*')
                {
                    continue;
                }
            }
            else if (stripLeading)
            {
                while (start < line.Length && char.IsWhiteSpace(line[start]))
                {
                    start++;
                }
            }

            var end = line.Length;
            continuing = end > start && (line[end - 1] == '+' || line[end - 1] == '-');
            stripLeading = continuing && line[end - 1] == '+';
            if (continuing)
            {
                end--;
            }

            for (var c = start; c < end; c++)
            {
                text.Append(line[c]);
                positions.Add(new MqscPosition(i + 1, c + 1));
            }

            if (!continuing && text.ToString().Trim().Length > 0)
            {
                result.Add(new CommandSource(text.ToString(), positions.ToArray()));
                text.Clear();
                positions.Clear();
            }
        }

        if (text.ToString().Trim().Length > 0)
        {
            result.Add(new CommandSource(text.ToString(), positions.ToArray()));
        }

        return result;
    }

    private enum TokenKind
    {
        Word,
        Quoted,
        Open,
        Close,
        Comma,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, MqscPosition Position);

    /// <summary>Whether the command's verb is DISPLAY (or its synonym DIS); false for anything that does not start with a verb.</summary>
    internal static bool IsDisplay(CommandSource source)
    {
        var text = source.Text.TrimStart();
        var end = 0;
        while (end < text.Length && char.IsAsciiLetter(text[end]))
        {
            end++;
        }

        return VerbSynonyms.TryGetValue(text[..end].ToUpperInvariant(), out var verb) && verb == "DISPLAY";
    }

    internal static MqscCommand Parse(CommandSource source)
    {
        var tokens = Tokenize(source);
        var i = 0;
        var verbToken = tokens[i++];
        if (verbToken.Kind != TokenKind.Word || !VerbSynonyms.TryGetValue(verbToken.Text.ToUpperInvariant(), out var verb))
        {
            throw new MqscException("AMQ8426E", $"'{verbToken.Text}' is not a valid MQSC command verb (DEFINE, ALTER, DELETE, DISPLAY, SET, CLEAR, REFRESH).", verbToken.Position);
        }

        var typeToken = tokens[i];
        if (typeToken.Kind != TokenKind.Word || !TypeSynonyms.TryGetValue(typeToken.Text.ToUpperInvariant(), out var objectType))
        {
            throw new MqscException("AMQ8405E", $"Syntax error: '{typeToken.Text}' is not an object type that {verb} accepts.", typeToken.Position);
        }

        i++;
        MqscValue? name = null;
        if (tokens[i].Kind == TokenKind.Open)
        {
            var values = ReadValues(tokens, ref i);
            if (values.Count != 1 || values[0].Text.Length == 0)
            {
                throw new MqscException("AMQ8424E", $"Error detected in a name keyword: {objectType} needs exactly one name.", typeToken.Position);
            }

            name = values[0];
        }

        var keywords = new List<MqscKeyword>();
        while (tokens[i].Kind != TokenKind.End)
        {
            var kw = tokens[i];
            if (kw.Kind != TokenKind.Word)
            {
                throw new MqscException("AMQ8405E", $"Syntax error: keyword expected, found '{kw.Text}'.", kw.Position);
            }

            i++;
            var keyword = kw.Text.ToUpperInvariant();
            if (keywords.Any(k => k.Name == keyword))
            {
                throw new MqscException("AMQ8405E", $"Syntax error: keyword {keyword} appears more than once.", kw.Position);
            }

            if (tokens[i].Kind == TokenKind.Open)
            {
                keywords.Add(new MqscKeyword(keyword, ReadValues(tokens, ref i), true, kw.Position));
            }
            else
            {
                keywords.Add(new MqscKeyword(keyword, Array.Empty<MqscValue>(), false, kw.Position));
            }
        }

        return new MqscCommand(verb, objectType, name, keywords, verbToken.Position, source.Text.Trim());
    }

    private static List<MqscValue> ReadValues(List<Token> tokens, ref int i)
    {
        var open = tokens[i++];
        var values = new List<MqscValue>();
        var expectValue = true;
        while (true)
        {
            var t = tokens[i++];
            switch (t.Kind)
            {
                case TokenKind.Close:
                    return values;
                case TokenKind.Word or TokenKind.Quoted when expectValue:
                    values.Add(t.Kind == TokenKind.Word
                        ? new MqscValue(t.Text.ToUpperInvariant(), false, t.Position)
                        : new MqscValue(t.Text, true, t.Position));
                    expectValue = false;
                    break;
                case TokenKind.Comma when !expectValue:
                    expectValue = true;
                    break;
                case TokenKind.End:
                    throw new MqscException("AMQ8405E", "Syntax error: ')' expected before the end of the command.", open.Position);
                default:
                    throw new MqscException("AMQ8405E", $"Syntax error: unexpected '{t.Text}' inside parentheses.", t.Position);
            }
        }
    }

    private static List<Token> Tokenize(CommandSource source)
    {
        var text = source.Text;
        var tokens = new List<Token>();
        var i = 0;
        MqscPosition At(int index) => index < source.Positions.Length ? source.Positions[index] : End();
        MqscPosition End() => source.Positions.Length == 0
            ? new MqscPosition(1, 1)
            : source.Positions[^1] with { Column = source.Positions[^1].Column + 1 };

        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new Token(TokenKind.Open, "(", At(i++)));
                    continue;
                case ')':
                    tokens.Add(new Token(TokenKind.Close, ")", At(i++)));
                    continue;
                case ',':
                    tokens.Add(new Token(TokenKind.Comma, ",", At(i++)));
                    continue;
                case '\'':
                    var start = i++;
                    var value = new StringBuilder();
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new MqscException("AMQ8405E", "Syntax error: quoted string not closed.", At(start));
                        }

                        if (text[i] == '\'')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '\'')
                            {
                                value.Append('\'');
                                i += 2;
                                continue;
                            }

                            i++;
                            break;
                        }

                        value.Append(text[i++]);
                    }

                    tokens.Add(new Token(TokenKind.Quoted, value.ToString(), At(start)));
                    continue;
            }

            var wordStart = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or ',' or '\''))
            {
                i++;
            }

            tokens.Add(new Token(TokenKind.Word, text[wordStart..i], At(wordStart)));
        }

        tokens.Add(new Token(TokenKind.End, "end of command", End()));
        return tokens;
    }
}
