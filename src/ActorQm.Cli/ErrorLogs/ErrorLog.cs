using ActorQm.Configuration;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace ActorQm.Cli.ErrorLogs;

/// <summary>
/// MQ-style error logs of <c>actorqm start</c> (<c>actorqm.telemetry.error-logs</c>): where an MQ administrator looks
/// first, one rotating set of AMQERRnn.LOG files per queue manager (docs/operations.md, "Error logs").
/// </summary>
internal static class ErrorLog
{
    /// <param name="Directory">Where each queue manager's <c>NAME/errors/AMQERR01.LOG</c> goes; empty: no error logs.</param>
    /// <param name="MaxFileBytes">The size at which AMQERR01.LOG moves up and a new one starts.</param>
    /// <param name="Files">How many files are kept (the oldest goes).</param>
    public sealed record Settings(string Directory, long MaxFileBytes, int Files)
    {
        /// <summary>Read from the config file; a relative directory is relative to that file's folder.</summary>
        public static Settings? From(Config config, string? baseDirectory)
        {
            var c = config.WithFallback(ActorQmSettings.Reference).GetConfig("actorqm.telemetry.error-logs");
            var directory = c.GetString("directory", string.Empty);
            if (string.IsNullOrWhiteSpace(directory))
            {
                return null;
            }

            var size = c.GetByteSize("max-file-size") ?? 0;
            var files = c.GetInt("files");
            if (size < 1024 || files is < 2 or > 99)
            {
                throw new CliException($"actorqm.telemetry.error-logs: max-file-size must be at least 1 KiB (is {size} bytes) and files 2 to 99 (is {files})", 20);
            }

            return new Settings(Path.GetFullPath(directory, baseDirectory ?? Environment.CurrentDirectory), size, files);
        }
    }

    public static Props Props(Settings settings, IReadOnlyList<string> queueManagers) =>
        Akka.Actor.Props.Create(() => new ErrorLogActor(settings, queueManagers));

    /// <summary>Starts writing the error logs of these queue managers from now on; null when they are switched off.</summary>
    public static IActorRef? Start(ActorSystem system, Config config, string? baseDirectory, IReadOnlyList<string> queueManagers)
    {
        if (Settings.From(config, baseDirectory) is not { } settings)
        {
            return null;
        }

        var actor = system.ActorOf(Props(settings, queueManagers), "error-logs");
        system.EventStream.Subscribe(actor, typeof(LogEvent));
        return actor;
    }
}
