using System.Data.Common;
using System.Reflection;

namespace ActorQm.Store;

/// <summary>
/// The journal's schema version, one row per queue manager in <c>journal_info</c> (docs/storage.md, "Schema versions"):
/// stamped when a journal is created, and when a journal from before versions existed (the layout of version 1) is
/// first opened. A journal of any other version is refused at start, never read with the wrong layout; a release that
/// changes the layout raises <see cref="Current"/> and upgrades older journals here, in the writer's transaction.
/// </summary>
internal static class JournalSchema
{
    /// <summary>
    /// The layout this release reads and writes. 2: descriptors may be version 2 (with trace context, docs/storage.md,
    /// "Descriptor blob"), which a release reading version 1 would fail to decode; a version-1 journal is the same tables
    /// without them, so it is upgraded by restamping it.
    /// </summary>
    public const int Current = 2;

    private static readonly string Release =
        typeof(JournalSchema).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    /// <exception cref="JournalVersionException">The journal was written with another layout.</exception>
    public static void Check(JournalEngine engine, DbConnection connection, string qmgr)
    {
        int? version = null;
        var writtenBy = string.Empty;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT schema_version, written_by FROM journal_info WHERE qmgr = @q";
            read.Parameters.Add(engine.Parameter("@q", qmgr));
            using var reader = read.ExecuteReader();
            if (reader.Read())
            {
                version = Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                writtenBy = reader.GetString(1);
            }
        }

        // The reader is closed before anything is written: PostgreSQL runs one command at a time per connection.
        switch (version)
        {
            case null:
                Stamp(engine, connection, qmgr, "INSERT INTO journal_info(qmgr, schema_version, written_by) VALUES (@q, @v, @r)");
                break;
            case Current:
                break;
            case 1:
                // Version 1 to 2: the same tables; from now on it may hold descriptors an earlier release cannot read, so it says so.
                Stamp(engine, connection, qmgr, "UPDATE journal_info SET schema_version = @v, written_by = @r WHERE qmgr = @q");
                break;
            default:
                throw new JournalVersionException(qmgr, engine.Location, version.Value, writtenBy, Current);
        }
    }

    private static void Stamp(JournalEngine engine, DbConnection connection, string qmgr, string sql)
    {
        using var stamp = connection.CreateCommand();
        stamp.CommandText = sql;
        stamp.Parameters.Add(engine.Parameter("@q", qmgr));
        stamp.Parameters.Add(engine.Parameter("@v", Current));
        stamp.Parameters.Add(engine.Parameter("@r", Release));
        stamp.ExecuteNonQuery();
    }
}

/// <summary>The journal's layout is not the one this release reads: the queue manager does not start, and nothing is changed.</summary>
public sealed class JournalVersionException(string qmgr, string location, int version, string writtenBy, int current)
    : Exception($"AMQ7204E: the journal of queue manager {qmgr} at {location} has schema version {version} (written by ActorQm {writtenBy}); this release reads versions 1 to {current}. Start it with the release that wrote it, or a later one.")
{
    public int Version { get; } = version;
}
