using ActorQm.Configuration;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Store;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>A queue manager ready to spawn: its journal is open and locked, its state restored.</summary>
public sealed class PreparedQueueManager
{
    private readonly MessageJournal _journal;

    internal PreparedQueueManager(string name, Props props, string? script, MessageJournal journal)
    {
        Name = name;
        Props = props;
        Script = script;
        _journal = journal;
    }

    public string Name { get; }

    /// <summary>The queue manager actor; it closes the journal when it stops.</summary>
    public Props Props { get; }

    /// <summary>The start-up MQSC script, already checked; null when there is none.</summary>
    public string? Script { get; }

    /// <summary>Releases the journal of a queue manager that will not be spawned after all.</summary>
    public void Abandon() => _journal.Dispose();

    /// <summary>Applies the start-up script to the spawned actor; null when there is none.</summary>
    public async Task<Mqi.QueueManagerApi.MqscCompleted?> RunStartupScriptAsync(IActorRef actor, TimeSpan? timeout = null) =>
        Script is null ? null : await actor.Ask<Mqi.QueueManagerApi.MqscCompleted>(new Mqi.QueueManagerApi.RunMqsc(Script, Startup: true), timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
}

/// <summary>A running queue manager and what its start-up script printed.</summary>
public sealed record StartedQueueManager(string Name, IActorRef Actor, Mqi.QueueManagerApi.MqscCompleted? StartupOutput);

/// <summary>
/// Starts a queue manager: checks its start-up script, opens and locks its journal, restores
/// its objects and live persistent messages, spawns its actor and applies the script.
/// </summary>
public static class QueueManagerBootstrap
{
    public static async Task<StartedQueueManager> StartAsync(ActorSystem system, QueueManagerSettings settings, TimeSpan? timeout = null)
    {
        var prepared = await PrepareAsync(system, settings).ConfigureAwait(false);
        var actor = system.ActorOf(prepared.Props, QueueManager.ActorName(settings.Name));
        return new StartedQueueManager(settings.Name, actor, await prepared.RunStartupScriptAsync(actor, timeout).ConfigureAwait(false));
    }

    /// <summary>
    /// MQ's default channel authentication records: privileged users (members of mqm) blocked on every
    /// client channel; every SYSTEM.* channel closed except the admin channel, which runs as its MCAUSER.
    /// </summary>
    public const string DefaultChannelAuthentication = """
        SET CHLAUTH('*') TYPE(BLOCKUSER) USERLIST('*MQADMIN') DESCR('Default rule: privileged users may not connect as clients')
        SET CHLAUTH('SYSTEM.*') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS) DESCR('Default rule: SYSTEM.* channels are closed')
        SET CHLAUTH('SYSTEM.ADMIN.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(CHANNEL) DESCR('Default rule: the admin channel runs as its MCAUSER')

        """;

    /// <summary>
    /// Everything of a start but spawning the actor: checks the script, opens and locks the journal
    /// (which may wait for a previous owner, see store.lock-wait), restores objects, messages and
    /// revocations. Whoever spawns <see cref="PreparedQueueManager.Props"/> (the system, or a cluster
    /// entity) owns the journal from then on; <see cref="PreparedQueueManager.Abandon"/> releases it otherwise.
    /// </summary>
    public static async Task<PreparedQueueManager> PrepareAsync(ActorSystem system, QueueManagerSettings settings)
    {
        // Parse the whole script first so that a syntax error stops the start before anything changes.
        string? script = null;
        if (settings.MqscFile is { } file)
        {
            script = File.Exists(file)
                ? await File.ReadAllTextAsync(file).ConfigureAwait(false)
                : throw new FileNotFoundException($"AMQ8118E: MQSC script {file} of queue manager {settings.Name} not found.", file);
            try
            {
                MqscParser.ParseScript(script);
            }
            catch (MqscException e)
            {
                throw new MqscException(e.Code, $"{e.Detail} in {file}", e.Position);
            }
        }

        var journal = await Task.Run(() => MessageJournal.Open(settings.Name, settings.Store)).ConfigureAwait(false);
        try
        {
            var catalog = new ObjectCatalog(settings.Name, new Dictionary<string, object> { ["MAXMSGL"] = (long)settings.MaxMessageLength });
            var definitions = journal.LoadObjects();
            foreach (var (_, _, definition) in definitions)
            {
                catalog.Apply(new ObjectDefined(MqscExecutor.Restore(definition, settings.Name), null));
            }

            if (definitions.Count == 0)
            {
                // A new queue manager gets MQ's default CHLAUTH rules, journaled like any definition, so an
                // administrator who removes them later keeps them removed (docs/security.md, "Default CHLAUTH rules").
                script = DefaultChannelAuthentication + (script ?? string.Empty);
            }

            var recovered = journal.LoadMessages();
            var revoked = Tls.RevokedCertificatesExtension.For(system);
            foreach (var stored in journal.LoadRevoked())
            {
                revoked.Add(new Tls.RevokedCertificate(stored.Issuer, stored.Serial, stored.Source));
            }

            return new PreparedQueueManager(settings.Name, QueueManager.Props(settings, journal, catalog, recovered), script, journal);
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }

    /// <summary>Stops the queue manager; its journal commits what is queued and closes before this returns.</summary>
    public static Task StopAsync(IActorRef queueManager, TimeSpan? timeout = null) =>
        queueManager.GracefulStop(timeout ?? TimeSpan.FromSeconds(30));
}
