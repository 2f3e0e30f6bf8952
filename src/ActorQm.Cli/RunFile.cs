using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ActorQm.Cli;

/// <summary>
/// What a running <c>actorqm start</c> leaves for <c>actorqm status</c> and <c>actorqm stop</c>: one file
/// per queue manager, <c>run/QM.json</c> beside the config file, holding the process id, when it
/// started and the listeners it bound. Removed at a clean stop; a file whose process is gone marks a
/// queue manager that ended unexpectedly (docs/operations.md).
/// </summary>
internal sealed record RunFile(string QueueManager, int ProcessId, DateTimeOffset Started, string Config, IReadOnlyList<string> Listeners)
{
    public static string PathFor(FileInfo config, string qmgr) => Path.Combine(config.DirectoryName!, "run", qmgr + ".json");

    public void Write(FileInfo config)
    {
        var path = PathFor(config, QueueManager);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this));
        File.Move(temp, path, overwrite: true);
    }

    public static void Remove(FileInfo config, string qmgr) => File.Delete(PathFor(config, qmgr));

    /// <summary>The run file of a queue manager, or null when there is none (never started, or stopped cleanly).</summary>
    public static RunFile? Read(FileInfo config, string qmgr)
    {
        var path = PathFor(config, qmgr);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<RunFile>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the process that wrote the file still runs (not a later process that reused its id: it must have started before the file was written).</summary>
    public bool ProcessAlive()
    {
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            return !process.HasExited && process.StartTime.ToUniversalTime() <= Started.UtcDateTime.AddSeconds(1);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Asks the process to stop as SIGTERM does (a clean stop of every queue manager it runs).</summary>
    public bool Terminate() => kill(ProcessId, 15) == 0;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, CA5392, IDE1006 // the C library's own name
    private static extern int kill(int pid, int signal);
#pragma warning restore SA1300, CA5392, IDE1006
}
