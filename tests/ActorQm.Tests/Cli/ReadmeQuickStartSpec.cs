using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.Cli;

/// <summary>
/// The README's quick start, run as written: its files are taken from the README (the blocks marked
/// <c>&lt;!-- quickstart: FILE --&gt;</c>), its commands run by bash with <c>actorqm</c> being this
/// build's CLI. Only the listener ports are swapped for free ones, so parallel runs cannot collide.
/// </summary>
public sealed partial class ReadmeQuickStartSpec : IDisposable
{
    private readonly TempDirectory _dir = new();

    [GeneratedRegex(@"<!-- quickstart: (?<name>\S+) -->\s*```[a-z]*\n(?<body>.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Block();

    [Fact]
    public async Task Readme_quick_start_must_run_as_written_and_deliver_the_message()
    {
        var readme = File.ReadAllText(RepositoryFile("README.md"));
        var blocks = Block().Matches(readme).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["body"].Value);
        Assert.True(blocks.ContainsKey("run"), "the README has no <!-- quickstart: run --> block");
        var (port1, port2) = (FreePort(), FreePort());
        string Ports(string text) => text.Replace("14141", port1.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("14142", port2.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        foreach (var (name, body) in blocks.Where(b => b.Key != "run"))
        {
            File.WriteAllText(_dir.File(name), Ports(body));
        }

        var cli = Path.Combine(AppContext.BaseDirectory, "ActorQm.Cli.dll");
        File.WriteAllText(_dir.File("quickstart.sh"), $$"""
            set -euo pipefail
            actorqm() { dotnet "{{cli}}" "$@"; }
            # Whatever happens, no queue manager outlives the test.
            trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
            {{Ports(blocks["run"])}}
            wait
            """);
        var info = new ProcessStartInfo("bash", [_dir.File("quickstart.sh")])
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var bash = Process.Start(info)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            try
            {
                await bash.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                bash.Kill(entireProcessTree: true);
                await bash.WaitForExitAsync();
            }
        }

        var (stdout, stderr) = (await output, await error);
        var all = stdout + stderr;
        var logs = string.Join('\n', Directory.EnumerateFiles(_dir.Path, "*.log").Select(f => $"== {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}\n{all}\n{logs}");
        Assert.Contains("hello over TLS", stdout, StringComparison.Ordinal);
        Assert.Contains("STATUS(RUNNING)", stdout, StringComparison.Ordinal);
        Assert.Contains("AMQ8004I: ActorQm queue manager QM1 ended normally.", stdout, StringComparison.Ordinal);
    }

    private static string RepositoryFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, name)) && File.Exists(Path.Combine(dir.FullName, "ActorQm.sln")))
            {
                return Path.Combine(dir.FullName, name);
            }
        }

        throw new FileNotFoundException($"{name} not found above {AppContext.BaseDirectory}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _dir.Dispose();
}
