using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class ChannelSniSpec
{
    [Theory]
    [InlineData("TO.QMGR1", "to2e-qmgr1.chl.mq.ibm.com")]
    [InlineData("to.qmgr1", "74-6f-2e-71-6d-67-72-1.chl.mq.ibm.com")]
    [InlineData("APP_1/X%", "app5f-12f-x25-.chl.mq.ibm.com")]
    public void ChannelSni_must_encode_channel_names_as_MQ_does(string channel, string serverName)
    {
        Assert.Equal(serverName, ChannelSni.Encode(channel));
        Assert.Equal(channel, ChannelSni.TryDecode(serverName));
    }

    [Theory]
    [InlineData("qm2.example.com")]
    [InlineData(null)]
    [InlineData("bad!.chl.mq.ibm.com")]
    public void ChannelSni_must_not_read_a_channel_into_an_ordinary_host_name(string? serverName) =>
        Assert.Null(ChannelSni.TryDecode(serverName));
}
