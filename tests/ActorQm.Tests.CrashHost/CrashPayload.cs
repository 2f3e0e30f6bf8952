using ActorQm.Messages;

namespace ActorQm.Tests.CrashHost;

/// <summary>Deterministic persistent messages, so a test can check every byte after a crash.</summary>
public static class CrashPayload
{
    public const string QMgr = "CRASH.QM";
    public const string Queue = "CRASH.Q";
    public const int Size = 1024;

    public static MqMessage Message(int index) =>
        new(new MessageDescriptor { Persistence = Persistence.Persistent, Priority = index % 3, Format = MessageFormats.None }, Bytes(index));

    public static byte[] Bytes(int index)
    {
        var payload = new byte[Size];
        BitConverter.TryWriteBytes(payload, index);
        var x = (uint)index * 2654435761u + 7;
        for (var i = 4; i < payload.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            payload[i] = (byte)x;
        }

        return payload;
    }

    public static int IndexOf(MqMessage message) => BitConverter.ToInt32(message.Payload.Span);
}
