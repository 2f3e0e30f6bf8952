namespace ActorQm.Protocol;

/// <summary>One attribute of a DISPLAY result: its keyword and value (quoted in the text when MQ quotes it).</summary>
public sealed record MqscAttribute(string Name, string Value, bool Quoted = false)
{
    /// <summary>As runmqsc prints it: <c>NAME(value)</c>, <c>NAME('value')</c>, or <c>NAME( )</c> for an empty value.</summary>
    public string Text => Quoted ? $"{Name}('{Value.Replace("'", "''", StringComparison.Ordinal)}')" : $"{Name}({(Value.Length == 0 ? " " : Value)})";
}

/// <summary>One object a DISPLAY command shows: the message that introduces it (e.g. AMQ8409I) and its attributes in order.</summary>
public sealed record MqscObject(string Message, IReadOnlyList<MqscAttribute> Attributes);

/// <summary>What one MQSC command did: its number in the script, its text (secrets masked), its messages and the objects it displayed.</summary>
public sealed record MqscCommandResult(int Number, string Command, bool Succeeded, IReadOnlyList<string> Messages, IReadOnlyList<MqscObject> Objects);

/// <summary>
/// The answer to an MQSC script: the runmqsc-style text (<see cref="Lines"/>) and the same results as data, command by
/// command, which <c>--json</c> and scripts read (never the text).
/// </summary>
public sealed record MqscResponse(IReadOnlyList<string> Lines, int Failed, IReadOnlyList<MqscCommandResult> Commands)
{
    public void Deconstruct(out IReadOnlyList<string> lines, out int failed)
    {
        lines = Lines;
        failed = Failed;
    }

    /// <summary>The body of the answer to a <see cref="ClientOp.Mqsc"/> call.</summary>
    public byte[] Encode()
    {
        var w = new FrameWriter();
        w.Int(Failed);
        Strings(w, Lines);
        w.Int(Commands.Count);
        foreach (var c in Commands)
        {
            w.Int(c.Number);
            w.String(Cut(c.Command));
            w.Byte(c.Succeeded ? (byte)1 : (byte)0);
            Strings(w, c.Messages);
            w.Int(c.Objects.Count);
            foreach (var o in c.Objects)
            {
                w.String(Cut(o.Message));
                w.Int(o.Attributes.Count);
                foreach (var a in o.Attributes)
                {
                    w.String(a.Name);
                    w.String(Cut(a.Value));
                    w.Byte(a.Quoted ? (byte)1 : (byte)0);
                }
            }
        }

        return w.ToArray();
    }

    /// <summary>Reads what <see cref="Encode"/> wrote; counts are bounded by the bytes that remain, so a hostile answer cannot make us allocate what it announces.</summary>
    public static MqscResponse Decode(ReadOnlySpan<byte> body)
    {
        var r = new FrameReader(body);
        var failed = r.Int();
        var lines = Strings(ref r);
        var commands = new List<MqscCommandResult>();
        for (var i = Count(ref r); i > 0; i--)
        {
            var number = r.Int();
            var command = r.String();
            var succeeded = r.Byte() == 1;
            var messages = Strings(ref r);
            var objects = new List<MqscObject>();
            for (var j = Count(ref r); j > 0; j--)
            {
                var message = r.String();
                var attributes = new List<MqscAttribute>();
                for (var k = Count(ref r); k > 0; k--)
                {
                    attributes.Add(new MqscAttribute(r.String(), r.String(), r.Byte() == 1));
                }

                objects.Add(new MqscObject(message, attributes));
            }

            commands.Add(new MqscCommandResult(number, command, succeeded, messages, objects));
        }

        return r.Error is { } error ? throw new InvalidDataException($"malformed MQSC answer: {error}") : new MqscResponse(lines, failed, commands);
    }

    private static void Strings(FrameWriter w, IReadOnlyList<string> strings)
    {
        w.Int(strings.Count);
        foreach (var s in strings)
        {
            w.String(Cut(s));
        }
    }

    private static List<string> Strings(ref FrameReader r)
    {
        var strings = new List<string>();
        for (var i = Count(ref r); i > 0; i--)
        {
            strings.Add(r.String());
        }

        return strings;
    }

    // Every entry takes at least two bytes (a string's length), so more than that many entries cannot be there.
    private static int Count(ref FrameReader r) => Math.Clamp(r.Int(), 0, r.Remaining / 2);

    // A line or value longer than a protocol string is cut to fit (the full text stays in the queue manager's answer to local callers).
    private static string Cut(string s)
    {
        while (System.Text.Encoding.UTF8.GetByteCount(s) > ChannelFrames.MaxStringBytes)
        {
            s = s[..(s.Length * 3 / 4)];
            s = s.Length > 0 && char.IsHighSurrogate(s[^1]) ? s[..^1] : s;
        }

        return s;
    }
}
