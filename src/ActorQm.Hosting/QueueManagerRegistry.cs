using ActorQm.Configuration;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace ActorQm.Hosting;

/// <summary>The queue managers a service runs, resolvable from dependency injection.</summary>
public interface IQueueManagerRegistry
{
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The queue manager's actor once it has started (its journal open, its start-up MQSC applied).</summary>
    Task<IActorRef> GetAsync(string name, CancellationToken cancel = default);

    /// <summary>An in-process MQI connection to the queue manager.</summary>
    Task<QueueManagerConnection> ConnectAsync(string name, string applicationName, CancellationToken cancel = default);

    /// <summary>Why a queue manager could not start, or null.</summary>
    string? FailureOf(string name);
}

/// <summary>Starts the configured queue managers in the actor system and tracks them.</summary>
internal sealed class QueueManagerRegistry : IQueueManagerRegistry
{
    private readonly Dictionary<string, TaskCompletionSource<IActorRef>> _started = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
    public IReadOnlyCollection<string> Names
    {
        get
        {
            lock (_started)
            {
                return _started.Keys.ToList();
            }
        }
    }

    internal void Start(ActorSystem system, IActorRegistry registry, IReadOnlyList<(QueueManagerSettings Settings, Action<IActorRegistry, IActorRef>? Register, IReadOnlyList<string> Mqsc)> plan)
    {
        lock (_started)
        {
            foreach (var (settings, _, _) in plan)
            {
                _started[settings.Name] = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        foreach (var (settings, register, mqsc) in plan)
        {
            _ = StartOne(system, registry, settings, register, mqsc);
        }
    }

    private async Task StartOne(ActorSystem system, IActorRegistry registry, QueueManagerSettings settings, Action<IActorRegistry, IActorRef>? register, IReadOnlyList<string> mqsc)
    {
        TaskCompletionSource<IActorRef> done;
        lock (_started)
        {
            done = _started[settings.Name];
        }

        try
        {
            var started = await QueueManagerBootstrap.StartAsync(system, settings).ConfigureAwait(false);
            foreach (var script in mqsc)
            {
                await started.Actor.Ask<Mqi.QueueManagerApi.MqscCompleted>(new Mqi.QueueManagerApi.RunMqsc(script, Startup: true), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }

            register?.Invoke(registry, started.Actor);

            done.TrySetResult(started.Actor);
        }
        catch (Exception e)
        {
            lock (_failures)
            {
                _failures[settings.Name] = e.Message;
            }

            Logging.GetLogger(system, "actorqm").Error(e, "AMQ8101E: queue manager {0} could not start: {1}", settings.Name, e.Message);
            done.TrySetException(e);
        }
    }

    public Task<IActorRef> GetAsync(string name, CancellationToken cancel = default)
    {
        lock (_started)
        {
            return _started.TryGetValue(name, out var started)
                ? started.Task.WaitAsync(cancel)
                : Task.FromException<IActorRef>(new KeyNotFoundException($"AMQ8118E: queue manager {name} is not configured in this service (configured: {string.Join(", ", _started.Keys)})."));
        }
    }

    public async Task<QueueManagerConnection> ConnectAsync(string name, string applicationName, CancellationToken cancel = default) =>
        new(await GetAsync(name, cancel).ConfigureAwait(false), applicationName);

    public string? FailureOf(string name)
    {
        lock (_failures)
        {
            return _failures.GetValueOrDefault(name);
        }
    }

    internal bool IsStarted(string name)
    {
        lock (_started)
        {
            return _started.TryGetValue(name, out var s) && s.Task.IsCompletedSuccessfully;
        }
    }
}
