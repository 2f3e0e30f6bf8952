using System.Text;
using ActorQm.Channels;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Tls;

namespace ActorQm.Mqsc;

/// <summary>DISPLAY output in runmqsc's shape: a header message, then ATTR(value) pairs in two columns.</summary>
internal static class MqscDisplay
{
    private const int ColumnWidth = 40;

    /// <summary>Bare keywords DISPLAY takes besides the attributes of the object type.</summary>
    private static readonly string[] DisplayKeywords = ["ALL"];

    /// <summary>Status a DISPLAY of a local queue shows beside its definition (MQ's DISPLAY QLOCAL CURDEPTH).</summary>
    private static readonly string[] QueueStatusAttributes = ["CURDEPTH"];

    /// <summary>
    /// DISPLAY of definitions, as MQ does it: ALL, or a specific name with no attribute named, shows every attribute; a
    /// generic name with none shows the name (and TYPE for queues); named attributes show those beside the name. A bare
    /// keyword that is no attribute of the type is refused as DEFINE refuses it.
    /// </summary>
    public static MqscOutcome Objects(ObjectCatalog catalog, MqscCommand cmd, Func<string, QueueStatus?> queueStatus)
    {
        if (cmd.ObjectType == "CHLAUTH" && cmd.Find("MATCH")?.Values.SingleOrDefault()?.Text == "RUNCHECK")
        {
            return RunCheck(catalog, cmd);
        }

        var (ns, types, header, nameKeyword) = cmd.ObjectType switch
        {
            "QUEUE" => ("QUEUE", new[] { "QLOCAL", "QREMOTE", "QALIAS" }, "AMQ8409I: Display Queue details.", "QUEUE"),
            "QLOCAL" or "QREMOTE" or "QALIAS" => ("QUEUE", new[] { cmd.ObjectType }, "AMQ8409I: Display Queue details.", "QUEUE"),
            "CHANNEL" => ("CHANNEL", ["CHANNEL"], "AMQ8414I: Display Channel details.", "CHANNEL"),
            "AUTHINFO" => ("AUTHINFO", ["AUTHINFO"], "AMQ8566I: Display authentication information details.", "AUTHINFO"),
            "NAMELIST" => ("NAMELIST", ["NAMELIST"], "AMQ8550I: Display namelist details.", "NAMELIST"),
            "LISTENER" => ("LISTENER", ["LISTENER"], "AMQ8630I: Display listener information details.", "LISTENER"),
            "CHLAUTH" => ("CHLAUTH", ["CHLAUTH"], "AMQ8878I: Display channel authentication record details.", "CHLAUTH"),
            "QMGR" => ("QMGR", ["QMGR"], "AMQ8408I: Display Queue Manager details.", "QMNAME"),
            _ => throw new MqscException("AMQ8405E", $"Syntax error: DISPLAY does not take object type {cmd.ObjectType}.", cmd.Position),
        };

        var typeFilter = cmd.Find("TYPE")?.Values.SingleOrDefault()?.Text;
        var chlTypeFilter = cmd.Find("CHLTYPE")?.Values.SingleOrDefault()?.Text;
        var selected = SelectedAttributes(cmd, out var all);
        var schemas = types.Select(MqscSchema.For).OfType<ObjectSchema>().ToList();
        var known = ns switch
        {
            "QUEUE" => QueueStatusAttributes,
            "QMGR" => ["QMNAME"],
            _ => [],
        };
        if (cmd.Keywords.FirstOrDefault(k => !k.HasParentheses && !DisplayKeywords.Contains(k.Name) && !known.Contains(k.Name) && k.Name != nameKeyword
            && schemas.All(s => s.Find(k.Name) is null)) is { } unknown)
        {
            throw new MqscException("AMQ8405E", $"Syntax error detected at or near end of command segment below:- {unknown.Name} is not an attribute of {cmd.ObjectType}.", unknown.Position);
        }

        IEnumerable<MqObject> candidates = ns == "QMGR" ? [catalog.QMgr] : catalog.All(ns);
        var pattern = ns == "QMGR" ? "*" : cmd.ObjectName?.Text
            ?? throw new MqscException("AMQ8424E", $"Error detected in a name keyword: DISPLAY {cmd.ObjectType} needs a name or a generic name such as *.", cmd.Position);
        var matches = candidates
            .Where(o => types.Contains(o.Type) && Matches(pattern, o.Name))
            .Where(o => ns != "QUEUE" || typeFilter is null || typeFilter == "ALL" || o.Type == typeFilter)
            .Where(o => ns != "CHLAUTH" || typeFilter is null || typeFilter == "ALL" || o.Text("TYPE") == typeFilter)
            .Where(o => chlTypeFilter is null || chlTypeFilter == "ALL" || o.Text("CHLTYPE") == chlTypeFilter)
            .ToList();
        if (matches.Count == 0)
        {
            return MqscOutcome.Failed(new MqscException("AMQ8147E", $"ActorQm object {pattern} not found.", cmd.ObjectName?.Position ?? cmd.Position));
        }

        // MQ: ALL is the default for a specific name; a generic name alone shows only the names.
        var everything = all || ns == "CHLAUTH" || (selected.Count == 0 && (ns == "QMGR" || !pattern.Contains('*', StringComparison.Ordinal)));
        var shown = new List<MqscObject>();
        foreach (var o in matches)
        {
            var pairs = new List<MqscAttribute> { new(nameKeyword, o.Name) };
            if (ns == "QUEUE")
            {
                pairs.Add(new("TYPE", o.Type));
            }

            foreach (var (key, value) in o.Attributes)
            {
                if (everything || selected.Contains(key) || key is "CHLTYPE" or "AUTHTYPE")
                {
                    var spec = o.Schema.Find(key);
                    pairs.Add(new(key, spec?.Secret == true && ((string)value).Length > 0 ? "********" : Render(value)));
                }
            }

            if (o.Type == "QLOCAL" && (everything || selected.Contains("CURDEPTH")))
            {
                pairs.Add(new("CURDEPTH", Number(queueStatus(o.Name)?.CurrentDepth ?? 0)));
            }

            shown.Add(new MqscObject(header, pairs));
        }

        return MqscOutcome.Display(shown);
    }

    public static MqscOutcome QueueStatus(ObjectCatalog catalog, MqscCommand cmd, Func<string, QueueStatus?> status)
    {
        var pattern = cmd.ObjectName?.Text
            ?? throw new MqscException("AMQ8424E", "Error detected in a name keyword: DISPLAY QSTATUS needs a queue name or a generic name.", cmd.Position);
        var shown = new List<MqscObject>();
        foreach (var q in catalog.All("QUEUE").Where(o => o.Type == "QLOCAL" && Matches(pattern, o.Name)))
        {
            var s = status(q.Name) ?? new QueueStatus(0, 0);
            shown.Add(new MqscObject("AMQ8450I: Display queue status details.",
                [new("QUEUE", q.Name), new("TYPE", "QUEUE"), new("CURDEPTH", Number(s.CurrentDepth)), new("IPPROCS", Number(s.InputHandles)), new("OPPROCS", Number(s.OutputHandles)), new("UNCOM", Number(s.Uncommitted))]));
        }

        return shown.Count == 0
            ? MqscOutcome.Failed(new MqscException("AMQ8147E", $"ActorQm object {pattern} not found.", cmd.ObjectName.Position))
            : MqscOutcome.Display(shown);
    }

    /// <summary>DISPLAY CLUSQMGR(name or generic): the members of this queue manager's MQ clusters and the state of its channel to each.</summary>
    public static MqscOutcome ClusterQMgrs(MqscCommand cmd, IReadOnlyList<QueueClusters.ClusterQMgrStatus> members)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        var shown = members.Where(m => Matches(pattern, m.QMgr))
            .Select(m => new MqscObject("AMQ8441I: Display Cluster Queue Manager details.",
            [
                new("CLUSQMGR", m.QMgr), new("CLUSTER", m.Cluster), new("CHANNEL", m.Channel), new("CONNAME", m.ConName), new("STATUS", m.Status),
                new("QUEUES", string.Join(",", m.Queues), Quoted: true),
            ]))
            .ToList();
        return shown.Count == 0
            ? new MqscOutcome(true, ["AMQ8147E: ActorQm object not found: no cluster queue manager matches."], [])
            : MqscOutcome.Display(shown);
    }

    /// <summary>DISPLAY QCLUSTER(name or generic): every instance of the matching cluster queues, with the member that hosts it.</summary>
    public static MqscOutcome ClusterQueues(MqscCommand cmd, IReadOnlyList<QueueClusters.ClusterQMgrStatus> members)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        var shown = members.SelectMany(m => m.Queues.Select(q => (q, m))).Where(x => Matches(pattern, x.q)).OrderBy(x => x.q, StringComparer.Ordinal)
            .Select(x => new MqscObject("AMQ8409I: Display Queue details.",
                [new("QUEUE", x.q), new("TYPE", "QCLUSTER"), new("CLUSQMGR", x.m.QMgr), new("CLUSTER", x.m.Cluster), new("STATUS", x.m.Status)]))
            .ToList();
        return shown.Count == 0
            ? new MqscOutcome(true, ["AMQ8147E: ActorQm object not found: no cluster queue matches."], [])
            : MqscOutcome.Display(shown);
    }

    /// <summary>DISPLAY CHSTATUS(name or generic): the live status of channel instances, TLS fields included.</summary>
    /// <summary>What DISPLAY CHSTATUS always shows, whichever attributes are asked for (as MQ does).</summary>
    private static readonly string[] ChannelStatusAlways = ["CHANNEL", "CHLTYPE", "STATUS", "CONNAME", "XMITQ", "RQMNAME"];

    /// <summary>
    /// DISPLAY CHSTATUS: every attribute with ALL or none named; otherwise the ones MQ always shows and those named. A bare keyword
    /// that is no channel status attribute is refused.
    /// </summary>
    public static MqscOutcome ChannelStatus(MqscCommand cmd, IReadOnlyList<Channels.ChannelStatus> all)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        if (cmd.Keywords.FirstOrDefault(k => !k.HasParentheses && !DisplayKeywords.Contains(k.Name) && !ChannelStatusKeywords.Contains(k.Name)) is { } unknown)
        {
            throw new MqscException("AMQ8405E", $"Syntax error detected at or near end of command segment below:- {unknown.Name} is not a channel status attribute.", unknown.Position);
        }

        var selected = SelectedAttributes(cmd, out var everything);
        var shown = all.Where(s => Matches(pattern, s.Name))
            .Select(s => new MqscObject("AMQ8417I: Display Channel Status details.",
                ChannelStatusPairs(s).Where(p => everything || selected.Count == 0 || ChannelStatusAlways.Contains(p.Name) || selected.Contains(p.Name)).ToList()))
            .ToList();
        return shown.Count == 0
            ? new MqscOutcome(true, ["AMQ8420I: Channel Status not found."], [])
            : MqscOutcome.Display(shown);
    }

    private static readonly string[] ChannelStatusKeywords =
        ["CHANNEL", "CHLTYPE", "STATUS", "CONNAME", "XMITQ", "RQMNAME", "CURSEQNO", "LSTSEQNO", "INDOUBT", "MSGS", "BATCHES", "BYTSSENT", "BYTSRCVD",
         "SSLCIPH", "SSLPEER", "SSLCERTI", "MCAUSER", "SSLRKEYS", "NPMSPEED", "CHSTADA", "CHSTATI", "LASTERR", "QMNAME", "NODE"];

    private static IEnumerable<MqscAttribute> ChannelStatusPairs(Channels.ChannelStatus s) =>
    [
        new("CHANNEL", s.Name), new("CHLTYPE", s.Type), new("STATUS", s.State.ToString().ToUpperInvariant()), new("CONNAME", s.ConName),
        new("XMITQ", s.XmitQ), new("RQMNAME", s.RemoteQMgr), new("CURSEQNO", Number(s.CurrentSeq)), new("LSTSEQNO", Number(s.LastSeq)),
        new("INDOUBT", s.InDoubt ? "YES" : "NO"), new("MSGS", Number(s.Messages)), new("BATCHES", Number(s.Batches)), new("BYTSSENT", Number(s.BytesSent)),
        new("BYTSRCVD", Number(s.BytesReceived)), new("SSLCIPH", s.SslCipherSpec), new("SSLPEER", s.SslPeer, Quoted: true), new("SSLCERTI", s.SslCertIssuer, Quoted: true),
        new("MCAUSER", s.McaUser, Quoted: true), new("SSLRKEYS", Number(s.KeyResets)), new("NPMSPEED", s.NpmSpeed),
        new("CHSTADA", s.Started.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        new("CHSTATI", s.Started.ToString("HH.mm.ss", System.Globalization.CultureInfo.InvariantCulture)),
        .. s.LastError.Length > 0 ? new MqscAttribute[] { new("LASTERR", s.LastError, Quoted: true) } : [],
        .. s.Node.Length > 0 ? new MqscAttribute[] { new("QMNAME", s.QMgr), new("NODE", s.Node, Quoted: true) } : [],
    ];

    /// <summary>
    /// DISPLAY CHLAUTH(channel) MATCH(RUNCHECK) [SSLPEER(dn) [SSLCERTI(dn)]] [ADDRESS(ip)] [QMNAME(name)]: the
    /// mapping record a connection with those values would meet, chosen by the same code as the channel admission.
    /// </summary>
    private static MqscOutcome RunCheck(ObjectCatalog catalog, MqscCommand cmd)
    {
        var channel = cmd.ObjectName?.Text ?? string.Empty;
        if (channel.Length == 0 || channel.Contains('*', StringComparison.Ordinal))
        {
            throw new MqscException("AMQ8424E", "Error detected in a name keyword: MATCH(RUNCHECK) needs a channel name, not a generic one.", cmd.ObjectName?.Position ?? cmd.Position);
        }

        string? Value(string keyword) => cmd.Find(keyword)?.Values.SingleOrDefault()?.Text;
        var peerText = Value("SSLPEER");
        var addressText = Value("ADDRESS");
        var qmgr = Value("QMNAME");
        if (peerText is null && addressText is null && qmgr is null)
        {
            throw new MqscException("AMQ8405E", "Syntax error: MATCH(RUNCHECK) needs SSLPEER(...), ADDRESS(...) or QMNAME(...) describing the connection.", cmd.Position);
        }

        var issuerText = Value("SSLCERTI") ?? string.Empty;
        PeerName? subject = null;
        PeerName? issuer = null;
        try
        {
            subject = peerText is null ? null : PeerName.Parse(peerText);
            issuer = issuerText.Length == 0 ? PeerName.Empty : PeerName.Parse(issuerText);
        }
        catch (PeerNameFilterException e)
        {
            throw new MqscException("AMQ9640E", e.Message, cmd.Find("SSLPEER")?.Position ?? cmd.Position);
        }

        System.Net.IPAddress? address = null;
        if (addressText is not null && !System.Net.IPAddress.TryParse(addressText, out address))
        {
            throw new MqscException("AMQ8884E", $"Channel authentication record address not valid: MATCH(RUNCHECK) needs a literal IP address, not '{addressText}'.", cmd.Find("ADDRESS")!.Position);
        }

        var record = ChannelSecurity.MappingFor(catalog, channel, new CallerFacts(subject, issuer, address, qmgr));
        if (record is null)
        {
            return new MqscOutcome(true, ["AMQ9783I: Channel will run using the MCAUSER of the channel definition (no mapping record matches)."], []);
        }

        return MqscOutcome.Display([new MqscObject("AMQ8878I: Display channel authentication record details.",
            [new("CHLAUTH", record.Name), .. record.Attributes.Where(a => a.Value is not (string { Length: 0 } or string[] { Length: 0 })).Select(a => new MqscAttribute(a.Key, Render(a.Value)))])]);
    }

    private static HashSet<string> SelectedAttributes(MqscCommand cmd, out bool all)
    {
        all = cmd.Find("ALL") is not null;
        return cmd.Keywords.Where(k => !k.HasParentheses).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>MQ generic names: a trailing '*' matches any suffix; '*' alone matches everything.</summary>
    internal static bool Matches(string pattern, string name) =>
        pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : pattern == name;

    private static string Render(object value) => value switch
    {
        string s => s,
        string[] list => string.Join(",", list.Select(MqObject.Quote)),
        _ => MqObject.Format(value),
    };

    internal static string Number(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The runmqsc text of displayed objects: each object's message, then its attributes two to a line.</summary>
    internal static IEnumerable<string> Lines(IEnumerable<MqscObject> objects) =>
        objects.SelectMany(o => Columns(o.Attributes.Select(a => a.Text).ToList()).Prepend(o.Message));

    private static IEnumerable<string> Columns(List<string> pairs)
    {
        for (var i = 0; i < pairs.Count; i += 2)
        {
            var sb = new StringBuilder("   ").Append(pairs[i]);
            if (i + 1 < pairs.Count)
            {
                sb.Append(' ', Math.Max(1, ColumnWidth - pairs[i].Length)).Append(pairs[i + 1]);
            }

            yield return sb.ToString();
        }
    }
}
