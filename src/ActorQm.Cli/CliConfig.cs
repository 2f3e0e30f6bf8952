using ActorQm.Configuration;
using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Cli;

/// <summary>Loads a HOCON file into ActorQm settings and the ActorSystem config, with one-line errors.</summary>
internal static class CliConfig
{
    public static (Config Config, ActorQmSettings Settings) Load(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"config file {file.FullName} not found");
        }

        // Read again by REFRESH SECURITY TYPE(SSL) for the queue managers' tls settings.
        Config Read() => HoconText.Parse(File.ReadAllText(file.FullName), file.FullName);
        Config config;
        ActorQmSettings settings;
        try
        {
            config = Read();
            settings = ActorQmSettings.Create(config, file.DirectoryName, Read);
        }
        catch (ConfigurationException e) when (!e.Message.StartsWith(file.FullName, StringComparison.Ordinal))
        {
            throw new CliException($"{file.FullName}: {e.Message.ReplaceLineEndings(" ")}", 20);
        }
        catch (ConfigurationException e)
        {
            throw new CliException(e.Message.ReplaceLineEndings(" "), 20);
        }

        if (settings.QueueManagers.Count == 0)
        {
            throw new CliException($"{file.FullName} declares no queue manager under actorqm.queue-managers");
        }

        return (config, settings);
    }

    public static ActorSystem CreateSystem(Config config, string logLevel) =>
        ActorSystem.Create("actorqm", ConfigurationFactory.ParseString($"akka.loglevel = {logLevel}\nakka.stdout-loglevel = {logLevel}")
            .WithFallback(config)
            .WithFallback(ActorQmSettings.Reference));
}

/// <summary>An error the CLI reports as one line on stderr.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class CliRunner
{
    /// <summary>Runs a command body; known failures become one line on stderr and a non-zero exit code.</summary>
    public static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("actorqm: " + e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is Mqsc.MqscException or Store.QueueManagerInUseException or ConfigurationException or IOException or Messages.MqException)
        {
            await Console.Error.WriteLineAsync("actorqm: " + e.Message.ReplaceLineEndings(" "));
            return 20;
        }
    }
}

/// <summary>
/// An OCSP responder URL from the command line or a client configuration file. System.CommandLine has no
/// Uri parser (a Uri-typed option refused every value), so the option is text read here: an absolute http
/// URL as AUTHINFO OCSPURL takes, or a one-line error and exit 20.
/// </summary>
internal static class OcspUrl
{
    /// <returns>null for no value; the URL; or a <see cref="CliException"/> naming <paramref name="source"/>.</returns>
    public static Uri? Parse(string? text, string source) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp && url.Host.Length > 0 ? url
        : throw new CliException($"{source} '{text}' is not an http URL of an OCSP responder (as AUTHINFO OCSPURL)", 20);
}
