namespace ActorQm.Cli;

/// <summary>A one-line progress bar on the terminal; when output is redirected, a line every few seconds instead.</summary>
internal sealed class ProgressBar(string label, int total) : IDisposable
{
    private const int Width = 30;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _lastLine;
    private int _done;

    public void Report(int done)
    {
        _done = done;
        if (!Console.IsOutputRedirected)
        {
            var filled = (int)((long)Width * done / Math.Max(1, total));
            Console.Write($"\r  {label,-28} [{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total}");
        }
        else if (_clock.Elapsed - _lastLine > TimeSpan.FromSeconds(2))
        {
            _lastLine = _clock.Elapsed;
            Console.WriteLine($"  {label}: {done}/{total}");
        }
    }

    public void Dispose()
    {
        Console.WriteLine(Console.IsOutputRedirected ? $"  {label}: {_done}/{total} in {_clock.Elapsed.TotalSeconds:F1} s" : string.Empty);
    }
}
