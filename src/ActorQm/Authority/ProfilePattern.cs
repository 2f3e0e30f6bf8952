namespace ActorQm.Authority;

/// <summary>
/// An authority-record profile: an object name, or a generic one as MQ's OAM defines them
/// (docs/security.md, "Generic profiles"). Names are split into qualifiers at '.':
/// <list type="bullet">
/// <item><c>?</c> stands for one character of a qualifier;</item>
/// <item><c>*</c> as a whole qualifier stands for exactly one qualifier, inside a qualifier for zero or more of its characters;</item>
/// <item><c>**</c>, at most once and only as a whole qualifier (or alone), stands for zero or more qualifiers.</item>
/// </list>
/// Where several profiles match a name, only the most specific counts (<see cref="CompareSpecificity"/>).
/// </summary>
public sealed class ProfilePattern
{
    /// <summary>Object names are at most 48 characters; a profile longer than that is refused, which also bounds matching.</summary>
    public const int MaxLength = 48;

    private readonly string[] _qualifiers;

    private ProfilePattern(string text, string[] qualifiers)
    {
        Text = text;
        _qualifiers = qualifiers;
        IsGeneric = text.AsSpan().IndexOfAny('*', '?') >= 0;
    }

    public string Text { get; }

    public bool IsGeneric { get; }

    /// <summary>Why <paramref name="text"/> is not a profile, or null.</summary>
    public static string? Validate(string text)
    {
        if (text.Length is 0 or > MaxLength)
        {
            return $"a profile is 1 to {MaxLength} characters";
        }

        // Object names are made of A-Z a-z 0-9 . _ / %; a profile adds only the wildcards, so nothing
        // in one can break the DISPLAY layout or name an object that cannot exist.
        if (text.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '%' or '*' or '?')) is var bad and not '\0')
        {
            return $"'{bad}' is not allowed (A-Z a-z 0-9 . _ / % and the wildcards * ?)";
        }

        var qualifiers = text.Split('.');
        var doubles = 0;
        foreach (var q in qualifiers)
        {
            if (q.Contains("**", StringComparison.Ordinal))
            {
                if (q != "**")
                {
                    return "'**' must be a whole qualifier";
                }

                doubles++;
            }
        }

        return doubles > 1 ? "'**' may appear only once in a profile" : null;
    }

    public static ProfilePattern Parse(string text) =>
        Validate(text) is { } why ? throw new FormatException($"profile '{text}': {why}") : new ProfilePattern(text, text.Split('.'));

    /// <summary>True when the profile names <paramref name="name"/> (exactly, or generically).</summary>
    public bool Matches(string name)
    {
        if (!IsGeneric)
        {
            return string.Equals(Text, name, StringComparison.Ordinal);
        }

        return name.Length <= MaxLength && MatchQualifiers(_qualifiers, 0, name.Split('.'), 0);
    }

    private static bool MatchQualifiers(string[] profile, int p, string[] name, int n)
    {
        if (p == profile.Length)
        {
            return n == name.Length;
        }

        if (profile[p] == "**")
        {
            // Zero or more qualifiers: at most once per profile, so this loop nests no further.
            for (var k = n; k <= name.Length; k++)
            {
                if (MatchQualifiers(profile, p + 1, name, k))
                {
                    return true;
                }
            }

            return false;
        }

        return n < name.Length && MatchQualifier(profile[p], name[n]) && MatchQualifiers(profile, p + 1, name, n + 1);
    }

    /// <summary>A whole-qualifier '*' is one non-empty qualifier; otherwise '*' is any run of characters and '?' one.</summary>
    private static bool MatchQualifier(string pattern, string qualifier)
    {
        if (pattern == "*")
        {
            return qualifier.Length > 0;
        }

        // Iterative glob with one back-tracking point: linear in practice, bounded by 48 x 48.
        int p = 0, q = 0, star = -1, mark = 0;
        while (q < qualifier.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == qualifier[q]))
            {
                p++;
                q++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = q;
            }
            else if (star >= 0)
            {
                p = star + 1;
                q = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>
    /// MQ's rule for two profiles that both match a name: compare them left to right, and at the first
    /// difference a literal character beats a wildcard, and <c>?</c> beats <c>*</c> beats <c>**</c>
    /// (so a name itself beats every generic profile). Positive when <paramref name="a"/> is more specific.
    /// </summary>
    public static int CompareSpecificity(ProfilePattern a, ProfilePattern b)
    {
        var x = Ranks(a.Text);
        var y = Ranks(b.Text);
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var rx = i < x.Count ? x[i] : EndRank;
            var ry = i < y.Count ? y[i] : EndRank;
            if (rx != ry)
            {
                return rx.CompareTo(ry);
            }
        }

        return string.CompareOrdinal(b.Text, a.Text);
    }

    // The end of a profile ranks between a literal and '?': where two profiles that match the same name
    // differ only by one going on, the other continues with a wildcard (AB against AB*), so the shorter is exact there.
    private const int EndRank = 3;

    private static List<int> Ranks(string text)
    {
        var ranks = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '*' && i + 1 < text.Length && text[i + 1] == '*')
            {
                ranks.Add(0);
                i++;
            }
            else
            {
                ranks.Add(text[i] switch { '*' => 1, '?' => 2, _ => 4 });
            }
        }

        return ranks;
    }

    public override string ToString() => Text;
}
