using ActorQm.Configuration;
using Akka.Configuration;

namespace ActorQm.Tests.Configuration;

public sealed class SettingsSchemaSpec
{
    private static IReadOnlyList<string> Problems(string hocon) => SettingsSchema.Problems(ConfigurationFactory.ParseString(hocon));

    [Theory]
    [InlineData("actorqm.queue-managers { QM1 { store.pth = x } }", "actorqm.queue-managers.QM1.store.pth is not a setting (did you mean actorqm.queue-managers.QM1.store.path?)")]
    [InlineData("actorqm.queue-managers { QM1 { mqsc_file = x } }", "actorqm.queue-managers.QM1.mqsc_file is not a setting (did you mean actorqm.queue-managers.QM1.mqsc-file?)")]
    [InlineData("actorqm.queue-managers { QM1 { listener { L1 { port = 1 } } } }", "actorqm.queue-managers.QM1.listener is not a setting (did you mean actorqm.queue-managers.QM1.listeners?)")]
    [InlineData("actorqm.queue-managers { QM1 { listeners { L1 { prot = 1 } } } }", "actorqm.queue-managers.QM1.listeners.L1.prot is not a setting (did you mean actorqm.queue-managers.QM1.listeners.L1.port?)")]
    [InlineData("actorqm.queue-managers { QM1 { queue.max-depth = abc } }", "actorqm.queue-managers.QM1.queue.max-depth = abc: expected a whole number")]
    [InlineData("actorqm.queue-managers { QM1 { expiry-interval = soon } }", "actorqm.queue-managers.QM1.expiry-interval = soon: expected a duration such as 30s, 5m or 1h")]
    [InlineData("actorqm.queue-managers { QM1 { tls.crl-max-bytes = lots } }", "actorqm.queue-managers.QM1.tls.crl-max-bytes = lots: expected a size such as 65536, 64KiB or 32MiB")]
    [InlineData("actorqm.queue-managers { QM1 { tls.crl-files = a.crl } }", "actorqm.queue-managers.QM1.tls.crl-files must be a list [ ... ]")]
    [InlineData("actorqm.queue-managers { QM1 { security.groups { apps = app1 } } }", "actorqm.queue-managers.QM1.security.groups.apps must be a list of principals, e.g. [\"app1\", \"app2\"]")]
    [InlineData("actorqm.queue-manager-defaults.tls.alow-tls13 = off", "actorqm.queue-manager-defaults.tls.alow-tls13 is not a setting (did you mean actorqm.queue-manager-defaults.tls.allow-tls13?)")]
    [InlineData("actorqm.clustr.enabled = on", "actorqm.clustr is not a setting (did you mean actorqm.cluster?)")]
    [InlineData("actorqm.queue-managers { QM1 { tls.channel-revocation { \"TO.PARTNER\" { crl-namlist = X } } } }", "actorqm.queue-managers.QM1.tls.channel-revocation.TO.PARTNER.crl-namlist is not a setting (did you mean actorqm.queue-managers.QM1.tls.channel-revocation.TO.PARTNER.crl-namelist?)")]
    public void SettingsSchema_must_name_a_misspelt_or_mistyped_setting(string hocon, string problem) =>
        Assert.Equal([problem], Problems(hocon));

    [Fact]
    public void SettingsSchema_must_accept_every_setting_of_reference_conf_and_named_entries()
    {
        Assert.Empty(SettingsSchema.Problems(ActorQmSettings.Reference));
        Assert.Empty(Problems("""
            akka.loglevel = DEBUG
            something-else.entirely = 1
            actorqm {
              queue-managers {
                "QM.ONE" {
                  mqsc-file = "a.mqsc"
                  listeners { L1 { port = 0, address = "127.0.0.1", backlog = 16 } }
                  security.groups { apps = ["app1"], mqm = ["alice"] }
                  tls { crl-files = ["a.crl"], revocation-recheck-interval = 30s, ocsp-nonce-less-max-age = off, crl-max-bytes = 64KiB }
                  tls.channel-revocation { "TO.PARTNER" { crl-namelist = PARTNER.AUTH, ocsp-authentication = warn } }
                  store.engine = postgresql
                }
              }
              cluster.routing.listeners { R1 { queue-manager = "QM.ONE", address = "0.0.0.0", port = 1414 } }
            }
            """));
    }

    [Fact]
    public void ActorQmSettings_must_refuse_every_problem_at_once_before_using_a_default()
    {
        var e = Assert.Throws<ConfigurationException>(() => ActorQmSettings.Create(ConfigurationFactory.ParseString("actorqm.queue-managers { QM1 { store.pth = x, queue.max-depth = abc } }")));

        Assert.Contains("store.pth is not a setting", e.Message, StringComparison.Ordinal);
        Assert.Contains("queue.max-depth = abc", e.Message, StringComparison.Ordinal);
    }
}
