using ActorQm.Configuration;
using Akka.Configuration;

namespace ActorQm.Tests.Configuration;

public sealed class ActorQmSettingsSpec
{
    [Fact]
    public void Settings_must_take_every_default_from_the_embedded_reference_conf()
    {
        var qm = ActorQmSettings.ForQueueManager("QM1");

        Assert.Equal("data/QM1.db", qm.Store.Path);
        Assert.Equal("FULL", qm.Store.Synchronous);
        Assert.Equal(5000, qm.DefaultMaxDepth);
        Assert.Equal(4_194_304, qm.MaxMessageLength);
        Assert.Null(qm.MqscFile);
        Assert.Equal(TimeSpan.FromSeconds(5), qm.ExpiryInterval);
        Assert.Equal(32L * 1024 * 1024, qm.Tls.CrlMaxBytes);
    }

    [Fact]
    public void Settings_must_read_the_CRL_size_cap_and_refuse_a_nonsensical_one()
    {
        TlsSettings Tls(string crlMax) =>
            TlsSettings.Create("QM1", ConfigurationFactory.ParseString($"crl-max-bytes = {crlMax}").WithFallback(ActorQmSettings.Reference.GetConfig("actorqm.queue-manager-defaults.tls")), null);

        Assert.Equal(1024L * 1024, Tls("1MiB").CrlMaxBytes);
        Assert.Throws<ConfigurationException>(() => Tls("0"));
    }

    [Fact]
    public void Settings_must_read_channel_revocation_by_channel_name_with_the_queue_managers_policy_as_default()
    {
        TlsSettings Tls(string hocon) =>
            TlsSettings.Create("QM1", ConfigurationFactory.ParseString(hocon).WithFallback(ActorQmSettings.Reference.GetConfig("actorqm.queue-manager-defaults.tls")), null);

        var tls = Tls("""
            ocsp-authentication = warn
            channel-revocation {
              "TO.PARTNER" { crl-namelist = PARTNER.AUTH, ocsp-authentication = required }
              INTERNAL { crl-namelist = CRLS }
            }
            """);

        Assert.Equal(new ChannelRevocationSettings("PARTNER.AUTH", ActorQm.Tls.UnknownRevocationPolicy.Required), tls.ChannelRevocation["TO.PARTNER"]);
        Assert.Equal(new ChannelRevocationSettings("CRLS", ActorQm.Tls.UnknownRevocationPolicy.Warn), tls.ChannelRevocation["INTERNAL"]);
        Assert.Empty(Tls(string.Empty).ChannelRevocation);
        Assert.Contains("crl-namelist", Assert.Throws<ConfigurationException>(() => Tls("channel-revocation { X { ocsp-authentication = optional } }")).Message, StringComparison.Ordinal);
        Assert.Contains("required, warn or optional", Assert.Throws<ConfigurationException>(() => Tls("channel-revocation { X { crl-namelist = A, ocsp-authentication = maybe } }")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_must_read_each_declared_queue_manager_with_its_overrides_and_resolve_paths()
    {
        var config = ConfigurationFactory.ParseString("""
            actorqm {
              queue-manager-defaults.queue.max-depth = 100
              queue-managers {
                QM1 { mqsc-file = "qm1.mqsc" }
                "QM.TWO" { store.path = "/var/lib/actorqm/two.db", queue.max-depth = 7 }
              }
            }
            """);

        var settings = ActorQmSettings.Create(config, "/etc/actorqm");

        var qm1 = settings.QueueManagers.Single(q => q.Name == "QM1");
        var two = settings.QueueManagers.Single(q => q.Name == "QM.TWO");
        Assert.Equal("/etc/actorqm/qm1.mqsc", qm1.MqscFile);
        Assert.Equal("/etc/actorqm/data/QM1.db", qm1.Store.Path);
        Assert.Equal(100, qm1.DefaultMaxDepth);
        Assert.Equal("/var/lib/actorqm/two.db", two.Store.Path);
        Assert.Equal(7, two.DefaultMaxDepth);
    }

    [Fact]
    public void Settings_must_read_hocon_listeners_by_name()
    {
        var config = ConfigurationFactory.ParseString("""
            actorqm.queue-managers.QM1.listeners {
              tls { port = 1414, address = "127.0.0.1" }
              any { port = 0 }
            }
            """);

        var listeners = ActorQmSettings.Create(config).QueueManagers.Single().Listeners;

        Assert.Equal(["ANY", "TLS"], listeners.Select(l => l.Name).Order());
        Assert.Equal(1414, listeners.Single(l => l.Name == "TLS").Port);
        Assert.Equal(System.Net.IPAddress.Loopback, listeners.Single(l => l.Name == "TLS").Address);
        Assert.Equal(System.Net.IPAddress.Any, listeners.Single(l => l.Name == "ANY").Address);
        Assert.Empty(ActorQmSettings.ForQueueManager("QM1").Listeners);
    }

    [Fact]
    public void Settings_must_read_the_OCSP_freshness_and_size_settings()
    {
        var defaults = ActorQmSettings.ForQueueManager("QM1").Tls;
        var config = ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.tls { ocsp-nonce = required, ocsp-nonce-less-max-age = off, ocsp-max-bytes = 64k }");

        var set = ActorQmSettings.Create(config).QueueManagers.Single().Tls;

        Assert.Equal((ActorQm.Tls.OcspNonce.Preferred, TimeSpan.FromHours(1), 128 * 1024L), (defaults.OcspNonce, defaults.OcspNonceLessMaxAge, defaults.OcspMaxBytes));
        Assert.Equal((ActorQm.Tls.OcspNonce.Required, (TimeSpan?)null, 64 * 1024L), (set.OcspNonce, set.OcspNonceLessMaxAge, set.OcspMaxBytes));
    }

    [Fact]
    public void Settings_must_read_the_send_queue_bound_and_slow_reader_timeout_into_the_transport()
    {
        var defaults = ActorQmSettings.ForQueueManager("QM1").Tls;
        var config = ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.tls { send-queue-max-bytes = 2MiB, slow-reader-timeout = 5s }");

        var set = ActorQmSettings.Create(config).QueueManagers.Single().Tls;
        var transport = new ActorQm.Channels.QueueManagerTls(set).TransportSettings(new ActorQm.Objects.ObjectCatalog("QM1", new Dictionary<string, object> { ["MAXMSGL"] = 4_194_304L }));

        Assert.Equal((8L << 20, TimeSpan.FromSeconds(30)), (defaults.SendQueueMaxBytes, defaults.SlowReaderTimeout));
        Assert.Equal((2L << 20, (TimeSpan?)TimeSpan.FromSeconds(5)), (transport.MaxSendQueueBytes, transport.SlowReaderTimeout));
        Assert.Equal((64, 1), (transport.InitialReadCredit, transport.Accepting().InitialReadCredit));
    }

    [Fact]
    public void Settings_must_read_the_channel_pipeline_length_with_a_default_of_2()
    {
        Assert.Equal(2, ActorQmSettings.ForQueueManager("QM1").ChannelPipelineLength);
        var config = ConfigurationFactory.ParseString("actorqm.queue-managers.QM1.channels.pipeline-length = 1");
        Assert.Equal(1, ActorQmSettings.Create(config).QueueManagers.Single().ChannelPipelineLength);
    }

    [Theory]
    [InlineData("QM1 { tls.send-queue-max-bytes = 1k }", "send-queue-max-bytes must be at least 64k")]
    [InlineData("QM1 { tls.slow-reader-timeout = 0s }", "slow-reader-timeout must be positive")]
    [InlineData("QM1 { tls.ocsp-nonce = maybe }", "ocsp-nonce must be required, preferred or off")]
    [InlineData("QM1 { tls.ocsp-max-bytes = 100 }", "ocsp-max-bytes must be between 1k and 16M")]
    [InlineData("QM1 { store.synchronous = normal }", "must be 'full' or 'extra'")]
    [InlineData("QM1 { store.max-batch = 0 }", "max-batch must be positive")]
    [InlineData("QM1 { channels.pipeline-length = 0 }", "channels.pipeline-length must be between 1 and 16, not 0")]
    [InlineData("QM1 { channels.pipeline-length = 17 }", "channels.pipeline-length must be between 1 and 16, not 17")]
    [InlineData("\"BAD NAME\" { }", "not a valid queue manager name")]
    [InlineData("QM1 { listeners.x { port = 70000 } }", "listeners.x.port must be 0-65535")]
    [InlineData("QM1 { listeners.x { port = 1, address = nowhere } }", "is not an IP address")]
    public void Settings_must_refuse_unsafe_or_invalid_values_with_the_key_named(string entry, string why)
    {
        var config = ConfigurationFactory.ParseString($"actorqm.queue-managers {{ {entry} }}");

        var e = Assert.Throws<ConfigurationException>(() => ActorQmSettings.Create(config));

        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_must_read_security_groups_with_their_members_case_kept()
    {
        var config = ConfigurationFactory.ParseString("""
            actorqm.queue-managers.QM1.security.groups {
              payroll = ["app1", "App2"]
              ops = ["app1"]
              mqm = ["alice"]
            }
            """);

        var security = ActorQmSettings.Create(config).QueueManagers.Single().Security;

        Assert.Equal(["ops", "payroll"], security.GroupsOf("app1").Order(StringComparer.Ordinal));
        Assert.Equal(["payroll"], security.GroupsOf("App2"));
        Assert.Empty(security.GroupsOf("app2"));
        Assert.True(security.PrincipalFor("alice").Privileged);
        Assert.False(security.PrincipalFor("app1").Privileged);
        Assert.Empty(ActorQmSettings.ForQueueManager("QM1").Security.Groups);
    }

    [Theory]
    [InlineData("QM1 { security.groups { GGGG = [\"app1\"] } }", "group name 'GGGG' must be 1 to 64 characters")]
    [InlineData("QM1 { security.groups { payroll = [\"\"] } }", "security.groups.payroll: member '' must be 1 to 64 characters")]
    [InlineData("QM1 { security.groups { payroll = [\"MMMM\"] } }", "security.groups.payroll: member 'MMMM' must be 1 to 64 characters")]
    [InlineData("QM1 { security.groups { payroll = \"app1\" } }", "security.groups.payroll must be a list of principals")]
    [InlineData("QM1 { security.groups { payroll { app1 = yes } } }", "security.groups.payroll must be a list of principals")]
    public void Settings_must_refuse_bad_group_names_and_members_with_the_key_named(string entry, string why)
    {
        var config = ConfigurationFactory.ParseString($"actorqm.queue-managers {{ {entry.Replace("GGGG", LongName, StringComparison.Ordinal).Replace("MMMM", LongName, StringComparison.Ordinal)} }}");

        var e = Assert.Throws<ConfigurationException>(() => ActorQmSettings.Create(config));

        Assert.Contains(why.Replace("GGGG", LongName, StringComparison.Ordinal).Replace("MMMM", LongName, StringComparison.Ordinal), e.Message, StringComparison.Ordinal);
    }

    private static readonly string LongName = new('g', 65);
}
