using ActorQm.Store;

namespace ActorQm.Tests.Store;

/// <summary>
/// Settling the in-doubt batches of a sending channel by its partner's last committed number (docs/protocol.md,
/// "Pipelining"): the messages numbered up to it arrived, the rest did not, with sequence numbers wrapping at SEQWRAP.
/// </summary>
public sealed class ChannelSyncRecordSpec
{
    private const long Wrap = 999_999_999;

    // Last committed 100; batches 101-103 and 104-105 in doubt, journal keys 11..15.
    private static readonly ChannelSyncRecord TwoBatches = new("C", 100, 105, [11, 12, 13, 14, 15]);

    [Fact]
    public void Settlement_must_back_out_every_batch_when_the_partner_has_the_last_committed_number()
    {
        var (arrived, next) = TwoBatches.SettleAt(100, Wrap)!.Value;
        Assert.Empty(arrived);
        Assert.Equal(new ChannelSyncRecord("C", 100, 0, []), next with { InDoubtMessages = [] });
        Assert.Empty(next.InDoubtMessages);
    }

    [Fact]
    public void Settlement_must_commit_the_older_batch_only_when_the_partner_committed_it_and_not_the_newer()
    {
        var (arrived, next) = TwoBatches.SettleAt(103, Wrap)!.Value;
        Assert.Equal([11L, 12L, 13L], arrived);
        Assert.Equal((103L, 0L, 0), (next.LastSeq, next.InDoubtSeq, next.InDoubtMessages.Count));
    }

    [Fact]
    public void Settlement_must_commit_every_batch_when_the_partner_committed_the_newest()
    {
        var (arrived, next) = TwoBatches.SettleAt(105, Wrap)!.Value;
        Assert.Equal([11L, 12L, 13L, 14L, 15L], arrived);
        Assert.Equal((105L, 0L), (next.LastSeq, next.InDoubtSeq));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(106)]
    [InlineData(0)]
    public void Settlement_must_refuse_a_number_outside_the_batches_in_doubt(long partner)
    {
        Assert.Null(TwoBatches.SettleAt(partner, Wrap));
    }

    [Fact]
    public void Settlement_must_count_across_the_sequence_wrap()
    {
        // Last committed 8 of SEQWRAP(10): in doubt 9, 10, 1, 2.
        var record = new ChannelSyncRecord("C", 8, 2, [21, 22, 23, 24]);
        Assert.Equal([21L, 22L, 23L], record.SettleAt(1, 10)!.Value.Arrived);
        Assert.Equal([21L, 22L], record.SettleAt(10, 10)!.Value.Arrived);
        Assert.Null(record.SettleAt(3, 10));
    }

    [Fact]
    public void Settlement_with_nothing_in_doubt_must_accept_only_the_same_number()
    {
        var record = new ChannelSyncRecord("C", 42, 0, []);
        Assert.Empty(record.SettleAt(42, Wrap)!.Value.Arrived);
        Assert.Null(record.SettleAt(43, Wrap));
    }
}
