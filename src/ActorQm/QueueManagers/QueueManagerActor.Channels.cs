using System.Net;
using ActorQm.Channels;
using ActorQm.Configuration;
using ActorQm.Diagnostics;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Queues;
using ActorQm.Routing;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Event;
using static ActorQm.Mqi.QueueManagerApi;
using static ActorQm.QueueManagers.QueueManager;

namespace ActorQm.QueueManagers;

/// <summary>
/// The queue manager's side of its channels: it resolves what a channel needs from the catalog
/// and the TLS material (which only it may read) and hands it to its channel initiator.
/// </summary>
internal sealed partial class QueueManagerActor
{
    private IActorRef _initiator = ActorRefs.Nobody;
    private string _securityGeneration = string.Empty;
    private int _publishedMaxFrameBytes = int.MaxValue;
    private Channel.ResponderTls? _responder;

    // Routed listeners (on any node) that asked for this queue manager's security: told again at every change.
    private readonly HashSet<IActorRef> _routedListeners = new();

    private void ReceiveChannels()
    {
        Receive<Channel.AcceptChannel>(a =>
        {
            var answer = InboundChannels.Check(_catalog, a.Hello, a.Session, _tls.Settings.AllowTls13, a.From, _tls.ChannelRevocation.Keys, _tls.Settings.DevelopmentChannelsInTheClear);
            if (answer is InboundChannels.Accepted mapped)
            {
                answer = ChannelIdentity.Decide(_catalog, _settings.Security, a.Hello, mapped);
            }

            if (answer is InboundChannels.Accepted admitted)
            {
                // The listeners' transports keep the frame limit published at the last (re)load of the TLS
                // material, routed ones follow the catalog: an answer must fit both.
                answer = admitted with { Limits = ConnectionLimits.Of(_catalog.QMgr, Math.Min(TransportSettings().MaxFrameBytes, _publishedMaxFrameBytes)) };
            }

            if (answer is InboundChannels.Accepted { Warning: { } warning })
            {
                // MQRC 2578 (CHANNEL_BLOCKED_WARNING): a CHLAUTH record in warning mode let the channel in.
                _log.Warning("AMQ9787W: {0}", warning);
            }

            if (answer is InboundChannels.Accepted accepted && a.Hello.Type == ChannelType.Requester)
            {
                var (start, error) = SenderStart(_catalog.Find("CHANNEL", a.Hello.ChannelName)!, inbound: true);
                answer = start is null ? new InboundChannels.Refused("AMQ9519E", Messages.MqReason.UnknownXmitQ, error!) : new InboundChannels.AcceptedAsServer(accepted, start);
            }

            Sender.Tell(answer);
        });
        Receive<RoutedConnection.Route>(route => _initiator.Forward(new Channel.ServeRoutedConnection(route.Session.ConnectionId,
            new IPEndPoint(IPAddress.TryParse(route.RemoteAddress, out var address) ? address : IPAddress.None, route.RemotePort),
            owner => RoutedConnection.TransportProps(route, owner))));
        Receive<RoutedConnection.DescribeSecurity>(_ =>
        {
            if (_routedListeners.Add(Sender))
            {
                Context.Watch(Sender);
            }

            Sender.Tell(DescribeSecurity());
        });
        Receive<Terminated>(t =>
        {
            _routedListeners.Remove(t.ActorRef);
            ReleaseHandlesOf(t.ActorRef);
        });
        Receive<LocalQueue.TriggerFired>(HandleTrigger);
        Receive<GetListeners>(_ => _initiator.Forward(Channel.GetListeners.Instance));
        Receive<GetListenerTls>(_ => Sender.Tell(new ListenerTls(_settings.Name, _responder, _settings.Security)));
        Receive<GetChannelStatus>(_ => Sender.Tell(_board.All));
        Receive<Channel.CommandAccepted>(a => _log.Info("{0}", a.Text));
        Receive<Channel.CommandRefused>(r => _log.Amq(r.AmqCode, "{0}", r.Text));
    }

    /// <summary>After the start and every MQSC run: what depends on the definitions follows them at once.</summary>
    private void DefinitionsChanged()
    {
        // BLOCKADDR rules apply to the listeners before any TLS byte of the next connection.
        _initiator.Tell(new Channel.UseBlockedAddresses(ChannelSecurity.BlockedAddresses(_catalog)));
        if (_routedListeners.Count > 0)
        {
            var described = DescribeSecurity();
            foreach (var listener in _routedListeners)
            {
                listener.Tell(described);
            }
        }

        AdvertiseClusters();
    }

    private void StartInitiator()
    {
        var tls = _settings.Tls;
        _initiator = Context.ActorOf(ChannelInitiator.Props(_settings.Name, _sync, _board,
            new HandshakeSupervisor.Settings(tls.MaxConcurrentHandshakes, tls.MaxQueuedHandshakes, tls.HandshakeStepTimeout, tls.MaxHandshakesPerAddress)), "channels");
    }

    /// <summary>A channel defined, altered or deleted: new connections that name it offer its CipherSpec and present its CERTLABL (the key repository itself is read again only at REFRESH SECURITY).</summary>
    private void PublishChannelTls()
    {
        if (_responder is { } responder)
        {
            var problems = new List<string>();
            _responder = _tls.WithChannels(responder, _catalog, problems);
            problems.ForEach(p => _log.Warning(p));
            _initiator.Tell(new Channel.UseResponderTls(_responder));
        }
    }

    /// <summary>New connections use the material loaded now; running channels bind again between batches (docs/tls.md).</summary>
    private void PublishTls(bool refresh)
    {
        _securityGeneration = Guid.NewGuid().ToString("N");
        var (responder, problem) = _tls.Responder(_catalog);
        if (problem is not null)
        {
            _log.Warning("{0} (queue manager {1}: listeners refuse TLS connections until REFRESH SECURITY)", problem, _settings.Name);
        }

        if (_tls.Settings.DevelopmentChannelsInTheClear)
        {
            _log.Warning("queue manager {0}: tls.development-channels-in-the-clear is ON: sender, server and receiver channels without SSLCIPH run unencrypted and unauthenticated; a development setting, never for production (docs/tls.md).", _settings.Name);
        }

        _publishedMaxFrameBytes = responder.TransportSettings.MaxFrameBytes;
        _responder = responder;
        _initiator.Tell(new Channel.UseResponderTls(responder));
        if (refresh)
        {
            // Every channel that calls out (SDR, SVR with a CONNAME) and every cluster sender: one left out would bind again
            // with the material and settings from before the refresh (a removed CA still trusted).
            var senders = new Dictionary<string, Channel.SenderStart>(StringComparer.Ordinal);
            // One whose start cannot be built again is left out: if it runs, it stops (SenderChannelActor), and this says why.
            var starts = _catalog.All("CHANNEL").Where(c => c.AsChannel().StartsOutbound).Select(c => (c.Name, SenderStart(c)))
                .Concat(_clusterSenders.Values.Select(m => (Name: m.Channel, ClusterSenderStart(m))));
            foreach (var (name, (start, error)) in starts)
            {
                if (start is not null)
                {
                    senders[name] = start;
                }
                else
                {
                    _log.Warning("{0} (REFRESH SECURITY: channel {1} stops if it runs)", error, name);
                }
            }

            _initiator.Tell(new Channel.RefreshTls(senders));
        }
    }

    private void StartAutomaticListeners()
    {
        foreach (var listener in _settings.Listeners)
        {
            _initiator.Tell(new Channel.StartListener(listener.Name, listener.Address, listener.Port, listener.Backlog));
        }

        foreach (var listener in _catalog.All("LISTENER").Where(l => l.Text("CONTROL") is "QMGR" or "STARTONLY"))
        {
            StartListener(listener);
        }
    }

    private void StartListener(MqObject listener)
    {
        var text = listener.Text("IPADDR");
        var address = text.Length == 0 ? IPAddress.Any : IPAddress.TryParse(text, out var parsed) ? parsed : null;
        if (address is null)
        {
            _log.Error("AMQ9228E: listener {0}: IPADDR({1}) is not an IP address.", listener.Name, text);
            return;
        }

        _initiator.Tell(new Channel.StartListener(listener.Name, address, (int)listener.Number("PORT"), (int)listener.Number("BACKLOG")));
    }

    private void HandleChannelAction(ChannelActionRequested action)
    {
        var channel = action.Channel;
        switch (action.Verb)
        {
            case "START" when channel.Text("CHLTYPE") == "CLUSSDR":
                if (_board.Find(channel.Name) is { State: ChannelState.Stopped })
                {
                    _board.Remove(channel.Name);
                }

                if (_clusterSenders.TryGetValue(channel.Name, out var member))
                {
                    StartClusterSender(member);
                }

                break;
            case "START" when channel.AsChannel().Kind == ChannelKind.Requester:
                var (requester, why) = RequesterStart(channel);
                if (requester is null)
                {
                    _log.Warning("{0} (START CHANNEL({1}))", why, channel.Name);
                    _board.Set(new ChannelStatus(channel.Name, "RQSTR", ChannelState.Stopped) { LastError = why!, Started = DateTimeOffset.UtcNow });
                    return;
                }

                _board.Remove(channel.Name);
                _initiator.Tell(new Channel.StartRequester(requester));
                break;
            case "START" when channel.AsChannel().StartsOutbound:
                var (start, error) = SenderStart(channel);
                if (start is null)
                {
                    _log.Warning("{0} (START CHANNEL({1}))", error, channel.Name);
                    _board.Set(new ChannelStatus(channel.Name, "SDR", ChannelState.Stopped) { LastError = error!, Started = DateTimeOffset.UtcNow });
                    return;
                }

                _board.Remove(channel.Name);
                _initiator.Tell(new Channel.StartChannel(start));
                break;
            case "START":
                // A receiver runs when its partner calls; START only lifts a STOPPED state.
                if (_board.Find(channel.Name) is { State: ChannelState.Stopped })
                {
                    _board.Remove(channel.Name);
                }

                break;
            case "STOP":
                _initiator.Tell(new Channel.StopChannel(channel.Name));
                break;
            case "RESET":
                _initiator.Tell(new Channel.ResetChannel(channel.Name, action.SeqNum));
                break;
            case "RESOLVE":
                _initiator.Tell(new Channel.ResolveChannel(channel.Name, action.Commit, _queues.TryGetValue(channel.AsChannel().XmitQ, out var q) ? q.Actor : null));
                break;
        }
    }

    private void HandleListenerAction(ListenerActionRequested action)
    {
        if (action.Verb == "START")
        {
            StartListener(action.Listener);
        }
        else
        {
            _initiator.Tell(new Channel.StopListener(action.Listener.Name));
        }
    }

    /// <summary>TRIGTYPE(FIRST) on a transmission queue starts the channel named in TRIGDATA, or the sender serving it.</summary>
    private void HandleTrigger(LocalQueue.TriggerFired fired)
    {
        if (_clusterSenders.TryGetValue(fired.TriggerData, out var member))
        {
            StartClusterSender(member);
            return;
        }

        var channels = fired.TriggerData.Length > 0
            ? _catalog.Find("CHANNEL", fired.TriggerData) is { } named ? [named] : []
            : _catalog.All("CHANNEL").Where(c => c.AsChannel() is { ServesTransmissionQueue: true } v && v.XmitQ == fired.QueueName).ToList();
        // A server without CONNAME cannot call anyone: it sends when its requester calls.
        foreach (var channel in channels.Where(c => c.AsChannel().StartsOutbound))
        {
            if (_board.Find(channel.Name) is { State: not ChannelState.Inactive })
            {
                continue;
            }

            if (SenderStart(channel) is { Start: { } start })
            {
                _initiator.Tell(new Channel.StartChannel(start));
            }
        }
    }

    /// <param name="inbound">A server answering its requester: it needs no CONNAME of its own.</param>
    private (Channel.SenderStart? Start, string? Error) SenderStart(MqObject channel, bool inbound = false)
    {
        ChannelDefinition definition;
        try
        {
            definition = ChannelDefinition.From(channel, _catalog.QMgr.Number("SSLRKEYC"));
        }
        catch (FormatException e)
        {
            return (null, $"AMQ9203E: {e.Message}");
        }

        if (definition.Host.Length == 0 && !inbound)
        {
            return (null, $"AMQ9203E: channel {channel.Name} has no CONNAME.");
        }

        if (!_queues.TryGetValue(definition.XmitQ, out var xmitq) || !_catalog.FindQueue(definition.XmitQ).IsTransmissionQueue())
        {
            return (null, $"AMQ9519E: channel {channel.Name}: transmission queue '{definition.XmitQ}' is not a local queue with USAGE(XMITQ).");
        }

        try
        {
            var requirements = ChannelSecurity.RequirementsFor(_catalog, channel, _tls.Settings.AllowTls13);
            if (requirements is null && _tls.Settings.DevelopmentChannelsInTheClear && channel.AsChannel().SslPeer.Length > 0)
            {
                return (null, $"AMQ9637E: channel {channel.Name} has SSLPEER but no SSLCIPH: in the clear no certificate can meet it (define SSLCIPH, or remove SSLPEER).");
            }

            var credentials = InitiatorCredentials(channel);
            return (new Channel.SenderStart(definition, _settings.Name, xmitq.Actor, credentials, requirements, _tls.RevocationFor(channel.Name), TransportSettings())
            {
                PipelineLength = _settings.ChannelPipelineLength,
                InTheClear = _tls.Settings.DevelopmentChannelsInTheClear,
            }, null);
        }
        catch (Exception e) when (e is KeyRepositoryException or InvalidOperationException)
        {
            return (null, e.Message);
        }
    }

    private TlsCredentials InitiatorCredentials(MqObject channel)
    {
        var (credentials, missing) = _tls.InitiatorCredentialsFor(_catalog, channel);
        if (missing is not null)
        {
            _log.Warning(missing);
        }

        return credentials;
    }

    private (Channel.RequesterStart? Start, string? Error) RequesterStart(MqObject channel)
    {
        try
        {
            var definition = ChannelDefinition.From(channel, _catalog.QMgr.Number("SSLRKEYC"));
            if (definition.Host.Length == 0)
            {
                return (null, $"AMQ9203E: channel {channel.Name} has no CONNAME.");
            }

            var requirements = ChannelSecurity.RequirementsFor(_catalog, channel, _tls.Settings.AllowTls13);
            return (new Channel.RequesterStart(definition, _settings.Name, _catalog.QMgr.AsQMgr().DeadLetterQueue, InitiatorCredentials(channel), requirements, _tls.RevocationFor(channel.Name), TransportSettings()), null);
        }
        catch (Exception e) when (e is KeyRepositoryException or InvalidOperationException or FormatException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>DISPLAY QMSTATUS: channel counts and the TLS material in use, revocation caches included (REFRESH SECURITY empties them).</summary>
    private IReadOnlyList<MqscAttribute> QMgrStatus()
    {
        var channels = _board.All;
        return
        [
            new("CHINIT", "RUNNING"),
            new("CHANNELS", Mqsc.MqscDisplay.Number(channels.Count(c => c.State == ChannelState.Running))),
            new("SSLKEYR", _catalog.QMgr.AsQMgr().KeyRepository, Quoted: true),
            new("KEYREPOS", _tls.KeyRepository is null ? "NONE" : "LOADED"),
            new("CERTLBLS", _tls.KeyRepository is { } keys ? string.Join(",", keys.Labels.Order(StringComparer.Ordinal)) : string.Empty),
            new("OCSPCACHE", Mqsc.MqscDisplay.Number(_tls.CachedOcspAnswers)),
            new("CRLCACHE", Mqsc.MqscDisplay.Number(_tls.CachedCrls)),
            new("CHAINCACHE", Mqsc.MqscDisplay.Number(_tls.CachedChains)),
            new("REVCHECK", _tls.Revocation.ChecksAnything ? "YES" : "NO"),
            .. TlsSettingsAttributes(_tls.Settings),
            new("REVOKED", Mqsc.MqscDisplay.Number(RevokedCertificatesExtension.For(Context.System).Count)),
            .. _tls.Problems.Select(p => new MqscAttribute("SSLPROBLEM", p, Quoted: true)),
        ];
    }

    /// <summary>The HOCON tls settings in use (MQ's SSL stanza), as DISPLAY QMSTATUS shows them; REFRESH SECURITY TYPE(SSL) reads them again.</summary>
    private static IEnumerable<MqscAttribute> TlsSettingsAttributes(TlsSettings tls) =>
    [
        new("OCSPAUTH", tls.OcspAuthentication.ToString().ToUpperInvariant()),
        new("OCSPCHKX", tls.OcspCheckExtensions ? "YES" : "NO"),
        new("CDPCHKX", tls.CdpCheckExtensions ? "YES" : "NO"),
        new("REVTIMEO", tls.RevocationTimeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)),
        new("CRLFILES", Mqsc.MqscDisplay.Number(tls.CrlFiles.Count)),
        new("ALWCIPH", tls.AllowedCipherSpecs is { } allowed ? string.Join(",", allowed.Select(c => c.Name)) : "ALL"),
        new("TLS13", tls.AllowTls13 ? "YES" : "NO"),
        new("OCSPSTPL", tls.OcspStapling ? "YES" : "NO"),
    ];

    private static string TlsSettingsSummary(TlsSettings tls) => string.Join(" ", TlsSettingsAttributes(tls).Select(a => a.Text));

    private Transport.Settings TransportSettings() => _tls.TransportSettings(_catalog);

    /// <summary>
    /// A routed listener's handshakes need what this queue manager's own do: the QMGR object, its revocation
    /// sources' objects, and the CHLAUTH BLOCKADDR rules its listeners apply before any TLS byte.
    /// </summary>
    private RoutedConnection.SecurityDescribed DescribeSecurity()
    {
        // SSLCRLNL's namelist and those of channels with their own revocation policy, with their AUTHINFO objects: the
        // accepting node's handshakes apply them (docs/tls.md, "Revocation per channel").
        var names = _tls.Settings.ChannelRevocation.Values.Select(c => c.CrlNamelist).Prepend(_catalog.QMgr.AsQMgr().CrlNamelist).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal);
        var namelists = names.Select(n => _catalog.Find("NAMELIST", n)).OfType<MqObject>().ToList();
        var authinfos = namelists.SelectMany(l => l.List("NAMES")).Distinct(StringComparer.Ordinal).Select(n => _catalog.Find("AUTHINFO", n)).OfType<MqObject>();
        var blocks = _catalog.All("CHLAUTH").Where(r => r.AsChannelAuth().Type == ChannelAuthType.BlockAddress);
        MqObject[] objects = [_catalog.QMgr, .. namelists, .. authinfos, .. blocks];
        return new RoutedConnection.SecurityDescribed(_settings.Name, objects.Select(o => o.ToMqsc()).ToList(), _securityGeneration);
    }
}
