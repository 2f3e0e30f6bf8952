using System.Data.Common;

namespace ActorQm.Store;

/// <summary>
/// Settles a journal commit whose answer was lost with its connection (a PostgreSQL restart or a cut network after
/// COMMIT was sent): the server may have made it durable. The writer asks, on a new session, what became of the
/// transaction id it read before committing (<c>txid_status</c>); while the old session is still alive on the server
/// the transaction is "in progress" and the question is asked again. See docs/persistence.md, "Journal outages".
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
                // The server is not back yet: ask again.
            }

            if (stopping() || System.Diagnostics.Stopwatch.GetElapsedTime(started) >= wait)
            {
                return Outcome.Unknown;
            }

            Thread.Sleep(AskEvery);
        }
    }
}
