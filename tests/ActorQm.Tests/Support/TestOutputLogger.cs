using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ActorQm.Tests.Support;

/// <summary>Microsoft.Extensions.Logging into a spec's output, so what a hosted part (the REST API's Kestrel) logs shows with the spec.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output) : ILoggerProvider, ILogger
{
    public static ILoggerFactory Factory(ITestOutputHelper output) => LoggerFactory.Create(b => b.AddProvider(new TestOutputLogger(output)));

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"[{logLevel}] {formatter(state, exception)}{(exception is null ? string.Empty : Environment.NewLine + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The spec has ended: nothing to write to.
        }
    }

    public void Dispose()
    {
    }
}
