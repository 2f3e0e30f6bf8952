using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Routing;

/// <summary>
/// A listener on this node for a queue manager that may run on another. It handshakes as the queue
/// manager itself would: it asks the queue manager for its TLS definitions (SSLKEYR, CERTLABL,
/// SSLCRLNL with its AUTHINFO objects, CHLAUTH BLOCKADDR rules), opens that key repository here
/// (private keys never cross nodes), and builds the same revocation sources from this node's
/// <c>tls</c> settings. It starts listening only once it has them; the queue manager tells it again
/// after every change, and it asks again every <c>security-refresh</c> in case such news was lost.
/// Each accepted connection gets a <see cref="ConnectionRouterActor"/>.
/// </summary>
internal sealed class RoutedListenerActor : ReceiveActor, IWithTimers
{
    private const string DescribeTimer = "describe-security";
    private readonly ListenerSettings _settings;
    private readonly Action<object, IActorRef> _toQueueManager;
    private readonly QueueManagerTls _tls;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _handshakes = ActorRefs.Nobody;
    private IActorRef _listener = ActorRefs.Nobody;
    private SecurityDescribed? _described;
    private volatile Channel.ResponderTls? _responder;
    private volatile IReadOnlyList<AddressBlock> _blocked = [];

    public RoutedListenerActor(ListenerSettings settings, Action<object, IActorRef> toQueueManager)
    {
        _settings = settings;
        _toQueueManager = toQueueManager;
        _tls = new QueueManagerTls(settings.QueueManager.Tls, RevokedCertificatesExtension.For(Context.System));
        Receive<Describe>(_ => _toQueueManager(DescribeSecurity.Instance, Self));
        Receive<SecurityDescribed>(Load);
        Receive<TlsListener.ListenerStarted>(started =>
        {
            _log.Info("AMQ5026I: listener for queue manager {0} started on {1}; its connections are served wherever {0} runs.", _settings.QueueManager.Name, started.Bound);
            Context.System.EventStream.Publish(new RoutedConnection.ListenerStarted(_settings.QueueManager.Name, started.Bound));
        });
        Receive<TlsListener.ListenerFailed>(failed =>
        {
            _log.Error("AMQ9228E: {0} (listener for queue manager {1})", failed.Reason, _settings.QueueManager.Name);
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var tls = _settings.QueueManager.Tls;
        _handshakes = Context.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(tls.MaxConcurrentHandshakes, tls.MaxQueuedHandshakes, tls.HandshakeStepTimeout, tls.MaxHandshakesPerAddress)), "handshakes");
        Self.Tell(Describe.Instance);
        Timers.StartPeriodicTimer(DescribeTimer, Describe.Instance, _settings.SecurityRefresh);
    }

    // A connection's router that throws is stopped (with its connection); the listener goes on.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Load(SecurityDescribed described)
    {
        if (_described is { } known && known.Generation == described.Generation && known.Definitions.SequenceEqual(described.Definitions))
        {
            return;
        }

        var catalog = new ObjectCatalog(described.QMgrName);
        foreach (var definition in described.Definitions)
        {
            catalog.Apply(new ObjectDefined(MqscExecutor.Restore(definition, described.QMgrName), null));
        }

        _tls.Load(catalog);
        var (responder, problem) = _tls.Responder(catalog);
        foreach (var warning in _tls.Problems.Append(problem).OfType<string>().Distinct())
        {
            _log.Warning("{0} (listener for queue manager {1} on this node)", warning, described.QMgrName);
        }

        // A routed session crosses nodes with its TLS facts; one in the clear (a development setting) has none: never accepted here.
        _responder = responder with { AcceptInTheClear = false };
        _blocked = ChannelSecurity.BlockedAddresses(catalog);
        _described = described;
        if (_listener.IsNobody())
        {
            StartListening();
        }
    }

    private void StartListening()
    {
        var (qmgr, handshakes, toQueueManager, timeout) = (_settings.QueueManager.Name, _handshakes, _toQueueManager, _settings.AttachTimeout);
        _listener = Context.ActorOf(TlsListener.Props(
            new TlsListener.Settings(_settings.Address.Address, _settings.Address.Port, _settings.Backlog),
            Self,
            (id, stream, remote) => RouterProps($"{qmgr}-{id}", stream, remote, qmgr, _responder!, handshakes, toQueueManager, timeout),
            address => ChannelSecurity.BlockedBy(_blocked, address)),
            "listener");
    }

    private sealed record Describe
    {
        public static readonly Describe Instance = new();
    }
}
