using System.Globalization;
using Akka.Actor;
using Akka.Event;

namespace ActorQm.Cli.ErrorLogs;

/// <summary>
/// Writes every AMQ message a queue manager logs to that queue manager's error log (<see cref="ErrorLogFile"/>), with
/// MQ's header: time, process, program, host and queue manager. Lines without an AMQ code are Akka's own and stay in the
/// console log only. Subscribed to the event stream by <see cref="ErrorLog.Start"/>.
/// </summary>
internal sealed class ErrorLogActor : ReceiveActor
{
    private readonly Dictionary<string, ErrorLogFile> _files;
    private readonly string _host = Environment.MachineName;
    private readonly int _pid = Environment.ProcessId;

    public ErrorLogActor(ErrorLog.Settings settings, IReadOnlyList<string> queueManagers)
    {
        _files = queueManagers.ToDictionary(q => q, q => new ErrorLogFile(Path.Combine(settings.Directory, q, "errors"), settings.MaxFileBytes, settings.Files), StringComparer.Ordinal);
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        var text = e.Message?.ToString() ?? string.Empty;
        if (!text.StartsWith("AMQ", StringComparison.Ordinal) || QueueManagerOf(e.LogSource) is not { } file)
        {
            return;
        }

        try
        {
            file.Append(Entry(e, text));
        }
        catch (IOException)
        {
            // A full or read-only disk must not take the queue manager down with its log; the console still has the line.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The queue manager whose actor logged it: its actor path holds <c>/qm-NAME</c>.</summary>
    private ErrorLogFile? QueueManagerOf(string source)
    {
        var at = source.IndexOf("/qm-", StringComparison.Ordinal);
        if (at < 0)
        {
            return _files.Count == 1 ? _files.Values.First() : null;
        }

        var start = at + 4;
        var end = source.IndexOf('/', start);
        var name = end < 0 ? source[start..] : source[start..end];
        return _files.GetValueOrDefault(name);
    }

    private string Entry(LogEvent e, string text)
    {
        var time = e.Timestamp.ToUniversalTime();
        var qmgr = QueueManagerName(e.LogSource);
        return string.Create(CultureInfo.InvariantCulture,
            $"""
            -------------------------------------------------------------------------------
            {time:MM/dd/yyyy hh:mm:ss tt} - Process({_pid}.{e.Thread.ManagedThreadId}) Program(actorqm)
                                Host({_host}) QMgr({qmgr})
                                Time({time:yyyy-MM-ddTHH:mm:ss.fffZ})
                                Source({e.LogSource})
            {text}

            """);
    }

    private string QueueManagerName(string source) => _files.FirstOrDefault(f => source.Contains($"/qm-{f.Key}", StringComparison.Ordinal)).Key ?? _files.Keys.FirstOrDefault() ?? string.Empty;
}
