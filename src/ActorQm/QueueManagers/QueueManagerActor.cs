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
/// A queue manager: owns its object catalog and journal, runs one child actor per local queue,
/// resolves names (aliases, remote queues, queue manager aliases, transmission queues) and
/// executes MQSC. Puts and gets through an opened handle bypass it.
/// </summary>
internal sealed partial class QueueManagerActor : ReceiveActor
{
    private readonly QueueManagerSettings _settings;
    private readonly MessageJournal _journal;
    private readonly ObjectCatalog _catalog;
    private readonly Dictionary<string, List<StoredMessage>> _recovered;
    private readonly Dictionary<string, (IActorRef Actor, QueueCounters Counters)> _queues = new(StringComparer.Ordinal);

    // The queues as metrics see them, replaced (never changed) when a queue starts or goes.
    private volatile (string Name, QueueCounters Counters)[] _queueSnapshot = [];
    private IDisposable? _metrics;
    private readonly MqscExecutor _executor;
    private readonly Channels.QueueManagerTls _tls;

    // The tls settings REFRESH SECURITY TYPE(SSL) read, applied with the refresh it belongs to.
    private TlsSettings? _reloadedTls;
    private readonly Channels.ChannelStatusBoard _board = new();
    private readonly Channels.ChannelSyncStore _sync;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _queueActorCount;
    private List<CatalogChange>? _deferred;

    public QueueManagerActor(QueueManagerSettings settings, MessageJournal journal, ObjectCatalog catalog, Dictionary<string, List<StoredMessage>> recovered)
    {
        _settings = settings;
        _journal = journal;
        _catalog = catalog;
        _recovered = recovered;
        var queueDefaults = new Dictionary<string, object>
        {
            ["MAXDEPTH"] = (long)settings.DefaultMaxDepth,
            ["MAXMSGL"] = (long)settings.DefaultMaxMessageLength,
        };
        _executor = new MqscExecutor(catalog, queueDefaults, new MqscRuntimeView(this, Channels.ChannelStatusView.For(Context.System)));
        _sync = new Channels.ChannelSyncStore(journal, journal.LoadChannelSync());
        _tls = new Channels.QueueManagerTls(settings.Tls, Tls.RevokedCertificatesExtension.For(Context.System));

        Receive<OpenQueue>(HandleOpen);
        Receive<CloseQueue>(HandleClose);
        Receive<PutMessage>(HandlePut);
        Receive<GetMessage>(HandleGet);
        Receive<PutDeadLetter>(HandleDeadLetter);
        Receive<RunMqsc>(HandleMqsc);
        Receive<LocalQueue.Cleared>(_ => { });
        Receive<GetTls>(_ => Sender.Tell(new TlsMaterial(_tls)));
        Receive<JournalWriteFailed>(f => _log.Error("AMQ7080E: journal write of an object definition on {0} failed: {1}", _settings.Name, f.Reason));
        Receive<OwnershipLost>(lost =>
        {
            // Another runtime writes this queue manager now: refusing every write for good would serve no one, so it ends
            // (in a cluster its entity ends with it and the shard's home serves it; docs/persistence.md, "Journal outages").
            _log.Error("AMQ7081E: queue manager {0} ends: {1}", _settings.Name, lost.Reason);
            Context.Stop(Self);
        });
        Receive<CommitInDoubt>(doubt => _log.Warning("AMQ7082W: journal of queue manager {0}: {1}", _settings.Name, doubt.Reason));
        ReceiveChannels();
        ReceiveClusters();
    }

    /// <summary>
    /// A queue actor's state is its messages: a failure while handling one request must not
    /// throw them away, so the queue is resumed, never restarted.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException)
        {
            return Directive.Stop;
        }

        _log.Error(e, "AMQ6184E: queue actor of {0} failed on a request; it keeps its messages and goes on serving.", _settings.Name);
        return Directive.Resume;
    });

    /// <summary>Same for the queue manager itself: one bad request is reported, the catalog and queues stay.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (e is not ActorKilledException)
        {
            _log.Error(e, "AMQ6184E: queue manager {0} failed to handle {1}; it goes on serving.", _settings.Name, message.GetType().Name);
            return true;
        }
    }

    protected override void PreStart()
    {
        foreach (var q in _catalog.All("QUEUE").Where(o => o.Type == "QLOCAL"))
        {
            StartQueue(q);
        }

        Channels.ChannelStatusView.For(Context.System).Register(_settings.Name, _board);
        _metrics = RegisterMetrics();
        StartInitiator();
        LoadTls();
        if (_settings.MqscFile is null)
        {
            StartAutomaticListeners();
        }

        Context.System.EventStream.Subscribe(Self, typeof(QueueClusters.ClusterDirectoryChanged));
        var self = Self;
        _journal.OnOwnershipLost(reason => self.Tell(new OwnershipLost(reason)));
        _journal.OnInDoubt(reason => self.Tell(new CommitInDoubt(reason)));
        DefinitionsChanged();
        var recoveredCount = _queues.Values.Sum(q => q.Counters.Depth);
        _log.Info("AMQ8003I: queue manager {0} started with {1} queues and {2} recovered persistent messages (journal {3}).", _settings.Name, _queues.Count, recoveredCount, _journal.Location);
        ReportOrphans();
    }

    protected override void PostStop()
    {
        Channels.ChannelStatusView.For(Context.System).Unregister(_settings.Name);
        _metrics?.Dispose();
        // Unsubscribed first: withdrawing publishes a change this stopped actor must not be sent.
        Context.System.EventStream.Unsubscribe(Self);
        Directory.Withdraw(_settings.Name);
        _journal.Dispose();
        _log.Info("AMQ8004I: queue manager {0} ended.", _settings.Name);
    }

    private void HandleOpen(OpenQueue open)
    {
        if (Messages.MqContextRules.Invalid(open.Options) is { } invalid)
        {
            Sender.Tell(new OpenRejected(Messages.MqReason.OptionsError, $"MQRC_OPTIONS_ERROR: {invalid}"));
            return;
        }

        if (open is { Connecting: true, As: { } caller } && _catalog.Authority.Missing(caller, Authority.AuthorityObjectType.QMgr, _catalog.QMgrName, Authority.AuthorityKind.Connect) != Authority.AuthorityKind.None)
        {
            var noConnect = $"AMQ8077W: entity '{caller.Name}' has insufficient authority to access object {_catalog.QMgrName}: missing CONNECT (MQRC 2035)";
            _log.Warning("{0}", noConnect);
            Sender.Tell(new OpenRejected(Messages.MqReason.NotAuthorized, noConnect));
            return;
        }

        var result = Open(open.QueueName, open.QMgrName, open.ForInput ? OpenPurpose.Input : OpenPurpose.Output);
        if (result.Handle is not null && open.As is { } principal
            && QueueAuthority.Check(_catalog, principal, open, result.Handle, _settings.Security.PrincipalFor) is { } refusal)
        {
            _log.Warning("{0}", refusal);
            Sender.Tell(new OpenRejected(Messages.MqReason.NotAuthorized, refusal));
            return;
        }

        if (result.Handle is not null && open.Holder is { } holder)
        {
            result = (Track(result.Handle, holder, open.Options), result.Reason, result.Detail);
        }

        Sender.Tell(result.Handle is not null ? new QueueOpened(result.Handle) : new OpenRejected(result.Reason, result.Detail));
    }

    private (QueueHandle? Handle, MqReason Reason, string Detail) Open(string queueName, string? qmgrName, OpenPurpose purpose)
    {
        if (purpose == OpenPurpose.Input)
        {
            if (!string.IsNullOrWhiteSpace(qmgrName) && qmgrName != _settings.Name)
            {
                return (null, MqReason.OptionNotValidForType, $"A queue on {qmgrName} cannot be read from {_settings.Name}.");
            }

            var (queue, alias, reason, detail) = NameResolver.ResolveForGet(_catalog, queueName);
            if (queue is null)
            {
                return (null, reason, detail);
            }

            if (alias is not null && alias.Text("GET") == "DISABLED")
            {
                return (null, MqReason.GetInhibited, $"Alias {alias.Name} is GET(DISABLED).");
            }

            return (Handle(queue, null, null, alias ?? queue), MqReason.None, string.Empty);
        }

        var (resolution, why, text) = NameResolver.ResolveForPut(_catalog, queueName, qmgrName, this);
        return resolution is null
            ? (null, why, text)
            : (Handle(resolution.LocalQueue, resolution.RemoteQName, resolution.RemoteQMgrName, resolution.FirstDefinition), MqReason.None, string.Empty);
    }

    private QueueHandle Handle(MqObject local, string? remoteQ, string? remoteQm, MqObject first) =>
        new(_queues[local.Name].Actor, local.Name, remoteQ, remoteQm, first.Text("DEFPSIST") == "YES", (int)first.Number("DEFPRTY"), first.Text("PUT") == "ENABLED", QMgrMaxMessageLength)
        {
            ReadAhead = first.Text("DEFREADA") switch { "YES" => ReadAheadDefault.Yes, "DISABLED" => ReadAheadDefault.Disabled, _ => ReadAheadDefault.No },
        };

    private void HandlePut(PutMessage put)
    {
        var (handle, reason, detail) = Open(put.QueueName, put.QMgrName, OpenPurpose.Output);
        if (handle is null)
        {
            Sender.Tell(new LocalQueue.PutRejected(reason, detail));
            return;
        }

        var (prepared, rejected) = handle.PreparePut(put.Message, put.PutApplName);
        if (prepared is null)
        {
            Sender.Tell(rejected);
            return;
        }

        handle.Queue.Forward(prepared);
    }

    private void HandleGet(GetMessage get)
    {
        var (handle, reason, detail) = Open(get.QueueName, null, OpenPurpose.Input);
        if (handle is null)
        {
            Sender.Tell(new LocalQueue.GetRejected(reason, detail));
            return;
        }

        handle.Queue.Forward(new LocalQueue.Get(get.Options));
    }

    private void HandleDeadLetter(PutDeadLetter dead)
    {
        var deadq = _catalog.QMgr.AsQMgr().DeadLetterQueue;
        var queue = deadq.Length > 0 ? _catalog.FindQueue(deadq) : null;
        if (queue is not { Type: "QLOCAL" })
        {
            Sender.Tell(new LocalQueue.PutRejected(MqReason.UnknownObjectName, deadq.Length == 0
                ? $"Queue manager {_settings.Name} has no dead-letter queue (ALTER QMGR DEADQ)."
                : $"Dead-letter queue {deadq} is not a local queue."));
            return;
        }

        var wrapped = DeadLetterHeader.Wrap(dead.Message, dead.Reason, dead.DestQName, dead.DestQMgrName, dead.PutApplName, DateTimeOffset.UtcNow);
        _queues[queue.Name].Actor.Forward(new LocalQueue.Put(wrapped, dead.PutApplName));
        Diagnostics.ActorQmMetrics.RecordDeadLettered(_settings.Name, dead.DestQName, _catalog.FindQueue(dead.DestQName) is not null, dead.Reason);
    }

    private void StartQueue(MqObject definition)
    {
        var recovered = _recovered.Remove(definition.Name, out var list) ? list : [];
        var counters = new QueueCounters();
        var name = $"q{++_queueActorCount}-{SafeName(definition.Name)}";
        var actor = Context.ActorOf(LocalQueue.Props(_settings.Name, LocalQueueDefinition.From(definition), _settings, _journal, recovered, counters), name);
        _queues[definition.Name] = (actor, counters);
        PublishQueues();
    }

    private void PublishQueues() => _queueSnapshot = [.. _queues.Select(q => (q.Key, q.Value.Counters))];

    /// <summary>What metrics read of this queue manager, on the collector's thread: only the published snapshots and counters.</summary>
    private IDisposable RegisterMetrics() => Diagnostics.ActorQmMetrics.Register(
        _settings.Name,
        () => [.. _queueSnapshot.Select(q => new Diagnostics.QueueFigures(q.Name, q.Counters.Depth, q.Counters.Uncommitted, q.Counters.Put, q.Counters.Got, q.Counters.Expired))],
        () =>
        {
            // Counts include ended instances (a counter never goes back); states and in-doubt are of the live ones.
            var live = _board.All.ToLookup(c => (c.Name, c.Type));
            return [.. _board.Moved().Select(m => new Diagnostics.ChannelFigures(m.Name, m.Type,
                m.Moved.Messages, m.Moved.Batches, m.Moved.BytesSent, m.Moved.BytesReceived, live[(m.Name, m.Type)].Count(c => c.InDoubt),
                live[(m.Name, m.Type)].GroupBy(c => c.State.ToString().ToUpperInvariant()).ToDictionary(s => s.Key, s => s.Count())))];
        });

    private void LoadTls(bool refresh = false)
    {
        var reloaded = _reloadedTls;
        _reloadedTls = null;
        _tls.Load(_catalog, reloaded);
        if (reloaded is not null)
        {
            _log.Info("AMQ8560I: queue manager {0}: TLS settings read again ({1}).", _settings.Name, TlsSettingsSummary(reloaded));
        }

        foreach (var problem in _tls.Problems)
        {
            _log.Warning("{0} (queue manager {1})", problem, _settings.Name);
        }

        PublishTls(refresh);
    }

    private void ReportOrphans()
    {
        foreach (var (queue, messages) in _recovered)
        {
            _log.Warning("AMQ7310W: {0} persistent messages in the journal of {1} belong to queue {2}, which is not defined; they stay in the journal until the queue is defined and the queue manager restarts.", messages.Count, _settings.Name, queue);
        }
    }

    private QueueStatus? QueueStatusOf(string name) =>
        _queues.TryGetValue(name, out var q) && _handleCounts.GetValueOrDefault(name) is var (input, output, all)
            ? new QueueStatus(q.Counters.Depth, q.Counters.Uncommitted) { InputHandles = input, OutputHandles = output, OpenHandles = all }
            : null;

    private int QMgrMaxMessageLength => (int)_catalog.QMgr.Number("MAXMSGL");

    private static string SafeName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' ? c : '_').ToArray());

    private sealed record OwnershipLost(string Reason);

    private sealed record CommitInDoubt(string Reason);
}
