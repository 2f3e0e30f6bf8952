using ActorQm.Hosting;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorQm.Rest;

/// <summary>MQ's REST APIs in a hosted service that runs queue managers with <c>WithActorQm</c> (docs/rest.md).</summary>
public static class RestHostingExtensions
{
    /// <summary>
    /// Serves MQ's REST APIs for the service's queue managers once they have started, over HTTPS with the certificate of
    /// <paramref name="tlsFrom"/> (by default the first by name); stopped with the host.
    /// </summary>
    public static IServiceCollection AddActorQmRestApi(this IServiceCollection services, RestSettings settings, string? tlsFrom = null)
    {
        ArgumentNullException.ThrowIfNull(settings.Listen, "settings.Listen");
        services.AddActorQmRegistry();
        return services.AddSingleton<RestHostedService>(sp => new RestHostedService(sp.GetRequiredService<IQueueManagerRegistry>(), sp.GetRequiredService<ActorSystem>(), settings, tlsFrom, sp.GetService<ILoggerFactory>(), sp.GetRequiredService<IHostApplicationLifetime>()))
            .AddHostedService(sp => sp.GetRequiredService<RestHostedService>());
    }
}

/// <summary>
/// The hosted REST API: started once the host has started (the actor system and its queue managers with it, whatever
/// the order the services were added in), stopped with the host; resolve it from dependency injection for its
/// <see cref="Address"/> and <see cref="Started"/>.
/// </summary>
public sealed class RestHostedService : IHostedService
{
    private readonly IQueueManagerRegistry _registry;
    private readonly ActorSystem _system;
    private readonly RestSettings _settings;
    private readonly string? _tlsFrom;
    private readonly ILoggerFactory? _logging;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TaskCompletionSource<RestServer> _server = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RestHostedService(IQueueManagerRegistry registry, ActorSystem system, RestSettings settings, string? tlsFrom, ILoggerFactory? logging, IHostApplicationLifetime lifetime) =>
        (_registry, _system, _settings, _tlsFrom, _logging, _lifetime) = (registry, system, settings, tlsFrom, logging, lifetime);

    /// <summary>Where it listens, once started.</summary>
    public Uri? Address => _server.Task.IsCompletedSuccessfully ? _server.Task.Result.Address : null;

    /// <summary>Completes with the address once it listens; faults with why it could not start.</summary>
    public Task<Uri> Started => _server.Task.ContinueWith(t => t.Result.Address, TaskScheduler.Default);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _lifetime.ApplicationStarted.Register(() => _ = Serve());
        return Task.CompletedTask;
    }

    private async Task Serve()
    {
        try
        {
            var actors = new Dictionary<string, IActorRef>(StringComparer.Ordinal);
            foreach (var name in _registry.Names.Order(StringComparer.Ordinal))
            {
                try
                {
                    actors[name] = await _registry.GetAsync(name, _lifetime.ApplicationStopping).ConfigureAwait(false);
                }
                catch (Exception) when (_registry.FailureOf(name) is not null)
                {
                    // A queue manager that could not start is left out (its failure is its health check's); the others are served.
                }
            }

            var source = _tlsFrom ?? actors.Keys.FirstOrDefault() ?? throw new InvalidOperationException("actorqm.rest: no queue manager runs in this service");
            _server.TrySetResult(await RestServer.StartAsync(_settings, actors, actors[source], _system, _logging).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // Whatever stops it is the outcome of Started, and logged; the service goes on without the REST API.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logging?.CreateLogger("ActorQm.Rest").LogError(e, "MQ's REST APIs could not start: {Reason}", e.Message);
            _server.TrySetException(e);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server.Task.IsCompletedSuccessfully)
        {
            await _server.Task.Result.DisposeAsync().ConfigureAwait(false);
        }
    }
}
