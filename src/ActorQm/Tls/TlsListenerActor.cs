using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Tls.TlsListener;
using ListenerSettings = ActorQm.Tls.TlsListener.Settings;

namespace ActorQm.Tls;

/// <summary>
/// Accepts TCP connections on one address and port. A connection from a blocked address is closed
/// at once, before any TLS byte; every other one is handed to a new child actor (its transport,
/// which asks for the handshake) so one slow or hostile peer never holds up the next accept.
/// </summary>
internal sealed class TlsListenerActor : ReceiveActor
{
    private readonly ListenerSettings _settings;
    private readonly IActorRef _owner;
    private readonly Func<string, Stream, IPEndPoint, Props> _connection;
    private readonly Func<IPAddress, AddressBlock?> _blockedBy;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private System.Net.IPEndPoint? _bound;
    private long _accepted;

    public TlsListenerActor(ListenerSettings settings, IActorRef owner, Func<string, Stream, IPEndPoint, Props> connection, Func<IPAddress, AddressBlock?> blockedBy)
    {
        _settings = settings;
        _owner = owner;
        _connection = connection;
        _blockedBy = blockedBy;
        Receive<Accepted>(a => Admit(a.Client));
        Receive<AcceptFailed>(f =>
        {
            _log.Error("AMQ9228E: listener on {0} stopped accepting: {1}", _listener?.LocalEndpoint, f.Reason);
            Context.Stop(Self);
        });
    }

    // A connection handler that throws is stopped; the listener and other connections go on.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        try
        {
            _listener = new TcpListener(_settings.Address, _settings.Port);
            _listener.Start(_settings.Backlog);
        }
        catch (SocketException e)
        {
            _owner.Tell(new ListenerFailed($"cannot listen on {_settings.Address}:{_settings.Port}: {e.Message}"));
            Context.Stop(Self);
            return;
        }

        var bound = (IPEndPoint)_listener.LocalEndpoint;
        _bound = bound;
        _owner.Tell(new ListenerStarted(bound));
        _ = AcceptLoop(_listener, Self, _stop.Token);
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        _listener?.Stop();
        _stop.Dispose();
    }

    private static async Task AcceptLoop(TcpListener listener, IActorRef self, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop).ConfigureAwait(false);
                self.Tell(new Accepted(client));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException e)
        {
            self.Tell(new AcceptFailed(e.Message));
        }
    }

    private void Admit(TcpClient client)
    {
        var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
        switch (_blockedBy(remote.Address))
        {
            case { WarnOnly: false, Pattern: var pattern }:
                _log.Error("AMQ9777E: connection from {0} blocked by CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('{1}') before any TLS byte.", remote, pattern);
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                Context.System.EventStream.Publish(new ConnectionBlocked(remote, pattern));
                return;
            case { Pattern: var pattern }:
                _log.Warning("AMQ9787W: connection from {0} would have been blocked by CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('{1}') WARN(YES); let in.", remote, pattern);
                Context.System.EventStream.Publish(new ConnectionWouldBeBlocked(remote, pattern));
                break;
        }

        client.NoDelay = true;
        // The bound address and port, not the configured port (0 for "any"): what tells this listener's connections from
        // another's, whichever queue manager of the process it serves (the console's handshake timeline groups them by it,
        // docs/rest.md).
        var id = $"{_bound}-{++_accepted}";
        Context.ActorOf(_connection(id, client.GetStream(), remote), "connection-" + _accepted);
    }

    private sealed record Accepted(TcpClient Client);

    private sealed record AcceptFailed(string Reason);
}
