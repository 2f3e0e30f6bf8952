using System.Text;

namespace ActorQm.Cli.ErrorLogs;

/// <summary>
/// One queue manager's error log as MQ keeps it (docs/operations.md, "Error logs"): entries are appended to AMQERR01.LOG;
/// when the next entry would take it past <see cref="MaxBytes"/>, the oldest file goes, each other moves up one
/// (AMQERR01 to AMQERR02, ...) and a new AMQERR01.LOG starts, so at most <see cref="Files"/> files of about
/// <see cref="MaxBytes"/> each are kept.
/// </summary>
internal sealed class ErrorLogFile(string directory, long maxBytes, int files)
{
    public long MaxBytes { get; } = maxBytes;

    public int Files { get; } = files;

    public string Current => PathOf(1);

    public string PathOf(int number) => Path.Combine(directory, $"AMQERR{number:00}.LOG");

    public void Append(string entry)
    {
        var bytes = Encoding.UTF8.GetBytes(entry);
        Directory.CreateDirectory(directory);
        var current = new FileInfo(Current);
        if (current.Exists && current.Length > 0 && current.Length + bytes.Length > MaxBytes)
        {
            Rotate();
        }

        using var stream = new FileStream(Current, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(bytes);
    }

    private void Rotate()
    {
        File.Delete(PathOf(Files));
        for (var n = Files - 1; n >= 1; n--)
        {
            if (File.Exists(PathOf(n)))
            {
                File.Move(PathOf(n), PathOf(n + 1));
            }
        }
    }
}
