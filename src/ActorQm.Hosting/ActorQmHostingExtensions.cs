using ActorQm.Configuration;
using ActorQm.Hosting.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActorQm.Hosting;

/// <summary>Akka.Hosting builder extensions: <c>services.AddAkka("name", b =&gt; b.WithActorQm(qm =&gt; ...))</c>.</summary>
public static class ActorQmHostingExtensions
{
    /// <summary>
    /// Runs queue managers in the hosted actor system: those declared in code and those of
    /// <see cref="ActorQmOptions.Hocon"/>, and adds the "actorqm" health check. Queue managers given a
    /// key resolve as <c>IRequiredActor&lt;TKey&gt;</c>; all of them through
    /// <see cref="IQueueManagerRegistry"/> (<see cref="AddActorQmRegistry"/>). Refused handshakes and failed channels are
    /// also logged to the host's <see cref="ILoggerFactory"/> with their AMQ number as event id. Settings are validated
    /// here, while the service is built, so a bad one stops it from starting.
    /// </summary>
    public static AkkaConfigurationBuilder WithActorQm(this AkkaConfigurationBuilder builder, Action<ActorQmOptions> configure)
    {
        var options = new ActorQmOptions();
        configure(options);
        var plan = new List<(QueueManagerSettings, Action<IActorRegistry, IActorRef>?, IReadOnlyList<string>)>();
        if (options.Hocon is { } hocon)
        {
            foreach (var settings in ActorQmSettings.Create(hocon, options.BaseDirectory).QueueManagers)
            {
                plan.Add((settings, options.RegistryKeys.GetValueOrDefault(settings.Name), []));
            }
        }

        foreach (var declared in options.Declared)
        {
            if (plan.Any(p => p.Item1.Name == declared.Name))
            {
                throw new ConfigurationException($"actorqm: queue manager {declared.Name} is declared twice (in code and in HOCON).");
            }

            plan.Add((ActorQmSettings.ForQueueManager(declared.Name, declared.Config(), options.BaseDirectory), declared.Register, declared.Mqsc));
        }

        return builder
            .WithActors((system, actors, resolver) =>
            {
                // Structured AMQ events beside Akka's own log lines, when the host has logging (docs/operations.md).
                if (resolver.GetService<ILoggerFactory>() is { } loggers)
                {
                    system.ActorOf(AmqEventLogs.Props(loggers), "actorqm-event-log");
                }

                ActorQmExtension.Get(system).Registry.Start(system, actors, plan);
            })
            .WithHealthCheck("actorqm", new ActorQmHealthCheck());
    }

    /// <summary>Makes <see cref="IQueueManagerRegistry"/> resolvable from dependency injection.</summary>
    public static IServiceCollection AddActorQmRegistry(this IServiceCollection services) =>
        services.AddSingleton<IQueueManagerRegistry>(sp => ActorQmExtension.Get(sp.GetRequiredService<ActorSystem>()).Registry);
}

/// <summary>Holds an actor system's <see cref="IQueueManagerRegistry"/>.</summary>
internal sealed class ActorQmExtension : IExtension
{
    public QueueManagerRegistry Registry { get; } = new();

    public static ActorQmExtension Get(ActorSystem system) => system.WithExtension<ActorQmExtension, ActorQmExtensionId>();
}

internal sealed class ActorQmExtensionId : ExtensionIdProvider<ActorQmExtension>
{
    public override ActorQmExtension CreateExtension(ExtendedActorSystem system) => new();
}
