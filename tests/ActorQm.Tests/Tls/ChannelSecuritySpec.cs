using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Tls;

public sealed class ChannelSecuritySpec
{
    private readonly TestCatalog _objects = new();

    private ObjectCatalog Catalog => _objects.Catalog;

    private MqscOutcome Run(string script) => _objects.Define(script);

    [Fact]
    public void ChannelSecurity_must_ignore_SSLPEER_on_a_channel_without_SSLCIPH()
    {
        Run("DEFINE CHANNEL(PLAIN) CHLTYPE(RCVR) SSLPEER('CN=QM1')");

        Assert.Null(ChannelSecurity.RequirementsFor(Catalog, Catalog.Find("CHANNEL", "PLAIN")!));
    }

    [Fact]
    public void ChannelSecurity_must_take_SSLCIPH_SSLPEER_and_SSLCAUTH_from_the_definition()
    {
        Run("DEFINE CHANNEL(QM1.TO.QM2) CHLTYPE(RCVR) SSLCIPH(ANY_TLS12) SSLPEER('CN=QM1,O=Example') SSLCAUTH(OPTIONAL)");

        var needs = ChannelSecurity.RequirementsFor(Catalog, Catalog.Find("CHANNEL", "QM1.TO.QM2")!)!;

        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12, needs.Cipher.Protocols);
        Assert.Equal("CN=QM1,O=Example", needs.SslPeer!.Text);
        Assert.False(needs.ClientAuthRequired);
    }

    [Fact]
    public void ChannelSecurity_must_refuse_to_start_a_TLS13_only_channel_where_TLS13_is_off()
    {
        Run("DEFINE CHANNEL(C) CHLTYPE(SDR) SSLCIPH(ANY_TLS13) CONNAME('h(1414)') XMITQ(X)");

        var e = Assert.Throws<InvalidOperationException>(() => ChannelSecurity.RequirementsFor(Catalog, Catalog.Find("CHANNEL", "C")!, allowTls13: false));
        Assert.StartsWith("AMQ9635E", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("APP.*", "APP.SVRCONN", true)]
    [InlineData("*", "ANYTHING", true)]
    [InlineData("A*C", "ABBC", true)]
    [InlineData("A*C", "ABD", false)]
    [InlineData("*.SVRCONN", "APP.SVRCONN", true)]
    [InlineData("APP.SVRCONN", "APP.SVRCONN", true)]
    [InlineData("APP.SVRCONN", "APP.SVRCONN2", false)]
    public void ChannelSecurity_must_match_CHLAUTH_profiles_with_wildcards_anywhere(string profile, string channel, bool matches) =>
        Assert.Equal(matches, ChannelSecurity.ProfileMatches(profile, channel));

    [Fact]
    public void ChannelSecurity_must_use_the_records_of_the_most_specific_profile_only()
    {
        Run("""
            SET CHLAUTH('*') TYPE(SSLPEERMAP) SSLPEER('CN=*') USERSRC(NOACCESS)
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app*') USERSRC(MAP) MCAUSER('generic')
            SET CHLAUTH('APP.SVR*') TYPE(SSLPEERMAP) SSLPEER('CN=app*') USERSRC(MAP) MCAUSER('svr')
            """);

        var rules = ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN");

        Assert.Equal("svr", Assert.Single(rules).McaUser);
        Assert.Equal("NOACCESS", Assert.Single(ChannelSecurity.PeerMapsFor(Catalog, "OTHER")).UserSource);
        Run("ALTER QMGR CHLAUTH(DISABLED)");
        Assert.Empty(ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN"));
    }

    [Fact]
    public void RunCheck_must_show_the_record_the_handshake_would_apply()
    {
        Run("""
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app*') USERSRC(MAP) MCAUSER('userA')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app1') USERSRC(MAP) MCAUSER('userB')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=app1') SSLCERTI('CN=Other CA') USERSRC(NOACCESS)
            """);

        var app1 = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=app1,O=Example') SSLCERTI('CN=Example CA')");
        var app2 = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=app2')");
        var fromOther = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=app1') SSLCERTI('CN=Other CA')");
        var nobody = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=zed')");

        Assert.Contains(app1.Lines, l => l.Contains("MCAUSER(userB)", StringComparison.Ordinal));
        Assert.Contains(app2.Lines, l => l.Contains("MCAUSER(userA)", StringComparison.Ordinal));
        Assert.Contains(fromOther.Lines, l => l.Contains("USERSRC(NOACCESS)", StringComparison.Ordinal));
        Assert.StartsWith("AMQ9783I", nobody.Lines[0], StringComparison.Ordinal);

        var subject = PeerName.Parse("CN=app1,O=Example");
        var chosen = SslPeerMapRule.Select(ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN"), subject, PeerName.Parse("CN=Example CA"));
        Assert.Equal("userB", chosen!.McaUser);
    }
}
