using ActorQm.Cli.ErrorLogs;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Cli;

/// <summary>MQ's error log rotation: AMQERR01.LOG fills to its size, moves up, and the oldest of the kept files goes.</summary>
public sealed class ErrorLogFileSpec : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void ErrorLogFile_must_rotate_at_its_size_keep_its_number_of_files_and_drop_the_oldest()
    {
        var log = new ErrorLogFile(_dir.File("errors"), 1024, 3);
        var entry = new string('x', 300) + "\n";

        for (var i = 0; i < 20; i++)
        {
            log.Append($"entry {i:00} {entry}");
        }

        var files = Directory.GetFiles(_dir.File("errors")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["AMQERR01.LOG", "AMQERR02.LOG", "AMQERR03.LOG"], files);
        Assert.All(files, f => Assert.InRange(new FileInfo(Path.Combine(_dir.File("errors"), f!)).Length, 1, 1024));
        // The newest entry is in AMQERR01, older ones further up, the first ones gone.
        Assert.Contains("entry 19", File.ReadAllText(log.PathOf(1)), StringComparison.Ordinal);
        Assert.Contains("entry 1", File.ReadAllText(log.PathOf(3)), StringComparison.Ordinal);
        Assert.DoesNotContain("entry 00", string.Concat(files.Select(f => File.ReadAllText(Path.Combine(_dir.File("errors"), f!)))), StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
