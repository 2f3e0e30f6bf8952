using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ActorQm.QueueManagers;
using ActorQm.Rest.WebConsole;
using ActorQm.Tls;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActorQm.Rest;

/// <summary>
/// MQ's administrative and messaging REST APIs (the same paths, headers and JSON as MQ's mqweb, docs/rest.md) over
/// HTTPS served with a queue manager's certificate. Every connection's client certificate walks the steps of a
/// channel's handshake before any request on it is read (<see cref="RestPeer"/>); requests then run as the mapped
/// principal, with its authority, through the same queue manager messages as clients and remote administrators. The web
/// console (<c>/ibmmq/console/</c>) is served behind the same checks.
/// </summary>
public sealed class RestServer : IAsyncDisposable
{
    private const string PeerItem = "actorqm.rest.peer";
    private const string ChainItem = "actorqm.rest.chain";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly WebApplication _app;
    private readonly IActorRef _timeline;

    private RestServer(WebApplication app, Uri address, IActorRef timeline)
    {
        _app = app;
        Address = address;
        _timeline = timeline;
    }

    /// <summary>Where it listens, e.g. https://127.0.0.1:9443/ (the port chosen when the settings said 0).</summary>
    public Uri Address { get; }

    /// <summary>
    /// Serves <paramref name="queueManagers"/> (by name) on <see cref="RestSettings.Listen"/>, with the certificate, trust
    /// anchors and revocation settings of <paramref name="tlsFrom"/>, read again for every connection; a connection's
    /// verdict is made again when they change (REFRESH SECURITY) or the revocation re-check interval passes. The console's handshake timeline listens on <paramref name="system"/>'s EventStream, where
    /// the queue managers' listeners publish their handshakes.
    /// </summary>
    public static async Task<RestServer> StartAsync(RestSettings settings, IReadOnlyDictionary<string, IActorRef> queueManagers, IActorRef tlsFrom, ActorSystem system, ILoggerFactory? logging = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        var endpoint = settings.Listen ?? throw new ArgumentException("actorqm.rest.listen is empty: no REST API to start", nameof(settings));
        var source = new TlsSource(tlsFrom);
        var first = await source.CurrentAsync().ConfigureAwait(false);
        if (first.Tls?.Credentials?.Context is null)
        {
            throw new InvalidOperationException($"AMQ9637E: queue manager {first.QMgrName} has no certificate of its own (SSLKEYR, CERTLABL): the REST API serves HTTPS with it");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            builder.Services.AddSingleton(logging);
        }

        var log = (logging ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("ActorQm.Rest");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // What a client may send: bounded here, whatever it announces (a message body is one MQ message at most).
            kestrel.Limits.MaxRequestBodySize = RestApi.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            // Connections and HTTP/2 streams an outsider may hold at once (each connection's verification costs a chain and
            // revocation check; each stream may hold a waiting get).
            kestrel.Limits.MaxConcurrentConnections = 1024;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 16;
            kestrel.Listen(endpoint, listen =>
            {
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    HandshakeTimeout = TimeSpan.FromSeconds(30),
                    OnConnection = async context =>
                    {
                        var tls = (await source.CurrentAsync().ConfigureAwait(false)).Tls;
                        var items = context.Connection.Items;
                        var anchors = tls?.Credentials is { } own ? new HandshakeVerifier(HandshakeRole.Responder, own, new PeerRequirements(settings.CipherSpec), tls.Revocation).Policy : null;
                        return new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = tls?.Credentials?.Context,
                            // As for channels: each connection a full handshake whose certificate the steps check.
                            AllowTlsResume = false,
                            // The verdict is per connection: a renegotiation must not bring another certificate after it.
                            AllowRenegotiation = false,
                            ClientCertificateRequired = true,
                            EnabledSslProtocols = settings.CipherSpec.Protocols,
                            CipherSuitesPolicy = OperatingSystem.IsWindows() ? null : CipherSpecs.Policy(settings.CipherSpec.Offered),
                            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                            // The chain the TLS layer builds anyway is built with our anchors and nothing downloaded, as a channel's.
                            CertificateChainPolicy = anchors is null ? null : ChainValidator.ChainPolicyFor(anchors),
                            // Only records what came: the steps below decide, as for a channel.
                            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                            {
                                if (certificate is not null && chain is not null)
                                {
                                    items[ChainItem] = ChainSnapshot.Of(chain);
                                }

                                return true;
                            },
                        };
                    },
                });
                listen.Use(next => async connection =>
                {
                    var verdict = new ConnectionVerdict(SessionOf(connection), (session, current) => Verify(session, connection.RemoteEndPoint, settings, current, log));
                    await verdict.UnderAsync(await source.LatestAsync().ConfigureAwait(false)).ConfigureAwait(false);
                    connection.Items[PeerItem] = verdict;
                    await next(connection).ConfigureAwait(false);
                });
            });
        });

        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            ConsoleApi.Secure(http);
            try
            {
                await next(http).ConfigureAwait(false);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !http.Response.HasStarted)
            {
                // A body past the 4 MiB bound (a message over the default MAXMSGL): the client's error, not the server's.
                await RestErrors.Write(http, StatusCodes.Status413PayloadTooLarge, "MQWB0004E",
                    $"MQWB0004E: the request body is larger than {RestApi.MaxBodyBytes} bytes (MQRC 2031: a message may be at most 4 MiB here).",
                    "Send a smaller message or MQSC script.", Messages.MqReason.MsgTooBigForQMgr).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever fails inside a request is answered as MQ's mqweb does and logged; the server goes on.
            catch (Exception e) when (!http.Response.HasStarted)
#pragma warning restore CA1031
            {
                log.LogError(e, "MQWB0004E: REST request {Method} {Path} failed", http.Request.Method, http.Request.Path);
                await RestErrors.Write(http, StatusCodes.Status500InternalServerError, "MQWB0004E", $"MQWB0004E: the request failed inside the queue manager: {e.GetBaseException().Message}", "See the queue manager's log.").ConfigureAwait(false);
            }
        });
        app.Use(async (http, next) =>
        {
            var verdict = http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(PeerItem, out var item) == true ? item as ConnectionVerdict : null;
            var peer = verdict is null ? null : await verdict.UnderAsync(await source.LatestAsync().ConfigureAwait(false)).ConfigureAwait(false);
            if (peer?.Principal is null)
            {
                await RestErrors.Refused(http, peer).ConfigureAwait(false);
                return;
            }

            http.Items[PeerItem] = peer;
            await next(http).ConfigureAwait(false);
        });
        var timeline = system.ActorOf(HandshakeTimeline.Props(settings.ConsoleHandshakes));
        ConsoleApi.Map(app, queueManagers, timeline, http => (RestPeer)http.Items[PeerItem]!, AskTimeout);
        RestApi.Map(app, queueManagers, http => (RestPeer)http.Items[PeerItem]!, AskTimeout, system);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            system.Stop(timeline);
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        log.LogInformation("MQ's REST APIs for {QueueManagers} are listening on {Address} (mutual TLS)", string.Join(", ", queueManagers.Keys), bound);
        return new RestServer(app, new Uri(bound), timeline);
    }

    /// <summary>What the connection's handshake brought: protocol, suite, the client's certificate and the chain it sent.</summary>
    private static NegotiatedSession SessionOf(ConnectionContext connection)
    {
        var handshake = connection.Features.Get<ITlsHandshakeFeature>()!;
        var certificate = RestPeer.Copy(connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate);
        var chain = connection.Items.TryGetValue(ChainItem, out var captured) ? captured as ChainSnapshot : null;
        return new NegotiatedSession(handshake.Protocol, handshake.NegotiatedCipherSuite ?? default, certificate, chain);
    }

    private static async Task<RestPeer> Verify(NegotiatedSession session, System.Net.EndPoint? remote, RestSettings settings, QueueManager.ListenerTls current, ILogger log)
    {
        var tls = current.Tls!;
        var verifier = new HandshakeVerifier(HandshakeRole.Responder, tls.Credentials!, new PeerRequirements(settings.CipherSpec, settings.SslPeer), tls.Revocation);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        RestPeer peer;
        try
        {
            peer = await RestPeer.VerifyAsync(session, verifier, current.Security.PrincipalFor, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            peer = new RestPeer(null, session.Peer, verifier.RevocationNotDetermined(session, "the checks did not finish within 30 s"));
        }
#pragma warning disable CA1031 // A check that fails in an unforeseen way refuses the connection (fail closed), with the reason logged, not a 500 per request.
        catch (Exception e)
#pragma warning restore CA1031
        {
            log.LogError(e, "AMQ9999E: the checks of a REST client certificate failed; the connection from {Remote} is refused", remote);
            peer = new RestPeer(null, session.Peer, verifier.RevocationNotDetermined(session, "the checks failed unexpectedly"));
        }

        if (peer.Failure is { } failure)
        {
            log.LogWarning("{AmqCode}: REST connection from {Remote} refused at {Step}: {Detail}", failure.AmqCode, remote, failure.Step, verifier.Describe(failure));
        }

        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _timeline.Tell(PoisonPill.Instance);
    }

    /// <summary>
    /// The queue manager's current listener TLS, asked for at most once a second. Each answer is numbered by when it was
    /// asked (the queue manager answers in order), and the cache only moves forward: an answer that comes back late, from
    /// before a REFRESH SECURITY, never replaces a newer one.
    /// </summary>
    private sealed class TlsSource(IActorRef queueManager)
    {
        // Read and written by many connections at once: one reference, replaced whole, never a torn pair.
        private Cached? _cached;
        private long _asked;

        public async Task<QueueManager.ListenerTls> CurrentAsync() => (await LatestAsync().ConfigureAwait(false)).Tls;

        /// <summary>The TLS in use with its number: a verdict made under a higher number is never replaced by one under a lower.</summary>
        public async Task<ConnectionVerdict.Numbered> LatestAsync()
        {
            if (Volatile.Read(ref _cached) is { } c && DateTime.UtcNow - c.At < TimeSpan.FromSeconds(1))
            {
                return c.Tls;
            }

            var number = Interlocked.Increment(ref _asked);
            var tls = await queueManager.Ask<QueueManager.ListenerTls>(QueueManager.GetListenerTls.Instance, AskTimeout).ConfigureAwait(false);
            var fresh = new Cached(DateTime.UtcNow, new ConnectionVerdict.Numbered(number, tls));
            while (Volatile.Read(ref _cached) is var seen && (seen is null || seen.Tls.Number < number))
            {
                if (Interlocked.CompareExchange(ref _cached, fresh, seen) == seen)
                {
                    return fresh.Tls;
                }
            }

            return Volatile.Read(ref _cached)!.Tls;
        }

        private sealed record Cached(DateTime At, ConnectionVerdict.Numbered Tls);
    }
}
