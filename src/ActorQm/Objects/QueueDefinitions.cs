namespace ActorQm.Objects;

public enum QueueUsage
{
    Normal,
    Transmission,
}

/// <summary>What a local queue actor needs from its QLOCAL definition.</summary>
public sealed record LocalQueueDefinition(
    string Name,
    int MaxDepth,
    int MaxMessageLength,
    bool DefaultPersistent,
    int DefaultPriority,
    bool PutEnabled,
    bool GetEnabled,
    QueueUsage Usage,
    bool TriggerFirst = false,
    string TriggerData = "")
{
    public static LocalQueueDefinition From(MqObject o) => new(
        o.Name,
        (int)o.Number("MAXDEPTH"),
        (int)o.Number("MAXMSGL"),
        o.Text("DEFPSIST") == "YES",
        (int)o.Number("DEFPRTY"),
        o.Text("PUT") == "ENABLED",
        o.Text("GET") == "ENABLED",
        o.Text("USAGE") == "XMITQ" ? QueueUsage.Transmission : QueueUsage.Normal,
        o.Text("TRIGGER") == "YES" && o.Text("TRIGTYPE") is "FIRST" or "EVERY",
        o.Text("TRIGDATA"));
}
