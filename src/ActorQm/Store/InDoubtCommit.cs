using System.Data.Common;

namespace ActorQm.Store;

/// <summary>
/// Settles a journal commit whose outcome is in doubt: its answer was lost with its connection (a PostgreSQL restart or a
/// cut network after COMMIT was sent), or SQLite's sync of it failed (a later open may find it). The writer asks, on a new
/// connection, what became of the transaction id it read before committing (PostgreSQL's <c>txid_status</c>; SQLite's
/// commit count, read once a checkpoint made the journal durable); while that cannot be known yet (the old session still
/// alive on the server, a file system still failing) the question is asked again. See docs/persistence.md, "Journal outages".
/// </summary>
internal static class InDoubtCommit
{
    public enum Outcome
    {
        Unknown,
        Committed,
        Aborted,
    }

    private static readonly TimeSpan AskEvery = TimeSpan.FromMilliseconds(250);

    public static Outcome Resolve(JournalEngine engine, long? transaction, TimeSpan wait, Func<bool> stopping)
    {
        if (transaction is not { } id)
        {
            return Outcome.Unknown;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                switch (engine.TransactionStatus(id))
                {
                    case "committed":
                        return Outcome.Committed;
                    case "aborted":
                        return Outcome.Aborted;
                    case null:
                        // Too old for the server to remember (cannot be: it was just written), or not this server's id.
                        return Outcome.Unknown;
                }
            }
            catch (Exception e) when (e is DbException or IOException or InvalidOperationException or TimeoutException)
            {
                // The server or the file system is not back yet: ask again.
            }

            if (stopping() || System.Diagnostics.Stopwatch.GetElapsedTime(started) >= wait)
            {
                return Outcome.Unknown;
            }

            Thread.Sleep(AskEvery);
        }
    }
}
