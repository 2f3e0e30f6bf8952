namespace ActorQm.Store;

/// <summary>
/// What a message channel keeps durable between batches (MQ's channel synchronisation data):
/// the sequence number of the last committed batch and, on the sending end, every batch sent but
/// not yet confirmed (up to the pipeline length): the last sequence number of the newest one and
/// the journal keys of their messages on the transmission queue, oldest first, one per sequence
/// number from <see cref="LastSeq"/> + 1, so a restart can commit or back out each of them once
/// the partner says how far it got (docs/protocol.md, "Pipelining").
/// </summary>
/// <param name="Channel">Channel name; the receiving end keys it by channel and sending queue manager.</param>
/// <param name="InDoubtSeq">Last sequence number of the newest in-doubt batch, or 0 when none is in doubt.</param>
internal sealed record ChannelSyncRecord(string Channel, long LastSeq, long InDoubtSeq, IReadOnlyList<long> InDoubtMessages)
{
    public bool IsInDoubt => InDoubtSeq != 0;

    public static ChannelSyncRecord Fresh(string channel) => new(channel, 0, 0, []);

    /// <summary>
    /// Settles what is in doubt by the partner's last committed number: the messages numbered up to it arrived (their keys
    /// are returned, to be removed from the transmission queue), the rest did not (they stay, to be sent again), and after
    /// that nothing is in doubt. Null when the number is neither the last committed one nor within the in-doubt batches.
    /// </summary>
    public (IReadOnlyList<long> Arrived, ChannelSyncRecord Next)? SettleAt(long partnerLastSeq, long sequenceWrap)
    {
        if (partnerLastSeq == LastSeq)
        {
            return ([], this with { InDoubtSeq = 0, InDoubtMessages = [] });
        }

        if (!IsInDoubt)
        {
            return null;
        }

        // Sequence numbers run LastSeq + 1 .. InDoubtSeq, wrapping to 1 after SEQWRAP.
        var arrived = Distance(LastSeq, partnerLastSeq, sequenceWrap);
        if (arrived < 1 || arrived > InDoubtMessages.Count || arrived > Distance(LastSeq, InDoubtSeq, sequenceWrap))
        {
            return null;
        }

        return (InDoubtMessages.Take((int)arrived).ToList(), new ChannelSyncRecord(Channel, partnerLastSeq, 0, []));
    }

    private static long Distance(long from, long to, long wrap) => to >= from ? to - from : wrap - from + to;

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
