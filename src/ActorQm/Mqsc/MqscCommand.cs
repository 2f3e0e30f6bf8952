namespace ActorQm.Mqsc;

/// <summary>A place in an MQSC script, 1-based, for error messages.</summary>
public readonly record struct MqscPosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

/// <summary>One value inside a keyword's parentheses; <see cref="Quoted"/> values keep their case.</summary>
public sealed record MqscValue(string Text, bool Quoted, MqscPosition Position);

/// <summary>A keyword with its values, e.g. <c>NAMES('A','B')</c>, or a bare flag such as <c>REPLACE</c>.</summary>
public sealed record MqscKeyword(string Name, IReadOnlyList<MqscValue> Values, bool HasParentheses, MqscPosition Position);

/// <summary>A parsed command: verb, object type, object name and keywords, with positions.</summary>
public sealed record MqscCommand(
    string Verb,
    string? ObjectType,
    MqscValue? ObjectName,
    IReadOnlyList<MqscKeyword> Keywords,
    MqscPosition Position,
    string Text)
{
    public MqscKeyword? Find(string name) => Keywords.FirstOrDefault(k => k.Name == name);
}

/// <summary>A script or command that cannot be parsed or executed, with where and why.</summary>
public sealed class MqscException(string code, string message, MqscPosition? position = null)
    : Exception(position is { } p ? $"{code}: {message} ({p})" : $"{code}: {message}")
{
    public string Code { get; } = code;
    public string Detail { get; } = message;
    public MqscPosition? Position { get; } = position;
}
