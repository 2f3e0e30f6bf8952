using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Queues;
using ActorQm.Store;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Mqi.QueueManagerApi;
using static ActorQm.QueueManagers.QueueManager;

namespace ActorQm.QueueManagers;

/// <summary>
/// MQSC at the queue manager: a script's commands run in order with the caller's authority, and each change they make to
/// the catalog is applied here (queues started or stopped, channels and listeners acted on, certificates revoked) and
/// journalled, so a definition survives a restart (docs/storage.md).
/// </summary>
internal sealed partial class QueueManagerActor
{
    private void HandleMqsc(RunMqsc run)
    {
        var lines = new List<string>();
        var count = 0;
        var failed = 0;
        var writes = new List<JournalOp>();
        _deferred = run.Startup ? [] : null;
        List<MqscParser.CommandSource> sources;
        try
        {
            sources = MqscParser.SplitCommands(run.Script);
        }
        catch (MqscException e)
        {
            Sender.Tell(new MqscCompleted([e.Message], 0, 1) { Results = [new Protocol.MqscCommandResult(1, string.Empty, false, [e.Message], [])] });
            return;
        }

        var results = new List<Protocol.MqscCommandResult>();
        foreach (var source in sources)
        {
            count++;
            var text = MqscSecrets.Mask(source.Text.Trim());
            lines.Add($"{count,6} : {text}");
            if (run.As is { } caller)
            {
                // As MQ's command events with CMDEV(NODISPLAY): what changes something is kept, a DISPLAY only at debug level
                // (a console polling every two seconds would otherwise fill the log; refusals are logged below either way).
                const string Format = "remote MQSC command {0} from {1} as {2}: {3}";
                if (MqscParser.IsDisplay(source))
                {
                    _log.Debug(Format, count, run.Origin ?? "a client", caller.Name, text);
                }
                else
                {
                    _log.Info(Format, count, run.Origin ?? "a client", caller.Name, text);
                }
            }

            MqscOutcome outcome;
            string? refusal = null;
            try
            {
                var command = MqscParser.Parse(source);
                refusal = run.As is { Privileged: false } principal ? MqscAuthority.Refusal(command, _catalog, principal) : null;
                outcome = refusal is null ? _executor.Execute(command, run.Startup) : new MqscOutcome(false, [$"AMQ8135E: Not authorized: {refusal}."], []);
            }
            catch (MqscException e)
            {
                outcome = MqscOutcome.Failed(e);
            }

            lines.AddRange(outcome.Lines);
            results.Add(new Protocol.MqscCommandResult(count, text, outcome.Succeeded, outcome.Messages, outcome.Objects));
            if (!outcome.Succeeded)
            {
                failed++;
                _log.Warning(refusal is null ? "{0} (command {1}: {2})" : "AMQ8077W: {0} (remote MQSC command {1}: {2}; MQRC 2035)", refusal ?? outcome.Lines[0], count, text);
                continue;
            }

            foreach (var change in outcome.Changes)
            {
                if (Apply(change) is { } write)
                {
                    writes.Add(write);
                }
            }
        }

        if (run.Startup)
        {
            // The start-up script may set SSLKEYR, SSLCRLNL or AUTHINFO: the TLS material starts from the result.
            LoadTls();
            StartAutomaticListeners();
            var deferred = _deferred ?? [];
            _deferred = null;
            foreach (var change in deferred)
            {
                Apply(change);
            }
        }

        DefinitionsChanged();
        lines.Add($"{count} MQSC commands read.");
        lines.Add(failed == 0 ? "No commands have a syntax error." : $"{failed} commands have an error.");
        lines.Add(failed == 0 ? "All valid MQSC commands were processed." : "All valid MQSC commands were processed; the ones in error changed nothing.");
        var completed = new MqscCompleted(lines, count, failed) { Results = results };
        if (writes.Count == 0)
        {
            Sender.Tell(completed);
            return;
        }

        // Answer only when the last definition change is durable: the journal commits in order.
        writes[^1] = writes[^1].WithAck(Sender.Tell, completed);
        foreach (var write in writes)
        {
            _journal.Enqueue(write);
        }
    }

    /// <summary>Applies one catalog change to the running queues; returns the journal write that records it.</summary>
    private JournalOp? Apply(CatalogChange change)
    {
        _catalog.Apply(change);
        switch (change)
        {
            case ObjectDefined { Object.Type: "QLOCAL" } d when _queues.TryGetValue(d.Object.Name, out var q):
                q.Actor.Tell(new LocalQueue.UpdateDefinition(LocalQueueDefinition.From(d.Object)));
                break;
            case ObjectDefined { Object.Type: "QLOCAL" } d:
                StartQueue(d.Object);
                break;
            case ObjectDefined { Object.Type: "CHANNEL" } or ObjectDeleted { Object.Type: "CHANNEL" }:
                PublishChannelTls();
                break;
            case QueueCleared c:
                _queues[c.Name].Actor.Tell(new LocalQueue.ClearQueue());
                return null;
            case SslSecurityRefreshed:
                LoadTls(refresh: true);
                return null;
            case ClusterRefreshRequested r:
                RefreshCluster(r.Cluster);
                return null;
            case ChannelActionRequested or ListenerActionRequested when _deferred is not null:
                // Start-up script: channels and listeners start once the script's TLS material is loaded.
                _deferred.Add(change);
                return null;
            case ChannelActionRequested a:
                HandleChannelAction(a);
                return null;
            case ListenerActionRequested l:
                HandleListenerAction(l);
                return null;
            case CertificateRevocationRequested r:
                var revoked = new Tls.RevokedCertificate(r.Issuer, r.Serial, $"REVOKE CERT on {_settings.Name}");
                Tls.RevokedCertificatesExtension.For(Context.System).Add(revoked);
                // Kept in the journal: the list is filled again at the next start.
                return JournalOp.SaveRevoked(new StoredRevocation(revoked.Key(), revoked.Issuer, revoked.Serial, revoked.Source), Self.Tell, null);
            case ObjectDeleted { Object.Type: "QLOCAL" } d:
                _queues[d.Object.Name].Actor.Tell(new LocalQueue.DeleteQueue());
                _queues.Remove(d.Object.Name);
                PublishQueues();
                break;
        }

        return change switch
        {
            ObjectDefined d => JournalOp.SaveObject(d.Object.Type, d.Object.Key, d.Object.ToMqsc(), Self.Tell, null),
            ObjectDeleted d => JournalOp.DeleteObject(d.Object.Type, d.Object.Key, Self.Tell, null),
            _ => null,
        };
    }
}
