using System.Globalization;
using ActorQm.Mqi;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Rest.WebConsole;

/// <summary>
/// What the console shows of one queue manager, read as the request's principal: its local queues with their depth, its
/// channels' status and its listeners with their last handshakes (docs/rest.md, "Console"). Everything comes from
/// DISPLAY commands run with the principal's authority, as a remote administrator's would (the listeners' handshakes
/// are shown only with DSP on every listener, as <c>DISPLAY LISTENER(*)</c> needs), so the console shows no more than
/// the principal could display over the REST API.
/// </summary>
internal static class ConsoleSnapshot
{
    private const string Script = """
        DISPLAY QMGR QMNAME
        DISPLAY QLOCAL(*) CURDEPTH MAXDEPTH
        DISPLAY CHSTATUS(*) ALL
        DISPLAY LISTENER(*)
        """;

    /// <summary>The snapshot, or the refusal of the first command the principal may not run (its AMQ8135E text).</summary>
    public static async Task<(QueueManagerView? View, string? Refusal)> ReadAsync(string name, IActorRef qm, RestPeer peer, IActorRef timeline, TimeSpan timeout)
    {
        var principal = await RestApi.PrincipalAt(qm, peer, timeout).ConfigureAwait(false);
        var done = await qm.Ask<QueueManagerApi.MqscCompleted>(new QueueManagerApi.RunMqsc(Script, As: principal, Origin: $"web console client {peer.Describe()}"), timeout).ConfigureAwait(false);
        if (done.Results.SelectMany(r => r.Messages).FirstOrDefault(m => m.StartsWith("AMQ8135E", StringComparison.Ordinal)) is { } refusal)
        {
            return (null, refusal);
        }

        var bound = (await qm.Ask<Channels.Channel.Listeners>(QueueManager.GetListeners.Instance, timeout).ConfigureAwait(false)).Bound;
        // A listener is known by the endpoint it is bound to (its connections are named after it): two queue managers of the
        // process may listen on one port at two addresses, and each sees only its own listeners' handshakes.
        var handshakes = await timeline.Ask<HandshakeTimeline.Timeline>(new HandshakeTimeline.GetTimeline([.. bound.Values.Select(e => e.ToString())]), timeout).ConfigureAwait(false);
        var queues = Objects(done, "QLOCAL")
            .Select(q => new QueueView(Text(q, "QUEUE"), Number(q, "CURDEPTH"), Number(q, "MAXDEPTH")))
            .ToList();
        var channels = Objects(done, "CHSTATUS")
            .Select(c => new ChannelView(Text(c, "CHANNEL"), Text(c, "CHLTYPE"), Text(c, "STATUS"), Text(c, "CONNAME"), Text(c, "SSLPEER"), Text(c, "SSLCIPH"), Number(c, "MSGS")))
            .ToList();
        var listeners = bound.OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => new ListenerView(l.Key, l.Value.ToString(), handshakes.Listeners.TryGetValue(l.Value.ToString(), out var records) ? records : []))
            .ToList();
        return (new QueueManagerView(name, queues, channels, listeners), null);
    }

    /// <summary>Null when the principal may display one of the queue managers (the page is worth sending), else the last refusal.</summary>
    public static async Task<string?> RefusalAsync(IEnumerable<IActorRef> queueManagers, RestPeer peer, TimeSpan timeout)
    {
        var refusal = "no queue manager is served";
        foreach (var qm in queueManagers)
        {
            var principal = await RestApi.PrincipalAt(qm, peer, timeout).ConfigureAwait(false);
            var done = await qm.Ask<QueueManagerApi.MqscCompleted>(new QueueManagerApi.RunMqsc("DISPLAY QMGR QMNAME", As: principal, Origin: $"web console client {peer.Describe()}"), timeout).ConfigureAwait(false);
            if (done.Failed == 0)
            {
                return null;
            }

            refusal = done.Results.SelectMany(r => r.Messages).FirstOrDefault() ?? refusal;
        }

        return refusal;
    }

    private static IEnumerable<MqscObject> Objects(QueueManagerApi.MqscCompleted done, string displayed) =>
        done.Results.Where(r => r.Succeeded && r.Command.StartsWith($"DISPLAY {displayed}", StringComparison.Ordinal)).SelectMany(r => r.Objects);

    private static string Text(MqscObject o, string name) => o.Attributes.FirstOrDefault(a => a.Name == name)?.Value.Trim() ?? string.Empty;

    private static long Number(MqscObject o, string name) => long.TryParse(Text(o, name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The JSON of <c>GET /ibmmq/console/api/qmgr/{qmgr}</c>.</summary>
    public sealed record QueueManagerView(string Name, IReadOnlyList<QueueView> Queues, IReadOnlyList<ChannelView> Channels, IReadOnlyList<ListenerView> Listeners);

    public sealed record QueueView(string Name, long Depth, long MaxDepth);

    /// <summary>A channel instance: <see cref="Messages"/> is MSGS, which the page turns into a rate between two polls.</summary>
    public sealed record ChannelView(string Name, string Type, string Status, string ConName, string Peer, string CipherSpec, long Messages);

    public sealed record ListenerView(string Name, string Address, IReadOnlyList<HandshakeTimeline.HandshakeRecord> Handshakes);
}
