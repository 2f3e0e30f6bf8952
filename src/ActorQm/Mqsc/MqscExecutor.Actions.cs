using System.Globalization;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Mqsc;

/// <summary>Commands that act rather than define: START/STOP/RESET/RESOLVE CHANNEL, START/STOP LISTENER, REVOKE CERT.</summary>
public sealed partial class MqscExecutor
{
    private MqscOutcome ChannelAction(MqscCommand cmd)
    {
        var name = RequireName(cmd, MqscSchema.Channel);
        var channel = catalog.Find("CHANNEL", name) ?? ClusterSender(name) ?? throw NotFound(name, cmd);
        var type = channel.Text("CHLTYPE");
        var allowed = cmd.Verb switch
        {
            "START" => ["SDR", "RCVR", "SVR", "RQSTR", "SVRCONN", "CLUSRCVR", "CLUSSDR"],
            "STOP" => ["SDR", "RCVR", "SVR", "RQSTR", "SVRCONN", "CLUSRCVR", "CLUSSDR"],
            "RESET" => new[] { "SDR", "RCVR", "SVR", "RQSTR", "CLUSRCVR" },
            _ => ["SDR", "SVR"],
        };
        if (!allowed.Contains(type))
        {
            throw new MqscException("AMQ8033E", $"{cmd.Verb} CHANNEL is not valid for channel {name} of type {type} (ActorQm runs SDR, SVR, RCVR, RQSTR, SVRCONN and CLUSRCVR channels, and defines cluster-senders itself, which START and STOP act on; RESOLVE is for the sending ones).", cmd.ObjectName!.Position);
        }

        var seq = cmd.Find("SEQNUM")?.Values.SingleOrDefault()?.Text;
        long seqNum = 1;
        if (cmd.Verb == "RESET" && seq is not null && (!long.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out seqNum) || seqNum < 1 || seqNum > 999_999_999))
        {
            throw Syntax($"SEQNUM({seq}) must be 1 to 999999999.", cmd.Find("SEQNUM")!.Position);
        }

        var action = cmd.Find("ACTION")?.Values.SingleOrDefault()?.Text;
        if (cmd.Verb == "RESOLVE" && action is not ("COMMIT" or "BACKOUT"))
        {
            throw Syntax("RESOLVE CHANNEL needs ACTION(COMMIT) or ACTION(BACKOUT).", cmd.Find("ACTION")?.Position ?? cmd.Position);
        }

        var known = cmd.Verb switch { "RESET" => "SEQNUM", "RESOLVE" => "ACTION", "STOP" => "MODE", _ => string.Empty };
        if (cmd.Keywords.FirstOrDefault(k => k.Name != known) is { } extra)
        {
            throw Syntax($"{extra.Name} is not valid on {cmd.Verb} CHANNEL.", extra.Position);
        }

        var text = cmd.Verb switch
        {
            "START" => "AMQ8018I: Start ActorQm channel accepted.",
            "STOP" => "AMQ8019I: Stop ActorQm channel accepted.",
            "RESET" => "AMQ8023I: ActorQm channel reset accepted.",
            _ => "AMQ8024I: ActorQm channel resolve accepted.",
        };
        return Done(text, new ChannelActionRequested(cmd.Verb, channel, seqNum, action == "COMMIT"));
    }

    /// <summary>
    /// An auto-defined cluster-sender is no catalog object (it follows the member's CLUSRCVR), but START and STOP CHANNEL
    /// act on it by its name as in MQ: a stopped one stays stopped, its messages waiting on its transmission queue.
    /// </summary>
    private MqObject? ClusterSender(string name) =>
        runtime.ClusterQueueManagers().Any(m => m.Channel == name && m.Status != "LOCAL")
            ? new MqObject("CHANNEL", name, System.Collections.Immutable.ImmutableSortedDictionary<string, object>.Empty.Add("CHLTYPE", "CLUSSDR"))
            : null;

    private static MqscOutcome RevokeCertificate(MqscCommand cmd)
    {
        var serial = cmd.ObjectName?.Text.Replace(":", string.Empty, StringComparison.Ordinal) ?? string.Empty;
        if (serial.Length == 0 || serial.Length > 40 || !serial.All(Uri.IsHexDigit))
        {
            throw new MqscException("AMQ8424E", $"Error detected in a name keyword: CERT('{cmd.ObjectName?.Text}') needs the certificate's serial number in hex.", cmd.ObjectName?.Position ?? cmd.Position);
        }

        var issuer = cmd.Find("ISSUER")?.Values.SingleOrDefault()?.Text
            ?? throw Syntax("REVOKE CERT needs ISSUER('distinguished name of the issuing CA').", cmd.Position);
        try
        {
            PeerName.Parse(issuer);
        }
        catch (PeerNameFilterException e)
        {
            throw new MqscException("AMQ9640E", e.Message.Replace("SSLPEER", "ISSUER", StringComparison.Ordinal), cmd.Find("ISSUER")!.Position);
        }

        if (cmd.Keywords.FirstOrDefault(k => k.Name != "ISSUER") is { } extra)
        {
            throw Syntax($"{extra.Name} is not valid on REVOKE CERT.", extra.Position);
        }

        return Done("AMQ8790I: ActorQm certificate revocation accepted: new handshakes with it are refused and running connections that use it end.", new CertificateRevocationRequested(issuer, serial.ToUpperInvariant()));
    }

    /// <summary>
    /// REFRESH CLUSTER(name|*) [REPOS(NO|YES)]: the queue manager forgets what it knows of the cluster's other members (their
    /// channel definitions, the queues they host) and learns it again from the directory as it is now, advertising its own
    /// membership again; cluster-senders with messages waiting start again. REPOS(YES) does the same: ActorQm has no full
    /// repositories to refresh separately. Messages on the cluster transmission queues stay (docs/reliability.md, "Cluster chaos").
    /// </summary>
    private MqscOutcome RefreshCluster(MqscCommand cmd)
    {
        var cluster = cmd.ObjectName?.Text ?? throw Syntax("REFRESH CLUSTER needs a cluster name, or * for every cluster.", cmd.Position);
        if (cmd.Find("REPOS") is { } repos && SingleValue(repos).Text.ToUpperInvariant() is not ("NO" or "YES"))
        {
            throw Syntax($"REPOS({SingleValue(repos).Text}) must be NO or YES.", repos.Position);
        }

        if (cmd.Keywords.FirstOrDefault(k => k.Name != "REPOS") is { } other)
        {
            throw Syntax($"Keyword {other.Name} is not valid for REFRESH CLUSTER.", other.Position);
        }

        var member = catalog.All("CHANNEL").Select(c => c.AsChannel()).Any(c => c.Kind == ChannelKind.ClusterReceiver && c.Cluster.Length > 0 && (cluster == "*" || c.Cluster == cluster));
        if (!member)
        {
            throw new MqscException("AMQ8147E", $"queue manager {catalog.QMgrName} is not a member of cluster {cluster}: it has no CLUSRCVR channel with CLUSTER({cluster}).", cmd.ObjectName.Position);
        }

        return Done("AMQ8559I: Refresh Cluster accepted.", new ClusterRefreshRequested(cluster));
    }

    private MqscOutcome ListenerAction(MqscCommand cmd)
    {
        var name = RequireName(cmd, MqscSchema.Listener);
        var listener = catalog.Find("LISTENER", name) ?? throw NotFound(name, cmd);
        return Done(cmd.Verb == "START" ? "AMQ8021I: Request to start ActorQm listener accepted." : "AMQ8706I: Request to stop ActorQm listener accepted.", new ListenerActionRequested(cmd.Verb, listener));
    }
}
