using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using ActorQm.Channels;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Tls;

namespace ActorQm.Mqsc;

/// <summary>Runtime figures DISPLAY QSTATUS and DELETE/CLEAR need from a local queue.</summary>
public sealed record QueueStatus(int CurrentDepth, int Uncommitted)
{
    /// <summary>IPPROCS: handles open for input (MQGET; browse alone does not count, as in MQ).</summary>
    public int InputHandles { get; init; }

    /// <summary>OPPROCS: handles open for output.</summary>
    public int OutputHandles { get; init; }

    /// <summary>Handles open whatever for (browse and inquire included): a queue with any cannot be deleted.</summary>
    public int OpenHandles { get; init; }
}

/// <summary>The result of one command: MQ-style response lines, the objects a DISPLAY shows, and the changes to apply.</summary>
public sealed record MqscOutcome(bool Succeeded, IReadOnlyList<string> Lines, IReadOnlyList<CatalogChange> Changes)
{
    /// <summary>What a DISPLAY showed, as data; <see cref="Lines"/> is their text.</summary>
    public IReadOnlyList<MqscObject> Objects { get; init; } = [];

    /// <summary>The response lines that are not the text of <see cref="Objects"/>.</summary>
    public IReadOnlyList<string> Messages => Objects.Count == 0 ? Lines : [];

    public static MqscOutcome Failed(MqscException e) => new(false, [e.Message], []);

    /// <summary>A DISPLAY's result: the objects and their runmqsc text, built from the same data.</summary>
    public static MqscOutcome Display(IReadOnlyList<MqscObject> objects) => new(true, MqscDisplay.Lines(objects).ToList(), []) { Objects = objects };
}

/// <summary>
/// Validates and executes MQSC commands against a catalog without touching it: it returns the
/// changes, which the queue manager applies only when the whole command is valid.
/// </summary>
public sealed partial class MqscExecutor(ObjectCatalog catalog, IReadOnlyDictionary<string, object> queueDefaults, IMqscRuntime runtime)
{
    [GeneratedRegex("^[A-Za-z0-9._/%]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NameChars();

    /// <param name="startup">Commands from the start-up script: DEFINE replaces, since the script runs at every start.</param>
    public MqscOutcome Execute(MqscCommand command, bool startup = false)
    {
        try
        {
            return command.Verb switch
            {
                "DEFINE" => Define(command, startup),
                "ALTER" => Alter(command),
                "DELETE" when command.ObjectType == "AUTHREC" => DeleteAuthRec(command),
                "DELETE" => Delete(command),
                "DISPLAY" => Display(command),
                "SET" when command.ObjectType == "CHLAUTH" => SetChlAuth(command),
                "SET" when command.ObjectType == "AUTHREC" => SetAuthRec(command),
                "CLEAR" when command.ObjectType == "QLOCAL" => Clear(command),
                "REFRESH" when command.ObjectType == "SECURITY" => RefreshSecurity(command),
                "REFRESH" when command.ObjectType == "CLUSTER" => RefreshCluster(command),
                "START" or "STOP" or "RESET" or "RESOLVE" when command.ObjectType == "CHANNEL" => ChannelAction(command),
                "START" or "STOP" when command.ObjectType == "LISTENER" => ListenerAction(command),
                "REVOKE" when command.ObjectType == "CERT" => RevokeCertificate(command),
                _ => throw Syntax($"{command.Verb} {command.ObjectType} is not a valid command.", command.Position),
            };
        }
        catch (MqscException e)
        {
            return MqscOutcome.Failed(e);
        }
    }

    private static readonly string[] DefinableTypes = ["QLOCAL", "QREMOTE", "QALIAS", "CHANNEL", "AUTHINFO", "NAMELIST", "LISTENER"];

    private MqscOutcome Define(MqscCommand cmd, bool startup)
    {
        var schema = SchemaFor(cmd, DefinableTypes);
        var name = RequireName(cmd, schema);
        var replace = (startup || cmd.Find("REPLACE") is not null) && cmd.Find("NOREPLACE") is null;
        var existing = catalog.Find(schema.Namespace, name);
        if (existing is not null && existing.Type != schema.Type)
        {
            throw new MqscException("AMQ8151E", $"Object {name} already exists with a different type ({existing.Type}).", cmd.ObjectName!.Position);
        }

        if (existing is not null && !replace)
        {
            throw new MqscException("AMQ8150E", $"Object {name} already exists.", cmd.ObjectName!.Position);
        }

        var given = ReadAttributes(cmd, schema, ["REPLACE", "NOREPLACE"]);
        var channelType = RequireDiscriminator(cmd, schema, given);
        var attributes = ObjectCatalog.Defaults(schema, channelType, schema.Type == "QLOCAL" ? queueDefaults : null).ToBuilder();
        CheckValidFor(cmd, schema, given, channelType);
        ValidateTlsAttributes(cmd, given);
        foreach (var (k, v) in given)
        {
            attributes[k] = v;
        }

        var obj = new MqObject(schema.Type, name, attributes.ToImmutable());
        return Done(Message(schema.Type, "created"), new ObjectDefined(obj, existing));
    }

    private MqscOutcome Alter(MqscCommand cmd)
    {
        var schema = SchemaFor(cmd, [.. DefinableTypes, "QMGR"]);
        MqObject existing;
        if (schema.Type == "QMGR")
        {
            existing = catalog.QMgr;
        }
        else
        {
            var name = RequireName(cmd, schema);
            existing = catalog.Find(schema.Namespace, name) ?? throw NotFound(name, cmd);
            if (existing.Type != schema.Type)
            {
                throw new MqscException("AMQ8151E", $"Object {name} has a different type ({existing.Type}).", cmd.ObjectName!.Position);
            }
        }

        var given = ReadAttributes(cmd, schema, []);
        if (schema.Type == "CHANNEL")
        {
            var type = RequireDiscriminator(cmd, schema, given);
            if (type != existing.Text("CHLTYPE"))
            {
                throw new MqscException("AMQ8151E", $"Channel {existing.Name} is of type {existing.Text("CHLTYPE")}, not {type}.", cmd.Find("CHLTYPE")!.Position);
            }
        }
        else if (given.ContainsKey("AUTHTYPE") && (string)given["AUTHTYPE"] != existing.Text("AUTHTYPE"))
        {
            throw new MqscException("AMQ8151E", $"AUTHTYPE of {existing.Name} cannot change.", cmd.Find("AUTHTYPE")!.Position);
        }

        CheckValidFor(cmd, schema, given, schema.Type == "CHANNEL" ? existing.Text("CHLTYPE") : null);
        ValidateTlsAttributes(cmd, given);
        if (schema.Type == "QMGR" && given.TryGetValue("SSLCRLNL", out var crlnl) && catalog.Find("NAMELIST", (string)crlnl) is { } namelist
            && RevocationSources.OcspObjectsError(namelist.List("NAMES").Select(n => catalog.Find("AUTHINFO", n)?.Text("AUTHTYPE") ?? string.Empty)) is { } problem)
        {
            throw new MqscException("AMQ8405E", $"Value for SSLCRLNL not valid: namelist {(string)crlnl} {problem}.", cmd.Find("SSLCRLNL")!.Position);
        }

        var updated = existing with { Attributes = existing.Attributes.SetItems(given) };
        return Done(Message(schema.Type, "changed"), new ObjectDefined(updated, existing));
    }

    private MqscOutcome Delete(MqscCommand cmd)
    {
        var schema = SchemaFor(cmd, DefinableTypes);
        var name = RequireName(cmd, schema);
        var existing = catalog.Find(schema.Namespace, name) ?? throw NotFound(name, cmd);
        if (existing.Type != schema.Type)
        {
            throw new MqscException("AMQ8151E", $"Object {name} has a different type ({existing.Type}).", cmd.ObjectName!.Position);
        }

        var flags = schema.Type == "QLOCAL" ? new[] { "PURGE", "NOPURGE" } : [];
        foreach (var k in cmd.Keywords.Where(k => !flags.Contains(k.Name)))
        {
            throw Syntax($"Keyword {k.Name} is not valid for DELETE {schema.Type}.", k.Position);
        }

        var changes = new List<CatalogChange>();
        if (schema.Type == "QLOCAL")
        {
            var status = runtime.QueueStatus(name);
            if (status is { CurrentDepth: > 0 } && cmd.Find("PURGE") is null)
            {
                throw new MqscException("AMQ8143E", $"Queue {name} is not empty ({status.CurrentDepth} messages); use PURGE to delete it with its messages.", cmd.ObjectName!.Position);
            }

            if (status is { Uncommitted: > 0 })
            {
                throw new MqscException("AMQ8143E", $"Queue {name} has {status.Uncommitted} uncommitted messages.", cmd.ObjectName!.Position);
            }

            if (status is { OpenHandles: > 0 })
            {
                throw new MqscException("AMQ8148E", $"ActorQm object {name} in use: {status.OpenHandles} open handles, {status.InputHandles} for input and {status.OutputHandles} for output (MQRC 2042); close them or stop what holds them first.", cmd.ObjectName!.Position);
            }

            changes.Add(new QueueCleared(name));
        }

        changes.Add(new ObjectDeleted(existing));
        return new MqscOutcome(true, [Message(schema.Type, "deleted")], changes);
    }

    private MqscOutcome Clear(MqscCommand cmd)
    {
        var name = RequireName(cmd, MqscSchema.QLocal);
        var existing = catalog.FindQueue(name) ?? throw NotFound(name, cmd);
        if (existing.Type != "QLOCAL")
        {
            throw new MqscException("AMQ8151E", $"Object {name} is a {existing.Type}, not a local queue.", cmd.ObjectName!.Position);
        }

        if (runtime.QueueStatus(name) is { Uncommitted: > 0 } s)
        {
            throw new MqscException("AMQ8148E", $"Queue {name} has {s.Uncommitted} uncommitted messages and cannot be cleared.", cmd.ObjectName!.Position);
        }

        return Done("AMQ8022I: ActorQm queue cleared.", new QueueCleared(name));
    }

    /// <summary>DN filters (SSLPEER, SSLCERTI) and CipherSpecs are checked when entered, so a bad one never reaches a handshake.</summary>
    private static void ValidateTlsAttributes(MqscCommand cmd, IReadOnlyDictionary<string, object> given)
    {
        if (given.TryGetValue("SSLCIPH", out var cipher) && CipherSpecs.DefinitionError((string)cipher) is { } why)
        {
            throw new MqscException("AMQ8242E", $"SSLCIPH definition wrong: {why}.", cmd.Find("SSLCIPH")!.Values.FirstOrDefault()?.Position ?? cmd.Find("SSLCIPH")!.Position);
        }

        foreach (var attribute in new[] { "SSLPEER", "SSLCERTI" })
        {
            if (given.TryGetValue(attribute, out var value) && ((string)value).Length > 0)
            {
                try
                {
                    DistinguishedNameFilter.Parse((string)value);
                }
                catch (PeerNameFilterException e)
                {
                    throw new MqscException("AMQ9640E", e.Message.Replace("SSLPEER", attribute, StringComparison.Ordinal), cmd.Find(attribute)!.Position);
                }
            }
        }
    }

    private MqscOutcome Display(MqscCommand cmd) =>
        cmd.ObjectType switch
        {
            "AUTHREC" => DisplayAuthRec(cmd),
            "ENTAUTH" => DisplayEntAuth(cmd),
            "QSTATUS" => MqscDisplay.QueueStatus(catalog, cmd, runtime.QueueStatus),
            "CHSTATUS" => MqscDisplay.ChannelStatus(cmd, runtime.ChannelStatus()),
            "CLUSQMGR" => MqscDisplay.ClusterQMgrs(cmd, runtime.ClusterQueueManagers()),
            "QCLUSTER" => MqscDisplay.ClusterQueues(cmd, runtime.ClusterQueueManagers()),
            "QMSTATUS" => MqscOutcome.Display([
                new MqscObject(QMgrStatusMessage, [new("QMNAME", catalog.QMgrName), new("STATUS", "RUNNING"), .. runtime.QueueManagerStatus()]),
                .. runtime.OtherQueueManagers().Select(o => new MqscObject(QMgrStatusMessage,
                    [new("QMNAME", o.QMgr), new("STATUS", "RUNNING"), .. o.Node.Length > 0 ? new MqscAttribute[] { new("NODE", o.Node, Quoted: true) } : []])),
            ]),
            _ => MqscDisplay.Objects(catalog, cmd, runtime.QueueStatus),
        };

    private const string QMgrStatusMessage = "AMQ8705I: Display Queue Manager Status Details.";

    private static ObjectSchema SchemaFor(MqscCommand cmd, string[] allowed)
    {
        if (cmd.ObjectType is null || !allowed.Contains(cmd.ObjectType))
        {
            throw Syntax($"{cmd.Verb} does not take object type {cmd.ObjectType}.", cmd.Position);
        }

        return MqscSchema.For(cmd.ObjectType)!;
    }

    private static string RequireName(MqscCommand cmd, ObjectSchema schema, int? maxLength = null, bool allowGeneric = false)
    {
        var value = cmd.ObjectName ?? throw new MqscException("AMQ8424E", $"Error detected in a name keyword: {schema.Type} needs a name in parentheses.", cmd.Position);
        var max = maxLength ?? (schema.Type == "CHANNEL" ? 20 : 48);
        var text = value.Text;
        var bare = allowGeneric && text.EndsWith('*') ? text[..^1] : text;
        if (text.Length > max || (bare.Length > 0 && !NameChars().IsMatch(bare)) || (bare.Length == 0 && !allowGeneric))
        {
            throw new MqscException("AMQ8424E", $"Error detected in a name keyword: '{text}' is not a valid {schema.Type} name (1-{max} of A-Z a-z 0-9 . _ / %).", value.Position);
        }

        return text;
    }

    private static string? RequireDiscriminator(MqscCommand cmd, ObjectSchema schema, Dictionary<string, object> given)
    {
        var key = schema.Type switch { "CHANNEL" => "CHLTYPE", "AUTHINFO" => "AUTHTYPE", "CHLAUTH" => "TYPE", _ => null };
        if (key is null)
        {
            return null;
        }

        return given.TryGetValue(key, out var v) ? (string)v : throw Syntax($"{schema.Type} needs {key}(...).", cmd.Position);
    }

    private static void CheckValidFor(MqscCommand cmd, ObjectSchema schema, Dictionary<string, object> given, string? channelType)
    {
        foreach (var name in given.Keys)
        {
            if (!schema.Find(name)!.ValidFor(channelType))
            {
                throw Syntax($"Keyword {name} is not valid for a channel of type {channelType}.", cmd.Find(name)?.Position ?? cmd.Position);
            }
        }
    }

    /// <summary>Checks every keyword against the schema and converts its value; nothing is applied here.</summary>
    internal static Dictionary<string, object> ReadAttributes(MqscCommand cmd, ObjectSchema schema, string[] allowedFlags, string[]? ignored = null)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var kw in cmd.Keywords)
        {
            if (allowedFlags.Contains(kw.Name) || (ignored?.Contains(kw.Name) ?? false))
            {
                continue;
            }

            var flag = schema.Flags.FirstOrDefault(f => f.Keyword == kw.Name);
            if (flag is not null && !kw.HasParentheses)
            {
                result[flag.Attribute] = flag.Value;
                continue;
            }

            var name = kw.Name == "TARGQ" ? "TARGET" : kw.Name;
            var spec = schema.Find(name) ?? throw Syntax($"Keyword {kw.Name} is not valid for {schema.Type}.", kw.Position);
            if (!kw.HasParentheses)
            {
                throw Syntax($"Keyword {kw.Name} needs a value in parentheses.", kw.Position);
            }

            result[name] = Convert(spec, kw);
        }

        return result;
    }

    private static object Convert(AttributeSpec spec, MqscKeyword kw)
    {
        if (spec.Kind == AttributeKind.List)
        {
            foreach (var v in kw.Values.Where(v => v.Text.Length > spec.MaxLength))
            {
                throw OutOfRange(spec, kw, $"'{v.Text}' is longer than {spec.MaxLength} characters");
            }

            return kw.Values.Select(v => v.Text).ToArray();
        }

        if (kw.Values.Count > 1)
        {
            throw Syntax($"Keyword {kw.Name} takes one value.", kw.Values[1].Position);
        }

        var value = kw.Values.Count == 0 ? new MqscValue(string.Empty, true, kw.Position) : kw.Values[0];
        switch (spec.Kind)
        {
            case AttributeKind.Integer:
                if (!long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                {
                    throw OutOfRange(spec, kw, $"'{value.Text}' is not a number");
                }

                return n < spec.Min || n > spec.Max ? throw OutOfRange(spec, kw, $"{n} is outside {spec.Min}-{spec.Max}") : n;
            case AttributeKind.Choice:
                var choice = value.Text.ToUpperInvariant();
                return spec.Choices!.Contains(choice) ? choice : throw OutOfRange(spec, kw, $"'{value.Text}' is not one of {string.Join(", ", spec.Choices!)}");
            default:
                var text = value.Text.TrimEnd();
                return text.Length > spec.MaxLength ? throw OutOfRange(spec, kw, $"value is longer than {spec.MaxLength} characters") : text;
        }
    }

    private static MqscException OutOfRange(AttributeSpec spec, MqscKeyword kw, string why) =>
        new("AMQ8405E", $"Value for {spec.Name} not valid: {why}.", kw.Values.Count > 0 ? kw.Values[0].Position : kw.Position);

    private static MqscException Syntax(string message, MqscPosition position) => new("AMQ8405E", "Syntax error: " + message, position);

    private static MqscException NotFound(string name, MqscCommand cmd) =>
        new("AMQ8147E", $"ActorQm object {name} not found.", cmd.ObjectName?.Position ?? cmd.Position);

    private static MqscOutcome Done(string line, CatalogChange change) => new(true, [line], [change]);

    private static string Message(string type, string what) => (type, what) switch
    {
        ("QLOCAL" or "QREMOTE" or "QALIAS", "created") => "AMQ8006I: ActorQm queue created.",
        ("QLOCAL" or "QREMOTE" or "QALIAS", "changed") => "AMQ8008I: ActorQm queue changed.",
        ("QLOCAL" or "QREMOTE" or "QALIAS", _) => "AMQ8007I: ActorQm queue deleted.",
        ("CHANNEL", "created") => "AMQ8014I: ActorQm channel created.",
        ("CHANNEL", "changed") => "AMQ8016I: ActorQm channel changed.",
        ("CHANNEL", _) => "AMQ8015I: ActorQm channel deleted.",
        ("QMGR", _) => "AMQ8005I: ActorQm queue manager changed.",
        ("AUTHINFO", "created") => "AMQ8563I: ActorQm authentication information object created.",
        ("AUTHINFO", "changed") => "AMQ8567I: ActorQm authentication information object changed.",
        ("AUTHINFO", _) => "AMQ8564I: ActorQm authentication information object deleted.",
        ("NAMELIST", "created") => "AMQ8550I: ActorQm namelist created.",
        ("NAMELIST", "changed") => "AMQ8551I: ActorQm namelist changed.",
        ("NAMELIST", _) => "AMQ8552I: ActorQm namelist deleted.",
        ("LISTENER", "created") => "AMQ8626I: ActorQm listener created.",
        ("LISTENER", "changed") => "AMQ8627I: ActorQm listener changed.",
        _ => "AMQ8628I: ActorQm listener deleted.",
    };

    /// <summary>Parses an object definition saved by <see cref="MqObject.ToMqsc"/> back into an object.</summary>
    internal static MqObject Restore(string definition, string qmgrName)
    {
        var cmd = MqscParser.ParseCommand(definition);
        var schema = MqscSchema.For(cmd.ObjectType!) ?? throw new FormatException($"Unknown stored object type in '{definition}'.");
        var attributes = ReadAttributes(cmd, schema, ["REPLACE"], ["ACTION", "PROFILE"]);
        var name = schema.Type == "AUTHREC" ? cmd.Find("PROFILE")?.Values.Single().Text : cmd.ObjectName?.Text;
        return new MqObject(schema.Type, name ?? qmgrName, attributes.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }
}
