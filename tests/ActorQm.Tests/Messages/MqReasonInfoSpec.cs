using ActorQm.Messages;

namespace ActorQm.Tests.Messages;

public sealed class MqReasonInfoSpec
{
    [Fact]
    public void MqReasonInfo_must_explain_every_reason_ActorQm_returns()
    {
        var missing = Enum.GetValues<MqReason>().Where(r => MqReasonInfo.All.All(i => i.Reason != r)).ToList();

        Assert.True(missing.Count == 0, $"reasons without an explanation: {string.Join(", ", missing)}");
        Assert.All(MqReasonInfo.All, i => Assert.StartsWith("MQRC_", i.Name, StringComparison.Ordinal));
        Assert.Equal(MqReasonInfo.All.Count, MqReasonInfo.All.Select(i => i.Name).Distinct().Count());
    }

    [Theory]
    [InlineData("2035")]
    [InlineData("0x7F3")]
    [InlineData("X'07F3'")]
    [InlineData("07F3")]
    [InlineData("MQRC_NOT_AUTHORIZED")]
    [InlineData("not_authorized")]
    [InlineData("NotAuthorized")]
    public void MqReasonInfo_must_find_a_code_written_as_MQ_administrators_write_it(string text) =>
        Assert.Equal(MqReason.NotAuthorized, MqReasonInfo.Find(text)?.Reason);

    [Theory]
    [InlineData("2040")]
    [InlineData("MQRC_NOT_A_THING")]
    [InlineData("")]
    public void MqReasonInfo_must_find_nothing_for_a_code_it_does_not_return(string text) =>
        Assert.Null(MqReasonInfo.Find(text));
}
