namespace ActorQm.Store;

/// <summary>
/// What a message channel keeps durable between batches (MQ's channel synchronisation data):
/// the sequence number of the last committed batch and, on the sending end, the batch sent but
/// not yet confirmed: its last sequence number and the journal keys of its messages on the
/// transmission queue, so a restart can commit or back it out once the partner says which.
/// </summary>
/// <param name="Channel">Channel name; the receiving end keys it by channel and sending queue manager.</param>
/// <param name="InDoubtSeq">Last sequence number of the in-doubt batch, or 0 when none is in doubt.</param>
internal sealed record ChannelSyncRecord(string Channel, long LastSeq, long InDoubtSeq, IReadOnlyList<long> InDoubtMessages)
{
    public bool IsInDoubt => InDoubtSeq != 0;

    public static ChannelSyncRecord Fresh(string channel) => new(channel, 0, 0, []);

    internal byte[] EncodeMessages()
    {
        var bytes = new byte[InDoubtMessages.Count * 8];
        for (var i = 0; i < InDoubtMessages.Count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), InDoubtMessages[i]);
        }

        return bytes;
    }

    internal static long[] DecodeMessages(byte[] bytes)
    {
        var result = new long[bytes.Length / 8];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        return result;
    }
}
