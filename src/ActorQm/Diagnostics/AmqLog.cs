using Akka.Event;

namespace ActorQm.Diagnostics;

/// <summary>
/// Logs a message that starts with an AMQ code at the level its suffix names, as MQ's error logs do: I information,
/// W warning, E (and S) error (docs/operations.md). Used where the code is only known at run time.
/// </summary>
internal static class AmqLog
{
    public static void Amq(this ILoggingAdapter log, string code, string format, params object?[] args)
    {
        var level = code.Length > 0 ? code[^1] : 'E';
        var message = code + ": " + format;
        switch (level)
        {
            case 'I':
                log.Info(message, args);
                break;
            case 'W':
                log.Warning(message, args);
                break;
            default:
                log.Error(message, args);
                break;
        }
    }
}
