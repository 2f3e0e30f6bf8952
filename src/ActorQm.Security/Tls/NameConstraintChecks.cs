using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tls;

/// <summary>The name-constraint rules <see cref="ChainValidator"/> adds to X509Chain's.</summary>
internal static class NameConstraintChecks
{
    /// <summary>
    /// X509Chain applies DNS name constraints, but not to names it cannot parse: a malformed
    /// constraint, a malformed SAN, or a wildcard SAN whose reach a constraint cannot bound
    /// (CVE-2025-61727) is refused here.
    /// </summary>
    public static string? Violation(List<X509Certificate2> chain)
    {
        var constrained = false;
        var permitted = new List<List<string>>();
        var excluded = new List<string>();
        foreach (var ca in chain.Skip(1))
        {
            var ext = ca.Extensions[ChainValidator.NameConstraintsOid];
            if (ext is null)
            {
                continue;
            }

            constrained = true;
            var permittedHere = new List<string>();
            foreach (var (isExcluded, tag, name) in ConstraintNames(ext.RawData))
            {
                if (tag != 2)
                {
                    continue;
                }

                if (!IsHostName(name, allowWildcard: false))
                {
                    return $"nameConstraints of '{ca.Subject}' holds a malformed DNS name '{name}'";
                }

                (isExcluded ? excluded : permittedHere).Add(name);
            }

            if (permittedHere.Count > 0)
            {
                permitted.Add(permittedHere);
            }
        }

        if (!constrained)
        {
            return null;
        }

        var san = chain[0].Extensions["2.5.29.17"];
        foreach (var (tag, name) in san is null ? [] : GeneralNames(new AsnReader(san.RawData, AsnEncodingRules.DER).ReadSequence()))
        {
            // A wildcard stands for any name below its base: the whole of that subtree must be allowed.
            if (tag == 2 && name.StartsWith("*.", StringComparison.Ordinal)
                && (excluded.Any(e => Within(e, name[2..])) || permitted.Any(set => !set.Any(p => Within(name[2..], p)))))
            {
                return $"wildcard SAN '{name}' reaches names the name constraints do not allow";
            }

            if (tag == 2 && !IsHostName(name, allowWildcard: true))
            {
                return $"SAN DNS name '{name}' is malformed";
            }

            if (tag == 1 && (name.Count(c => c == '@') != 1 || name.StartsWith('@') || !IsHostName(name[(name.IndexOf('@') + 1)..], allowWildcard: false)))
            {
                return $"SAN e-mail address '{name}' is malformed";
            }
        }

        return null;
    }

    /// <summary>Is <paramref name="name"/> equal to or below <paramref name="subtree"/>?</summary>
    private static bool Within(string name, string subtree) =>
        name.Equals(subtree, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + subtree, StringComparison.OrdinalIgnoreCase);

    private static List<(bool Excluded, int Tag, string Name)> ConstraintNames(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var names = new List<(bool, int, string)>();
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            var subtrees = reader.ReadSequence(tag);
            while (subtrees.HasData)
            {
                names.AddRange(GeneralNames(subtrees.ReadSequence(), firstOnly: true).Select(n => (tag.TagValue == 1, n.Tag, n.Name)));
            }
        }

        return names;
    }

    private static List<(int Tag, string Name)> GeneralNames(AsnReader reader, bool firstOnly = false)
    {
        var names = new List<(int, string)>();
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 2 && !tag.IsConstructed)
            {
                string text;
                try
                {
                    text = reader.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                }
                catch (AsnContentException)
                {
                    // Not IA5 text: no valid name can come of it.
                    text = "?";
                }

                names.Add((tag.TagValue, text));
            }
            else
            {
                reader.ReadEncodedValue();
            }

            if (firstOnly)
            {
                while (reader.HasData)
                {
                    reader.ReadEncodedValue();
                }
            }
        }

        return names;
    }

    private static bool IsHostName(string name, bool allowWildcard)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (allowWildcard && i == 0 && label == "*")
            {
                continue;
            }

            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool HasSubtrees(byte[] der)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var any = false;
            while (reader.HasData)
            {
                var subtrees = reader.ReadSequence(reader.PeekTag());
                any |= subtrees.HasData;
                while (subtrees.HasData)
                {
                    subtrees.ReadEncodedValue();
                }
            }

            return any;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
