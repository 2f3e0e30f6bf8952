using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;

namespace ActorQm.Hosting;

/// <summary>What <see cref="ActorQmHostingExtensions.WithActorQm"/> starts: queue managers declared in code, in HOCON, or both.</summary>
public sealed class ActorQmOptions
{
    internal List<QueueManagerOptions> Declared { get; } = [];

    /// <summary>HOCON holding <c>actorqm.queue-managers { ... }</c> (the same file <c>actorqm start</c> reads); each is started.</summary>
    public Config? Hocon { get; set; }

    /// <summary>Where relative paths of <see cref="Hocon"/> and of the queue managers declared in code are resolved from.</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>A queue manager declared in code.</summary>
    public QueueManagerOptions AddQueueManager(string name)
    {
        var options = new QueueManagerOptions(name, null);
        Declared.Add(options);
        return options;
    }

    /// <summary>A queue manager whose actor is resolvable as <c>IRequiredActor&lt;TKey&gt;</c> (Akka.Hosting's registry).</summary>
    public QueueManagerOptions AddQueueManager<TKey>(string name)
    {
        var options = new QueueManagerOptions(name, static (registry, actor) => registry.Register<TKey>(actor, overwrite: true));
        Declared.Add(options);
        return options;
    }

    /// <summary>Registers the actor of a queue manager declared in <see cref="Hocon"/> under <typeparamref name="TKey"/>.</summary>
    public ActorQmOptions WithRegistryKey<TKey>(string queueManager)
    {
        RegistryKeys[queueManager] = static (registry, actor) => registry.Register<TKey>(actor, overwrite: true);
        return this;
    }

    internal Dictionary<string, Action<IActorRegistry, IActorRef>> RegistryKeys { get; } = new(StringComparer.Ordinal);
}

/// <summary>One queue manager declared in code, in the style of Akka.Hosting's builders.</summary>
public sealed class QueueManagerOptions(string name, Action<IActorRegistry, IActorRef>? register)
{
    private readonly List<string> _hocon = [];
    private readonly List<string> _mqsc = [];

    public string Name { get; } = name;

    /// <summary>Registers the started actor under the key type it was declared with (the generic registration wakes waiting IRequiredActor callers).</summary>
    internal Action<IActorRegistry, IActorRef>? Register { get; } = register;

    internal IReadOnlyList<string> Mqsc => _mqsc;

    /// <summary>The SQLite journal (default <c>data/NAME.db</c> under the base directory).</summary>
    public QueueManagerOptions WithStorePath(string path) => WithHocon($"store.path = {Quote(path)}");

    /// <summary>An MQSC file applied at every start, like <c>mqsc-file</c> in HOCON.</summary>
    public QueueManagerOptions WithMqscFile(string path) => WithHocon($"mqsc-file = {Quote(path)}");

    /// <summary>MQSC applied at every start after the file (DEFINE acts as DEFINE ... REPLACE).</summary>
    public QueueManagerOptions WithMqsc(string script)
    {
        _mqsc.Add(script);
        return this;
    }

    /// <summary>QMGR SSLKEYR: the key repository folder, set before the channels and listeners start.</summary>
    public QueueManagerOptions WithKeyRepository(string path) => WithMqsc($"ALTER QMGR SSLKEYR('{path.Replace("'", "''", StringComparison.Ordinal)}')");

    /// <summary>A TLS listener started with the queue manager (port 0: any free port).</summary>
    public QueueManagerOptions WithListener(string listenerName, int port, string address = "0.0.0.0") =>
        WithHocon($"listeners.{listenerName} {{ port = {port}, address = {Quote(address)} }}");

    /// <summary>Any other setting of <c>queue-manager-defaults</c> in reference.conf, as HOCON.</summary>
    public QueueManagerOptions WithHocon(string hocon)
    {
        _hocon.Add(hocon);
        return this;
    }

    internal Config Config() => ConfigurationFactory.ParseString(string.Join('\n', _hocon));

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
