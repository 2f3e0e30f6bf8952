using System.Text;
using ActorQm.Channels;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Mqsc;

/// <summary>DISPLAY output in runmqsc's shape: a header message, then ATTR(value) pairs in two columns.</summary>
internal static class MqscDisplay
{
    private const int ColumnWidth = 40;

    public static MqscOutcome Objects(ObjectCatalog catalog, MqscCommand cmd)
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
            "QMGR" => ("QMGR", ["QMGR"], "AMQ8408I: Display Queue Manager details.", "QMGR"),
            _ => throw new MqscException("AMQ8405E", $"Syntax error: DISPLAY does not take object type {cmd.ObjectType}.", cmd.Position),
        };

        var typeFilter = cmd.Find("TYPE")?.Values.SingleOrDefault()?.Text;
        var chlTypeFilter = cmd.Find("CHLTYPE")?.Values.SingleOrDefault()?.Text;
        var selected = SelectedAttributes(cmd, out var all);
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

        var lines = new List<string>();
        foreach (var o in matches)
        {
            lines.Add(header);
            var pairs = new List<string> { $"{nameKeyword}({o.Name})" };
            if (ns == "QUEUE")
            {
                pairs.Add($"TYPE({o.Type})");
            }

            foreach (var (key, value) in o.Attributes)
            {
                if (all || ns == "QMGR" || ns == "CHLAUTH" || selected.Contains(key) || key is "CHLTYPE" or "AUTHTYPE")
                {
                    var spec = o.Schema.Find(key);
                    pairs.Add($"{key}({(spec?.Secret == true && ((string)value).Length > 0 ? "********" : Render(value))})");
                }
            }

            lines.AddRange(Columns(pairs));
        }

        return new MqscOutcome(true, lines, []);
    }

    public static MqscOutcome QueueStatus(ObjectCatalog catalog, MqscCommand cmd, Func<string, QueueStatus?> status)
    {
        var pattern = cmd.ObjectName?.Text
            ?? throw new MqscException("AMQ8424E", "Error detected in a name keyword: DISPLAY QSTATUS needs a queue name or a generic name.", cmd.Position);
        var lines = new List<string>();
        foreach (var q in catalog.All("QUEUE").Where(o => o.Type == "QLOCAL" && Matches(pattern, o.Name)))
        {
            var s = status(q.Name) ?? new QueueStatus(0, 0);
            lines.Add("AMQ8450I: Display queue status details.");
            lines.AddRange(Columns([$"QUEUE({q.Name})", "TYPE(QUEUE)", $"CURDEPTH({s.CurrentDepth})", $"UNCOM({s.Uncommitted})"]));
        }

        return lines.Count == 0
            ? MqscOutcome.Failed(new MqscException("AMQ8147E", $"ActorQm object {pattern} not found.", cmd.ObjectName.Position))
            : new MqscOutcome(true, lines, []);
    }

    /// <summary>DISPLAY CLUSQMGR(name or generic): the members of this queue manager's MQ clusters and the state of its channel to each.</summary>
    public static MqscOutcome ClusterQMgrs(MqscCommand cmd, IReadOnlyList<QueueClusters.ClusterQMgrStatus> members)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        var lines = new List<string>();
        foreach (var m in members.Where(m => Matches(pattern, m.QMgr)))
        {
            lines.Add("AMQ8441I: Display Cluster Queue Manager details.");
            lines.AddRange(Columns([$"CLUSQMGR({m.QMgr})", $"CLUSTER({m.Cluster})", $"CHANNEL({m.Channel})", $"CONNAME({m.ConName})", $"STATUS({m.Status})",
                $"QUEUES('{string.Join(",", m.Queues)}')"]));
        }

        return lines.Count == 0
            ? new MqscOutcome(true, ["AMQ8147E: ActorQm object not found: no cluster queue manager matches."], [])
            : new MqscOutcome(true, lines, []);
    }

    /// <summary>DISPLAY QCLUSTER(name or generic): every instance of the matching cluster queues, with the member that hosts it.</summary>
    public static MqscOutcome ClusterQueues(MqscCommand cmd, IReadOnlyList<QueueClusters.ClusterQMgrStatus> members)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        var lines = new List<string>();
        foreach (var (queue, m) in members.SelectMany(m => m.Queues.Select(q => (q, m))).Where(x => Matches(pattern, x.q)).OrderBy(x => x.q, StringComparer.Ordinal))
        {
            lines.Add("AMQ8409I: Display Queue details.");
            lines.AddRange(Columns([$"QUEUE({queue})", "TYPE(QCLUSTER)", $"CLUSQMGR({m.QMgr})", $"CLUSTER({m.Cluster})", $"STATUS({m.Status})"]));
        }

        return lines.Count == 0
            ? new MqscOutcome(true, ["AMQ8147E: ActorQm object not found: no cluster queue matches."], [])
            : new MqscOutcome(true, lines, []);
    }

    /// <summary>DISPLAY CHSTATUS(name or generic): the live status of channel instances, TLS fields included.</summary>
    public static MqscOutcome ChannelStatus(MqscCommand cmd, IReadOnlyList<Channels.ChannelStatus> all)
    {
        var pattern = cmd.ObjectName?.Text ?? "*";
        var lines = new List<string>();
        foreach (var s in all.Where(s => Matches(pattern, s.Name)))
        {
            lines.Add("AMQ8417I: Display Channel Status details.");
            lines.AddRange(Columns([
                $"CHANNEL({s.Name})", $"CHLTYPE({s.Type})", $"STATUS({s.State.ToString().ToUpperInvariant()})", $"CONNAME({s.ConName})",
                $"XMITQ({s.XmitQ})", $"RQMNAME({s.RemoteQMgr})", $"CURSEQNO({s.CurrentSeq})", $"LSTSEQNO({s.LastSeq})",
                $"INDOUBT({(s.InDoubt ? "YES" : "NO")})", $"MSGS({s.Messages})", $"BATCHES({s.Batches})", $"BYTSSENT({s.BytesSent})",
                $"BYTSRCVD({s.BytesReceived})", $"SSLCIPH({s.SslCipherSpec})", $"SSLPEER('{s.SslPeer}')", $"SSLCERTI('{s.SslCertIssuer}')",
                $"MCAUSER('{s.McaUser}')", $"SSLRKEYS({s.KeyResets})", $"CHSTADA({s.Started:yyyy-MM-dd})", $"CHSTATI({s.Started:HH.mm.ss})",
                .. s.LastError.Length > 0 ? new[] { $"LASTERR('{s.LastError}')" } : [],
                .. s.Node.Length > 0 ? new[] { $"QMNAME({s.QMgr})", $"NODE('{s.Node}')" } : [],
            ]));
        }

        return lines.Count == 0
            ? new MqscOutcome(true, ["AMQ8420I: Channel Status not found."], [])
            : new MqscOutcome(true, lines, []);
    }

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

        var lines = new List<string> { "AMQ8878I: Display channel authentication record details." };
        lines.AddRange(Columns([$"CHLAUTH({record.Name})", .. record.Attributes.Where(a => a.Value is not (string { Length: 0 } or string[] { Length: 0 })).Select(a => $"{a.Key}({Render(a.Value)})")]));
        return new MqscOutcome(true, lines, []);
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
        string s => s.Length == 0 ? " " : s,
        string[] list => string.Join(",", list.Select(MqObject.Quote)),
        _ => MqObject.Format(value),
    };

    internal static IEnumerable<string> Columns(List<string> pairs)
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
