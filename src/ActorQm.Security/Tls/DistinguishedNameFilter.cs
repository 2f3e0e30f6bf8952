using System.Text;

namespace ActorQm.Tls;

/// <summary>An SSLPEER/SSLCERTI value that is not a valid filter; <see cref="Attribute"/> names the offending part.</summary>
public sealed class PeerNameFilterException(string filter, string attribute, string reason)
    : Exception($"SSLPEER '{filter}' is not a valid distinguished name filter: {reason} (attribute '{attribute}').")
{
    public string Attribute { get; } = attribute;
    public string Reason { get; } = reason;
}

/// <summary>
/// MQ's SSLPEER filter: TYPE=value pairs separated by ',' or ';' (blanks around separators
/// ignored), upper-case type names from a fixed list (ST/SP/S and UID/USERID and MAIL/E are
/// synonyms), values compared case-insensitively, optionally double-quoted (quotes keep blanks,
/// commas and semicolons), a leading and/or trailing '*' as wildcard ('\*' for a literal one; a
/// '*' in the middle is literal). Attributes the filter does not name are not checked. OU and DC
/// may repeat: they are compared in order, from the certificate's first OU (or DC), and the
/// certificate may have more after them (a filter cannot skip a leading OU). Any other attribute
/// the filter names must occur exactly once in the certificate's name (docs/tls.md, SSLPEER).
/// </summary>
public sealed class DistinguishedNameFilter
{
    public const int MaxLength = 1024;

    private static readonly Dictionary<string, string> Canonical = new(StringComparer.Ordinal)
    {
        ["SERIALNUMBER"] = "SERIALNUMBER", ["MAIL"] = "E", ["E"] = "E", ["UID"] = "UID", ["USERID"] = "UID",
        ["CN"] = "CN", ["T"] = "T", ["OU"] = "OU", ["DC"] = "DC", ["O"] = "O", ["STREET"] = "STREET",
        ["L"] = "L", ["ST"] = "ST", ["SP"] = "ST", ["S"] = "ST", ["PC"] = "PC", ["C"] = "C",
        ["UNSTRUCTUREDNAME"] = "UNSTRUCTUREDNAME", ["UNSTRUCTUREDADDRESS"] = "UNSTRUCTUREDADDRESS", ["DNQ"] = "DNQ",
    };

    private readonly List<Term> _terms;

    // Grouped once: every handshake and CHLAUTH lookup matches against the same filter.
    private readonly (string Type, Term[] Terms)[] _groups;

    private DistinguishedNameFilter(string text, List<Term> terms)
    {
        Text = text;
        _terms = terms;
        _groups = terms.GroupBy(t => t.Type).Select(g => (g.Key, g.ToArray())).ToArray();
    }

    public string Text { get; }

    /// <summary>Attribute types named, canonical (ST for SP/S), in filter order.</summary>
    public IEnumerable<string> Types => _terms.Select(t => t.Type);

    /// <summary>
    /// The attributes in the order CHLAUTH weighs them when several SSLPEERMAP records match (docs/tls.md,
    /// CHLAUTH): a filter naming an attribute earlier in this list is the more specific.
    /// </summary>
    public static readonly IReadOnlyList<string> PrecedenceOrder =
        ["SERIALNUMBER", "E", "UID", "CN", "T", "OU", "DC", "O", "STREET", "L", "ST", "PC", "C", "UNSTRUCTUREDNAME", "UNSTRUCTUREDADDRESS", "DNQ"];

    /// <summary>
    /// Which of two filters is the more specific (positive: this one), attribute by attribute in
    /// <see cref="PrecedenceOrder"/>: at the first attribute only one of them names, that one wins; where
    /// both name it, a literal value beats a generic one, then the longer literal part, then (OU, DC) the
    /// one naming more values. Zero when they weigh the same.
    /// </summary>
    public int CompareSpecificity(DistinguishedNameFilter other)
    {
        foreach (var type in PrecedenceOrder)
        {
            var mine = _terms.Where(t => t.Type == type).ToList();
            var theirs = other._terms.Where(t => t.Type == type).ToList();
            if (mine.Count == 0 || theirs.Count == 0)
            {
                if (mine.Count != theirs.Count)
                {
                    return mine.Count == 0 ? -1 : 1;
                }

                continue;
            }

            for (var i = 0; i < Math.Min(mine.Count, theirs.Count); i++)
            {
                var byTerm = mine[i].Weight.CompareTo(theirs[i].Weight);
                if (byTerm != 0)
                {
                    return byTerm;
                }
            }

            if (mine.Count != theirs.Count)
            {
                return mine.Count.CompareTo(theirs.Count);
            }
        }

        return 0;
    }

    public static DistinguishedNameFilter Parse(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxLength)
        {
            throw new PeerNameFilterException(Shorten(text), "*", $"longer than {MaxLength} bytes");
        }

        var terms = new List<Term>();
        foreach (var (type, raw, quoted) in Split(text))
        {
            if (type.Length == 0)
            {
                throw new PeerNameFilterException(text, raw, "missing attribute type before '='");
            }

            if (char.IsWhiteSpace(type[^1]))
            {
                throw new PeerNameFilterException(text, type.Trim(), "no blank is allowed between the attribute type and '='");
            }

            if (!Canonical.TryGetValue(type, out var canonical))
            {
                throw new PeerNameFilterException(text, type, Canonical.ContainsKey(type.ToUpperInvariant())
                    ? "attribute types must be upper case"
                    : "not an attribute type SSLPEER can filter on");
            }

            if (canonical is not ("OU" or "DC") && terms.Any(t => t.Type == canonical))
            {
                throw new PeerNameFilterException(text, type, "only OU and DC may appear more than once");
            }

            terms.Add(Term.Create(canonical, quoted ? raw : raw.Trim()));
        }

        if (terms.Count == 0)
        {
            throw new PeerNameFilterException(text, string.Empty, "no TYPE=value pair");
        }

        return new DistinguishedNameFilter(text, terms);
    }

    public static bool TryParse(string text, out DistinguishedNameFilter? filter, out string? error)
    {
        try
        {
            filter = Parse(text);
            error = null;
            return true;
        }
        catch (PeerNameFilterException e)
        {
            filter = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Whether <paramref name="peer"/> satisfies every attribute the filter names (see <see cref="Mismatch"/>).</summary>
    public bool Matches(PeerName peer) => Mismatch(peer) is null;

    /// <summary>
    /// Why <paramref name="peer"/> does not match (null when it does), for the refusal message. OU and DC
    /// are compared in order from the first; any other attribute the filter names must occur exactly once:
    /// a name that repeats it (<c>CN=MALLORY,CN=ADMIN</c>) is ambiguous, so no one of its values may satisfy
    /// the filter. A malformed name matches nothing.
    /// </summary>
    public string? Mismatch(PeerName peer)
    {
        if (peer.Malformed is { } malformed)
        {
            return $"the name is malformed: {malformed}";
        }

        foreach (var (type, wanted) in _groups)
        {
            var values = peer.ValuesOf(type).ToList();
            if (type is "OU" or "DC")
            {
                // Multi-valued (docs/tls.md): the filter's values must match the peer's first ones, in order.
                if (values.Count < wanted.Length)
                {
                    return $"{type} occurs {values.Count} times, the filter names {wanted.Length}";
                }

                for (var i = 0; i < wanted.Length; i++)
                {
                    if (!wanted[i].Matches(values[i]))
                    {
                        return $"{type} number {i + 1} does not match";
                    }
                }
            }
            else if (values.Count != 1)
            {
                return values.Count == 0
                    ? $"{type} is absent"
                    : $"{type} occurs {values.Count} times in the name; a filter naming it once matches none of them";
            }
            else if (!wanted[0].Matches(values[0]))
            {
                return $"{type} does not match";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the filter would match if any one value of a repeated attribute could satisfy it (a malformed
    /// name counts as matching). Never grounds to admit a peer; only to block it, so that an ambiguous name
    /// cannot slip past a CHLAUTH NOACCESS record.
    /// </summary>
    internal bool MatchesAnyValue(PeerName peer) =>
        peer.Malformed is not null || _groups.All(g => g.Type is "OU" or "DC"
            ? InOrder(g.Type, g.Terms, peer)
            : peer.ValuesOf(g.Type).Any(g.Terms[0].Matches));

    private static bool InOrder(string type, Term[] wanted, PeerName peer)
    {
        var values = peer.ValuesOf(type).ToList();
        return values.Count >= wanted.Length && wanted.Select((t, i) => t.Matches(values[i])).All(m => m);
    }

    public override string ToString() => Text;

    /// <summary>The filter read as a literal DN (wildcards kept as written).</summary>
    internal IEnumerable<DnAttribute> Attributes() =>
        _terms.Select(t => new DnAttribute(t.Type, (t.AnyPrefix ? "*" : string.Empty) + t.Literal + (t.AnySuffix ? "*" : string.Empty)));

    private static IEnumerable<(string Type, string Value, bool Quoted)> Split(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var eq = text.IndexOf('=', i);
            var sep = text.IndexOfAny([',', ';'], i);
            if (eq < 0 || (sep >= 0 && sep < eq))
            {
                var part = text[i..(sep < 0 ? text.Length : sep)].Trim();
                throw new PeerNameFilterException(text, part, "expected TYPE=value");
            }

            var type = text[i..eq];
            i = eq + 1;
            var start = i;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            string value;
            var quoted = false;
            if (i < text.Length && text[i] == '"')
            {
                var close = text.IndexOf('"', i + 1);
                if (close < 0)
                {
                    throw new PeerNameFilterException(text, type, "quoted value is not closed");
                }

                value = text[(i + 1)..close];
                quoted = true;
                i = close + 1;
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                if (i < text.Length && text[i] is not (',' or ';'))
                {
                    throw new PeerNameFilterException(text, type, "text after a quoted value");
                }
            }
            else
            {
                var end = text.IndexOfAny([',', ';'], start);
                value = text[start..(end < 0 ? text.Length : end)];
                i = end < 0 ? text.Length : end;
            }

            yield return (type, value, quoted);
            if (i < text.Length)
            {
                i++;
                if (i == text.Length || text[i..].Trim().Length == 0)
                {
                    throw new PeerNameFilterException(text, type, "separator at the end with nothing after it");
                }
            }
        }
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;

    private sealed record Term(string Type, string Literal, bool AnyPrefix, bool AnySuffix)
    {
        public static Term Create(string type, string value)
        {
            var anyPrefix = value.StartsWith('*');
            var anySuffix = value.Length > (anyPrefix ? 1 : 0) && value.EndsWith('*') && !value.EndsWith("\\*", StringComparison.Ordinal);
            var core = value[(anyPrefix ? 1 : 0)..(anySuffix ? value.Length - 1 : value.Length)];
            if (!anyPrefix && core.StartsWith("\\*", StringComparison.Ordinal))
            {
                core = core[1..];
            }

            if (core.EndsWith("\\*", StringComparison.Ordinal))
            {
                core = core[..^2] + "*";
            }

            return new Term(type, core, anyPrefix, anySuffix);
        }

        /// <summary>A literal value outweighs any generic one; among generic ones, the longer literal part.</summary>
        public (bool Literal, int Length) Weight => (!AnyPrefix && !AnySuffix, Literal.Length);

        public bool Matches(string value) => (AnyPrefix, AnySuffix) switch
        {
            (false, false) => value.Equals(Literal, StringComparison.OrdinalIgnoreCase),
            (true, false) => value.EndsWith(Literal, StringComparison.OrdinalIgnoreCase),
            (false, true) => value.StartsWith(Literal, StringComparison.OrdinalIgnoreCase),
            _ => value.Contains(Literal, StringComparison.OrdinalIgnoreCase),
        };
    }
}
