using ActorQm.Configuration;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Store;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>A running queue manager and what its start-up script printed.</summary>
public sealed record StartedQueueManager(string Name, IActorRef Actor, QueueManager.MqscCompleted? StartupOutput);

/// <summary>
/// Starts a queue manager: checks its start-up script, opens and locks its journal, restores
/// its objects and live persistent messages, spawns its actor and applies the script.
/// </summary>
public static class QueueManagerBootstrap
{
    public static async Task<StartedQueueManager> StartAsync(ActorSystem system, QueueManagerSettings settings, TimeSpan? timeout = null)
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

        var journal = MessageJournal.Open(settings.Name, settings.Store);
        IActorRef actor;
        try
        {
            var catalog = new ObjectCatalog(settings.Name, new Dictionary<string, object> { ["MAXMSGL"] = (long)settings.MaxMessageLength });
            foreach (var (_, _, definition) in journal.LoadObjects())
            {
                catalog.Apply(new ObjectDefined(MqscExecutor.Restore(definition, settings.Name), null));
            }

            var recovered = journal.LoadMessages();
            var revoked = Tls.RevokedCertificates.For(system);
            foreach (var certificate in journal.LoadRevoked())
            {
                revoked.Add(certificate);
            }

            actor = system.ActorOf(QueueManager.Props(settings, journal, catalog, recovered), QueueManager.ActorName(settings.Name));
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        QueueManager.MqscCompleted? output = null;
        if (script is not null)
        {
            output = await actor.Ask<QueueManager.MqscCompleted>(new QueueManager.RunMqsc(script, Startup: true), timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        return new StartedQueueManager(settings.Name, actor, output);
    }

    /// <summary>Stops the queue manager; its journal commits what is queued and closes before this returns.</summary>
    public static Task StopAsync(IActorRef queueManager, TimeSpan? timeout = null) =>
        queueManager.GracefulStop(timeout ?? TimeSpan.FromSeconds(30));
}
