using System.Diagnostics;
using Npgsql;

namespace ActorQm.Tests.Support;

/// <summary>
/// A real PostgreSQL server (Debian's postgresql) of the test's own: a fresh cluster made by
/// initdb in a temporary folder, listening on 127.0.0.1 only (trust authentication, loopback),
/// stopped and removed when disposed. Run as the postgres user when the tests run as root,
/// because the server refuses to run as root.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _bin;
    private readonly string _data;
    private int _databases;

    public PostgresServer()
    {
        _bin = FindBinaries();
        _data = _dir.File("data");
        if (Environment.UserName == "root")
        {
            Run("chown", "-R", "postgres:postgres", _dir.Path);
        }

        Port = Loopback.FreePort();
        RunAsOwner(Path.Combine(_bin, "initdb"), "-D", _data, "-A", "trust", "-U", "actorqm", "-E", "UTF8", "--no-sync");
        RunAsOwner(Path.Combine(_bin, "pg_ctl"), "-D", _data, "-l", _dir.File("server.log"), "-w", "-t", "30", "-o",
            $"-p {Port} -k {_dir.Path} -c listen_addresses=127.0.0.1 -c max_connections=200", "start");
    }

    public int Port { get; }

    /// <summary>Connection string of the maintenance database.</summary>
    public string ConnectionString => Connection("postgres");

    public string Connection(string database) => $"Host=127.0.0.1;Port={Port};Username=actorqm;Database={database};Timeout=10";

    /// <summary>A new empty database, so each test starts from nothing on the shared server.</summary>
    public string CreateDatabase()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"CREATE DATABASE {name}";
        cmd.ExecuteNonQuery();
        return Connection(name);
    }

    /// <summary>
    /// Stops the server as a crash would (immediate: no checkpoint, every session cut) and starts it
    /// again, which replays its write-ahead log: what was committed must all be there.
    /// </summary>
    public void Restart() =>
        RunAsOwner(Path.Combine(_bin, "pg_ctl"), "-D", _data, "-l", _dir.File("server.log"), "-m", "immediate", "-w", "-t", "60", "restart");

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/test.sh installs the postgresql package)");
    }

    private void RunAsOwner(string program, params string[] args)
    {
        if (Environment.UserName == "root")
        {
            Run("runuser", ["-u", "postgres", "--", program, .. args]);
        }
        else
        {
            Run(program, args);
        }
    }

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {stderr} {stdout.Result}");
        }
    }

    public void Dispose()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            RunAsOwner(Path.Combine(_bin, "pg_ctl"), "-D", _data, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            _dir.Dispose();
        }
    }
}
