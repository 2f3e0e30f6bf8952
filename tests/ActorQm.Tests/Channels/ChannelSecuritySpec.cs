using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Channels;

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

    [Fact]
    public void IdentityMap_must_choose_the_most_specific_profile_then_QMGRMAP_then_the_most_specific_address()
    {
        Run("""
            SET CHLAUTH('*') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS)
            SET CHLAUTH('APP.*') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS)
            SET CHLAUTH('APP.*') TYPE(ADDRESSMAP) ADDRESS('10.1.*') USERSRC(MAP) MCAUSER('branch')
            SET CHLAUTH('TO.QM2') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS)
            SET CHLAUTH('TO.QM2') TYPE(QMGRMAP) QMNAME('QM1') USERSRC(CHANNEL)
            """);
        string? Decide(string channel, string address, string? qmgr = null) =>
            ChannelSecurity.MappingFor(Catalog, channel, new CallerFacts(null, null, System.Net.IPAddress.Parse(address), qmgr)) is { } r ? $"{r.Name} {r.Text("TYPE")} {r.Text("USERSRC")}" : null;

        Assert.Equal("APP.* ADDRESSMAP MAP", Decide("APP.SVRCONN", "10.1.2.3"));
        Assert.Equal("APP.* ADDRESSMAP NOACCESS", Decide("APP.SVRCONN", "10.2.2.3"));
        Assert.Equal("* ADDRESSMAP NOACCESS", Decide("OTHER", "10.1.2.3"));
        Assert.Equal("TO.QM2 QMGRMAP CHANNEL", Decide("TO.QM2", "10.9.9.9", "QM1"));
        Assert.Equal("TO.QM2 ADDRESSMAP NOACCESS", Decide("TO.QM2", "10.9.9.9", "QM7"));
        // A client has no queue manager name: QMGRMAP records never match it.
        Assert.Equal("TO.QM2 ADDRESSMAP NOACCESS", Decide("TO.QM2", "10.9.9.9"));
        Run("ALTER QMGR CHLAUTH(DISABLED)");
        Assert.Null(Decide("APP.SVRCONN", "10.1.2.3"));
    }

    [Fact]
    public void BlockedBy_must_mark_the_patterns_of_a_BLOCKADDR_record_in_warning_mode()
    {
        Run("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.*','11.1.*') WARN(YES)");

        Assert.Equal(new AddressBlock("10.*", WarnOnly: true), ChannelSecurity.BlockedBy(Catalog, System.Net.IPAddress.Parse("10.1.1.1")));
        Assert.Null(ChannelSecurity.BlockedBy(Catalog, System.Net.IPAddress.Parse("11.2.1.1")));
        Run("SET CHLAUTH('*') TYPE(BLOCKADDR) ADDRLIST('10.*','11.1.*') WARN(NO) ACTION(REPLACE)");
        Assert.Equal(new AddressBlock("11.1.*"), ChannelSecurity.BlockedBy(Catalog, System.Net.IPAddress.Parse("11.1.1.1")));
    }

    [Fact]
    public void PeerCheck_must_let_a_peer_an_SSLPEERMAP_record_in_warning_mode_denies_pass_with_a_warning()
    {
        Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP9') USERSRC(NOACCESS) WARN(YES)");
        var peer = PeerIdentity.Of(TestPki.Leaf(TestPki.Shared.Ca, "CN=APP9,O=Example").Certificate);
        var requirements = new PeerRequirements(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!, PeerMaps: ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN"));

        var warned = requirements.CheckPeer(peer, HandshakeRole.Responder);
        Assert.Null(warned.AmqCode);
        Assert.Contains("WARN(YES)", warned.Warning, StringComparison.Ordinal);

        Run("SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP9') USERSRC(NOACCESS) WARN(NO) ACTION(REPLACE)");
        var blocking = requirements with { PeerMaps = ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN") };
        Assert.Equal("AMQ9777E", blocking.CheckPeer(peer, HandshakeRole.Responder).AmqCode);
    }

    [Fact]
    public void SslPeerMapRule_must_not_map_a_peer_by_an_attribute_its_subject_repeats_but_must_still_block_it()
    {
        Run("""
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=ADMIN') USERSRC(MAP) MCAUSER('admin')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=EVIL') USERSRC(NOACCESS)
            """);
        var maps = ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN");
        var issuer = PeerName.Parse("CN=Example CA");
        PeerName Subject(string dn) => PeerName.Subject(TestPki.Leaf(TestPki.Shared.Ca, dn).Certificate);

        Assert.Equal("admin", SslPeerMapRule.Select(maps, Subject("CN=ADMIN,O=Example"), issuer)!.McaUser);
        Assert.Null(SslPeerMapRule.Select(maps, Subject("CN=MALLORY,CN=ADMIN,O=Example"), issuer));
        // An ambiguous name never helps its holder: a NOACCESS record that one of its values matches still blocks.
        Assert.Equal("NOACCESS", SslPeerMapRule.Select(maps, Subject("CN=EVIL,CN=ADMIN,O=Example"), issuer)!.UserSource);
    }

    [Fact]
    public void SslPeerMap_must_rank_records_by_attribute_so_one_CN_can_be_blocked_inside_an_allowed_organisation()
    {
        Run("""
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP1') USERSRC(NOACCESS)
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('O=Example Corp,L=Leeds,C=GB') USERSRC(CHANNEL)
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP*,O=Example Corp') USERSRC(MAP) MCAUSER('generic')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP7,O=Example Corp') USERSRC(MAP) MCAUSER('app7')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP7,O=Example Corp') SSLCERTI('CN=Example CA') USERSRC(MAP) MCAUSER('app7ca')
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('UID=u9,C=GB') USERSRC(MAP) MCAUSER('uid')
            """);
        string Decide(string subject) =>
            SslPeerMapRule.Select(ChannelSecurity.PeerMapsFor(Catalog, "APP.SVRCONN"), PeerName.Parse(subject), PeerName.Parse("CN=Example CA")) is { } r
                ? r.UserSource == "MAP" ? r.McaUser : r.UserSource
                : "none";

        // CN ranks above O, L and C: the record naming CN is the more specific, however short.
        Assert.Equal("NOACCESS", Decide("CN=APP1,O=Example Corp,L=Leeds,C=GB"));
        Assert.Equal("CHANNEL", Decide("CN=BATCH,O=Example Corp,L=Leeds,C=GB"));
        // Both name CN: a literal value beats a generic one; then SSLCERTI beats no SSLCERTI.
        Assert.Equal("generic", Decide("CN=APP2,O=Example Corp,L=Leeds,C=GB"));
        Assert.Equal("app7ca", Decide("CN=APP7,O=Example Corp,L=Leeds,C=GB"));
        // UID ranks above CN.
        Assert.Equal("uid", Decide("UID=u9,CN=APP2,O=Example Corp,L=Leeds,C=GB"));
    }

    [Fact]
    public void Mapping_must_take_the_most_specific_profile_with_any_matching_record_before_the_record_type()
    {
        Run("""
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP*') USERSRC(CHANNEL)
            SET CHLAUTH('APP.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('127.0.0.1') USERSRC(NOACCESS)
            SET CHLAUTH('APP.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS)
            SET CHLAUTH('APP.SVRCONN') TYPE(SSLPEERMAP) SSLPEER('CN=APP2') USERSRC(MAP) MCAUSER('app2')
            SET CHLAUTH('APP.*') TYPE(ADDRESSMAP) ADDRESS('10.1.1.1') USERSRC(MAP) MCAUSER('branch')
            """);
        string Decide(string channel, string subject, string address) =>
            ChannelSecurity.MappingFor(Catalog, channel, new CallerFacts(PeerName.Parse(subject), PeerName.Empty, System.Net.IPAddress.Parse(address), null)) is { } r
                ? $"{r.Name} {r.Text("TYPE")} {r.Text("USERSRC")}"
                : "none";

        // The exact profile has a matching ADDRESSMAP: the generic profile's SSLPEERMAP is not consulted.
        Assert.Equal("APP.SVRCONN ADDRESSMAP NOACCESS", Decide("APP.SVRCONN", "CN=APP1", "127.0.0.1"));
        // Within the profile an SSLPEERMAP comes before the ADDRESS('*') back-stop.
        Assert.Equal("APP.SVRCONN SSLPEERMAP MAP", Decide("APP.SVRCONN", "CN=APP2", "127.0.0.1"));
        Assert.Equal("APP.* ADDRESSMAP MAP", Decide("APP.SVC", "CN=ZED", "10.1.1.1"));
        Assert.Equal("APP.* SSLPEERMAP CHANNEL", Decide("APP.RCVR", "CN=APP1", "127.0.0.1"));
    }

    [Fact]
    public void RunCheck_must_show_the_record_the_admission_would_apply_across_record_types()
    {
        Run("""
            SET CHLAUTH('APP.*') TYPE(SSLPEERMAP) SSLPEER('CN=APP*') USERSRC(CHANNEL)
            SET CHLAUTH('APP.SVRCONN') TYPE(ADDRESSMAP) ADDRESS('127.0.0.1') USERSRC(NOACCESS)
            """);

        var fromLoopback = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=APP1') ADDRESS('127.0.0.1')");
        var fromElsewhere = Run("DISPLAY CHLAUTH(APP.SVRCONN) MATCH(RUNCHECK) SSLPEER('CN=APP1') ADDRESS('10.0.0.5')");

        Assert.Contains(fromLoopback.Lines, l => l.Contains("USERSRC(NOACCESS)", StringComparison.Ordinal));
        Assert.Contains(fromElsewhere.Lines, l => l.Contains("USERSRC(CHANNEL)", StringComparison.Ordinal));
    }
}
