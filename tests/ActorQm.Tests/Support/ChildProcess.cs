using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActorQm.Tests.Support;

/// <summary>
/// A .NET program from the test's output folder run as a real child process, its stdout lines
/// collected; killed (SIGKILL, whole tree) when disposed if still running.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    public ChildProcess(string assembly, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public StreamWriter StandardInput => _process.StandardInput;

    public string StandardError => string.Join('\n', _stderr);

    /// <summary>Every line read so far plus those that arrive until <paramref name="until"/> holds or the time runs out.</summary>
    public List<string> ReadUntil(Func<string, bool> until, TimeSpan timeout, List<string>? into = null)
    {
        var lines = into ?? new List<string>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!_lines.TryTake(out var line, TimeSpan.FromMilliseconds(100)))
            {
                if (_lines.IsCompleted)
                {
                    break;
                }

                continue;
            }

            lines.Add(line);
            if (until(line))
            {
                return lines;
            }
        }

        throw new TimeoutException($"child process did not print the expected line within {timeout}; last lines: {string.Join(" | ", lines.TakeLast(5))}; stderr: {StandardError}");
    }

    /// <summary>Lines that arrived and are waiting, without blocking.</summary>
    public List<string> Drain(List<string> into)
    {
        while (_lines.TryTake(out var line))
        {
            into.Add(line);
        }

        return into;
    }

    /// <summary>SIGKILL: no chance to flush, close or clean up.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"child process did not exit within {timeout}; stderr: {StandardError}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        KillHard();
        if (_process.HasExited)
        {
            // The parameterless wait also waits for the output readers to reach end of stream, so
            // the line collection is not completed after it has been disposed.
            _process.WaitForExit();
        }

        _process.Dispose();
        _lines.Dispose();
    }
}
