using ActorQm.Tests.Support;

namespace ActorQm.Tests.Cli;

/// <summary>The actorqm command as an administrator runs it: a real process, its output and exit code.</summary>
public sealed class CliSpec : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string WriteConfig()
    {
        var path = _dir.File("actorqm.conf");
        File.WriteAllText(_dir.File("qm1.mqsc"), "DEFINE QLOCAL(APP.IN) MAXDEPTH(10)\n");
        File.WriteAllText(path, "actorqm.queue-managers { QM1 { mqsc-file = \"qm1.mqsc\" } }\n");
        return path;
    }

    private static (int Exit, List<string> Output, string Error) Run(string? stdin, params string[] args)
    {
        using var cli = new ChildProcess("ActorQm.Cli.dll", args);
        if (stdin is not null)
        {
            cli.StandardInput.Write(stdin);
        }

        cli.StandardInput.Close();
        var exit = cli.WaitForExit(TimeSpan.FromMinutes(3));
        var lines = cli.Drain(new List<string>());
        return (exit, lines, cli.StandardError);
    }

    [Fact]
    public void Cli_mqrc_must_explain_a_reason_code_and_say_when_it_knows_none()
    {
        var (exit, output, error) = Run(null, "mqrc", "2035", "X'0802'");
        var (unknownExit, unknown, _) = Run(null, "mqrc", "2040");

        Assert.True(exit == 0, string.Join('\n', output) + error);
        Assert.Contains("2035 (X'07F3')  MQRC_NOT_AUTHORIZED", output);
        Assert.Contains("2050 (X'0802')  MQRC_PRIORITY_ERROR", output);
        Assert.Contains(output, l => l.TrimStart().StartsWith("Action:", StringComparison.Ordinal) && l.Contains("SET AUTHREC", StringComparison.Ordinal));
        Assert.Equal(10, unknownExit);
        Assert.Contains("2040: not a reason code ActorQm returns (actorqm mqrc --all lists them)", unknown);
    }

    [Fact]
    public void Cli_keys_list_must_show_labels_and_CA_certificates_and_nothing_secret()
    {
        var pki = _dir.File("pki");
        Assert.Equal(0, Run(null, "pki", "create", pki, "--qmgr", "QM1", "--client", "app").Exit);

        var (exit, output, error) = Run(null, "keys", "list", Path.Combine(pki, "clients", "app", "key"));
        var (missingExit, _, missingError) = Run(null, "keys", "list", _dir.File("no-such-key"));

        Assert.True(exit == 0, string.Join('\n', output) + error);
        Assert.Contains(output, l => l.StartsWith("  ibmwebspheremqapp: CN=app", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("  root: ", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("  intermediate: ", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal));
        Assert.Equal(20, missingExit);
        Assert.Contains("AMQ9657E", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_help_must_name_the_program_as_users_type_it_and_keep_c_free_of_a_second_meaning()
    {
        var (exit, output, _) = Run(null, "--help");
        var (mqscExit, _, mqscError) = Run(null, "mqsc", "-c", "x.conf");

        Assert.Equal(0, exit);
        Assert.Contains("  actorqm [command] [options]", output);
        foreach (var command in new[] { "start", "stop", "status", "check", "mqsc", "put", "get", "browse", "demo", "pki create", "keys list", "cert verify", "mqrc" })
        {
            var (_, help, _) = Run(null, [.. command.Split(' '), "--help"]);
            Assert.True(help.Any(l => l.Trim() == "Example:") && help.Any(l => l.TrimStart().StartsWith("actorqm " + command, StringComparison.Ordinal)), $"{command} --help shows no example");
            Assert.DoesNotContain(help, l => l.Contains("(default: ", StringComparison.Ordinal) && l.Contains("[default: ", StringComparison.Ordinal));
        }

        // runmqsc -c means client mode; --config has no -c alias so it cannot be read the other way.
        Assert.NotEqual(0, mqscExit);
        Assert.Contains("-c", mqscError, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_demo_must_move_every_message_over_the_tls_channel_refuse_the_revoked_peer_and_exit_0()
    {
        var (exit, output, error) = Run(null, "demo", "--messages", "300", "--keep");

        Assert.True(exit == 0, string.Join('\n', output) + error);
        Assert.Contains("demo passed: every message arrived intact, in order, exactly once; the revoked peer was refused", output);
        Assert.Contains(output, l => l.StartsWith("persistent over the TLS channel", StringComparison.Ordinal) && l.Contains("ok: 300/300 intact", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("revoked peer refused", StringComparison.Ordinal) && l.Contains("ok: AMQ9633E", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("SSLCIPH(TLS_AES_128_GCM_SHA256)", StringComparison.Ordinal));

        // --keep leaves a configuration that starts what it kept: both queue managers, their journals, keys and CRLs.
        var kept = output.Single(l => l.StartsWith("  kept ", StringComparison.Ordinal))["  kept ".Length..];
        try
        {
            var conf = output.Single(l => l.StartsWith("  start what it kept: actorqm start --config ", StringComparison.Ordinal))["  start what it kept: actorqm start --config ".Length..];
            using var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", conf);
            var started = new HashSet<string>(StringComparer.Ordinal);
            var lines = server.ReadUntil(l =>
            {
                if (l.StartsWith("AMQ8003I: ActorQm queue manager ", StringComparison.Ordinal))
                {
                    started.Add(l.Split(' ')[4]);
                }

                return started.SetEquals(["QM1", "QM2"]);
            }, TimeSpan.FromMinutes(1));
            Assert.DoesNotContain(lines, l => l.Contains("AMQ9657E", StringComparison.Ordinal) || l.Contains("AMQ9666E", StringComparison.Ordinal));
            server.Signal(15);
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            Directory.Delete(kept, recursive: true);
        }
    }

    [Fact]
    public void Cli_local_demo_must_prove_every_message_intact_at_the_size_given_keep_its_folder_and_exit_0()
    {
        var (exit, output, error) = Run(null, "demo", "--local", "--messages", "300", "--size", "64", "--keep");

        Assert.True(exit == 0, string.Join('\n', output) + error);
        Assert.Contains("demo passed: every message came back intact", output);
        Assert.Contains(output, l => l.StartsWith("restart keeps persistent only", StringComparison.Ordinal) && l.Contains("ok:", StringComparison.Ordinal));
        Assert.Contains(output, l => l.EndsWith("300 messages of 64 bytes per phase", StringComparison.Ordinal));
        var kept = output.Single(l => l.StartsWith("  kept ", StringComparison.Ordinal))["  kept ".Length..];
        Assert.True(Directory.Exists(kept), $"--keep: {kept} is gone");
        Directory.Delete(kept, recursive: true);
    }

    [Fact]
    public void Cli_mqsc_must_apply_commands_offline_report_errors_and_keep_what_worked()
    {
        var config = WriteConfig();
        File.WriteAllText(_dir.File("change.mqsc"), "DEFINE QLOCAL(NEW.Q) DESCR('added offline')\nDEFINE QLOCAL(BROKEN) USAGE(MAYBE)\n");

        var (exit, output, _) = Run(null, "mqsc", "--config", config, "-f", _dir.File("change.mqsc"));
        var (displayExit, display, _) = Run("DISPLAY QLOCAL(NEW.Q) DESCR\nDISPLAY QMGR QMNAME\nDEFINE AUTHINFO(LDAP1) AUTHTYPE(CRLLDAP) CONNAME('ldap(389)') LDAPPWD('s3cret pw')\n",
            "mqsc", "--config", config, "-m", "QM1", "--json");
        var (undeclaredExit, _, undeclaredError) = Run("DISPLAY QMGR\n", "mqsc", "--config", config, "-m", "QM9");

        Assert.Equal(10, exit);
        Assert.Contains("AMQ8006I: ActorQm queue created.", output);
        Assert.Contains(output, l => l.StartsWith("AMQ8405E", StringComparison.Ordinal) && l.Contains("line 2, column 29", StringComparison.Ordinal));
        Assert.Equal(0, displayExit);
        using var json = System.Text.Json.JsonDocument.Parse(string.Join('\n', display));
        Assert.Equal("added offline", json.RootElement.GetProperty("objects")[0].GetProperty("DESCR").GetString());
        // Built from the results, command by command: the second command's echo is not read into the first object.
        var commands = json.RootElement.GetProperty("commands").EnumerateArray().ToList();
        Assert.Equal("DISPLAY QLOCAL(NEW.Q) DESCR", commands[0].GetProperty("command").GetString());
        var first = commands[0].GetProperty("objects").EnumerateArray().Single();
        Assert.Equal(["QUEUE", "TYPE", "DESCR"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("QM1", commands[1].GetProperty("objects")[0].GetProperty("QMNAME").GetString());
        // A secret is masked wherever the command is shown.
        Assert.Equal("DEFINE AUTHINFO(LDAP1) AUTHTYPE(CRLLDAP) CONNAME('ldap(389)') LDAPPWD(********)", commands[2].GetProperty("command").GetString());
        Assert.DoesNotContain("s3cret", string.Join('\n', display), StringComparison.Ordinal);
        Assert.Equal(20, undeclaredExit);
        Assert.Contains("QM9 is not declared", undeclaredError, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_start_must_run_until_SIGTERM_stop_cleanly_and_lock_out_offline_changes_meanwhile()
    {
        var config = WriteConfig();
        using (var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config))
        {
            var lines = server.ReadUntil(l => l.StartsWith("AMQ8003I: ActorQm queue manager QM1 started", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
            Assert.True(lines.Contains("AMQ8006I: ActorQm queue created."), string.Join('\n', lines));

            var (busyExit, _, busyError) = Run("DISPLAY QMGR\n", "mqsc", "--config", config);
            Assert.Equal(20, busyExit);
            Assert.Contains("AMQ8146E", busyError, StringComparison.Ordinal);

            server.Signal(15);
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains(server.Drain(lines), l => l.Contains("QM1 ended normally", StringComparison.Ordinal));
        }

        Assert.Equal(0, Run("DISPLAY QLOCAL(APP.IN)\n", "mqsc", "--config", config).Exit);
    }

    [Fact]
    public async Task Cli_start_must_write_MQs_error_log_and_serve_its_metrics_to_Prometheus_when_asked_and_refuse_a_setting_that_is_no_URL()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var config = _dir.File("metrics.conf");
        File.WriteAllText(_dir.File("qm1.mqsc"), "DEFINE QLOCAL(APP.IN)\n");
        File.WriteAllText(config, $"actorqm.telemetry.prometheus = \"http://127.0.0.1:{port}/metrics\"\nactorqm.queue-managers {{ QM1 {{ mqsc-file = \"{_dir.File("qm1.mqsc")}\" }} }}\n");
        File.WriteAllText(_dir.File("bad.conf"), "actorqm.telemetry.prometheus = \"127.0.0.1:9464\"\nactorqm.queue-managers { QM1 { } }\n");
        var (badExit, _, badError) = Run(null, "start", "--config", _dir.File("bad.conf"));

        using var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config);
        server.ReadUntil(l => l.StartsWith("AMQ8003I: ActorQm queue manager QM1 started", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));

        Assert.Equal(20, badExit);
        Assert.Contains("actorqm.telemetry.prometheus", badError, StringComparison.Ordinal);
        // OpenTelemetry's exporter writes the exposition: one series per queue, labelled with the queue manager.
        Assert.Contains(scrape.Split('\n'), l => l.StartsWith("actorqm_queue_depth", StringComparison.Ordinal) && l.Contains("actorqm_qmgr=\"QM1\"", StringComparison.Ordinal) && l.Contains("actorqm_queue=\"APP.IN\"", StringComparison.Ordinal));
        server.Signal(15);
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        // The error log beside the config file, as MQ's qmgrs/QM1/errors: the start and the end, with MQ's header.
        var errors = File.ReadAllText(Path.Combine(_dir.Path, "QM1", "errors", "AMQERR01.LOG"));
        Assert.Contains("QMgr(QM1)", errors, StringComparison.Ordinal);
        Assert.Contains("AMQ8003I: queue manager QM1 started", errors, StringComparison.Ordinal);
        Assert.Contains("AMQ8004I", errors, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Cli_start_must_serve_MQs_REST_APIs_over_mutual_TLS_when_configured()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var key = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        File.WriteAllText(_dir.File("qm1.mqsc"), $"ALTER QMGR SSLKEYR('{key}')\n");
        var config = _dir.File("rest.conf");
        File.WriteAllText(config, $"actorqm.rest.listen = \"127.0.0.1:{port}\"\nactorqm.queue-managers {{ QM1 {{ mqsc-file = \"{_dir.File("qm1.mqsc")}\" }} }}\n");

        using var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config);
        server.ReadUntil(l => l.StartsWith("MQ's REST APIs are listening", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(TestPki.Leaf(TestPki.Shared.Ca, "CN=admin,O=Example", server: false).WithKey(), [TestPki.Shared.Ca.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == TestPki.Shared.Qm1.GetCertHashString(),
            },
        });
        var qmgrs = await http.GetStringAsync(new Uri($"https://127.0.0.1:{port}/ibmmq/rest/v2/admin/qmgr"));
        server.Signal(15);

        Assert.Equal("{\"qmgr\":[{\"name\":\"QM1\",\"state\":\"running\"}]}", qmgrs);
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Cli_status_and_stop_must_show_a_running_queue_manager_with_its_listener_and_stop_it_cleanly()
    {
        var config = _dir.File("actorqm.conf");
        File.WriteAllText(config, "actorqm.queue-managers { QM1 { listeners { L1 { port = 0, address = \"127.0.0.1\" } } } }\n");
        Assert.Contains("QMNAME(QM1)  STATUS(Ended normally)", Run(null, "status", "--config", config).Output);
        Assert.Equal(10, Run(null, "stop", "--config", config).Exit);

        using var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config);
        var lines = server.ReadUntil(l => l.StartsWith("AMQ8003I: ActorQm queue manager QM1 started", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        // Started means ready: the HOCON listener is bound before the start message, which names it.
        Assert.Contains(lines, l => l.StartsWith("AMQ8003I", StringComparison.Ordinal) && l.Contains("listeners L1 on 127.0.0.1:", StringComparison.Ordinal));

        var (statusExit, status, _) = Run(null, "status", "--config", config);
        Assert.Equal(0, statusExit);
        Assert.Contains(status, l => l.StartsWith($"QMNAME(QM1)  STATUS(Running)  PID({server.Id})", StringComparison.Ordinal) && l.Contains("LISTENERS(L1=127.0.0.1:", StringComparison.Ordinal));

        var (stopExit, stopped, stopError) = Run(null, "stop", "--config", config);
        Assert.True(stopExit == 0, string.Join('\n', stopped) + stopError);
        Assert.Contains("AMQ8004I: ActorQm queue manager QM1 ended normally.", stopped);
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("QMNAME(QM1)  STATUS(Ended normally)", Run(null, "status", "--config", config).Output);
    }

    [Fact]
    public void Cli_status_must_tell_a_queue_manager_that_ended_unexpectedly_and_start_must_fail_on_a_port_in_use()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var config = _dir.File("actorqm.conf");
        File.WriteAllText(config, "actorqm.queue-managers { QM1 { } }\n");
        using (var server = new ChildProcess("ActorQm.Cli.dll", "start", "--config", config))
        {
            server.ReadUntil(l => l.StartsWith("AMQ8003I", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
            server.KillHard();
            server.WaitForExit(TimeSpan.FromSeconds(30));
        }

        Assert.Contains(Run(null, "status", "--config", config).Output, l => l.StartsWith("QMNAME(QM1)  STATUS(Ended unexpectedly)", StringComparison.Ordinal));

        File.WriteAllText(config, $"actorqm.queue-managers {{ QM1 {{ listeners {{ L1 {{ port = {port}, address = \"127.0.0.1\" }} }} }} }}\n");
        var (exit, _, error) = Run(null, "start", "--config", config);
        Assert.Equal(20, exit);
        Assert.Contains($"AMQ9228E: listener L1 of queue manager QM1 could not listen on 127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_check_must_validate_settings_and_script_syntax_without_starting_anything()
    {
        var config = WriteConfig();
        var (exit, output, error) = Run(null, "check", "--config", config);
        Assert.True(exit == 0, string.Join('\n', output) + error);
        Assert.Contains("QM1: 1 MQSC commands read, 0 with syntax errors.", output);
        Assert.False(File.Exists(_dir.File("data/QM1.db")), "check opened a journal");

        File.WriteAllText(_dir.File("qm1.mqsc"), "DEFINE QLOCAL(APP.IN)\nDEFINE QLOCL(BAD)\nDEFINE QLOCAL(OK2)\n");
        var (badExit, bad, _) = Run(null, "check", "--config", config);
        Assert.Equal(10, badExit);
        Assert.Contains(bad, l => l.StartsWith("QM1: qm1.mqsc: AMQ8405E", StringComparison.Ordinal) && l.Contains("QLOCL", StringComparison.Ordinal));

        File.WriteAllText(config, "actorqm.queue-managers { QM1 { mqsc_file = \"qm1.mqsc\" } }\n");
        var (typoExit, _, typo) = Run(null, "check", "--config", config);
        Assert.Equal(20, typoExit);
        Assert.Single(typo.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("actorqm.queue-managers.QM1.mqsc_file is not a setting (did you mean actorqm.queue-managers.QM1.mqsc-file?)", typo, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_must_fail_with_a_one_line_error_on_a_missing_config()
    {
        var (exit, _, error) = Run(null, "start", "--config", _dir.File("nope.conf"));

        Assert.NotEqual(0, exit);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_cert_verify_must_accept_a_good_chain_and_name_the_failing_step_otherwise()
    {
        var root = TestPki.Root();
        var intermediate = TestPki.Intermediate(root);
        var good = TestPki.Leaf(intermediate);
        var expired = TestPki.Leaf(intermediate, notBefore: TestPki.Now.AddDays(-5), notAfter: TestPki.Now.AddDays(-1));
        File.WriteAllText(_dir.File("root.pem"), root.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("ica.pem"), intermediate.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("good.pem"), good.Certificate.ExportCertificatePem());
        File.WriteAllText(_dir.File("expired.pem"), expired.Certificate.ExportCertificatePem());

        var (okExit, okOut, _) = Run(null, "cert", "verify", "--trust", _dir.File("root.pem"), "--untrusted", _dir.File("ica.pem"), "--peer", _dir.File("good.pem"));
        var (badExit, _, badErr) = Run(null, "cert", "verify", "--trust", _dir.File("root.pem"), "--untrusted", _dir.File("ica.pem"), "--peer", _dir.File("expired.pem"));
        var (missingExit, missingOut, _) = Run(null, "cert", "verify", "--trust", _dir.File("root.pem"), "--peer", _dir.File("good.pem"), "--json");

        Assert.Equal(0, okExit);
        Assert.Contains("good.pem: OK", okOut);
        Assert.Equal(2, badExit);
        Assert.Contains("refused at Validity", badErr, StringComparison.Ordinal);
        Assert.Equal(2, missingExit);
        File.WriteAllBytes(_dir.File("ica.crl"), TestPki.Crl(intermediate, [good.Certificate]));
        File.WriteAllBytes(_dir.File("root.crl"), TestPki.Crl(root, []));
        var (revokedExit, _, revokedErr) = Run(null, "cert", "verify", "--trust", _dir.File("root.pem"), "--untrusted", _dir.File("ica.pem"), "--peer", _dir.File("good.pem"),
            "--crl", _dir.File("ica.crl"), "--crl", _dir.File("root.crl"));
        Assert.Equal(2, revokedExit);
        Assert.Contains("revocation Revoked", revokedErr, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(string.Join('\n', missingOut));
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("Path", json.RootElement.GetProperty("step").GetString());
    }

    public void Dispose() => _dir.Dispose();
}
