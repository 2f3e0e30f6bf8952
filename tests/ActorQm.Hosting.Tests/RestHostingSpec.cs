using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Cli.Dev;
using ActorQm.Rest;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorQm.Hosting.Tests;

/// <summary>MQ's REST APIs in a hosted service: started with the host once its queue managers run, over mutual TLS.</summary>
public sealed class RestHostingSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(nameof(RestHostingSpec), output)
{
    private static readonly DevPki Pki = DevPki.Create();
    private static readonly DevPki.Issued Qm = Pki.Issue($"CN=REST.QM,{DevPki.Organisation}");
    private readonly string _dir = Directory.CreateTempSubdirectory("actorqm-rest-hosting-").FullName;

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        services.AddActorQmRestApi(RestSettings.From(ConfigurationFactory.ParseString("actorqm.rest.listen = \"127.0.0.1:0\"")));

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var key = Path.Combine(_dir, "key");
        Pki.WriteKeyRepository(key, "ibmwebspheremqrest.qm", Qm);
        builder.WithActorQm(qm => qm.AddQueueManager("REST.QM").WithStorePath(Path.Combine(_dir, "rest.db")).WithMqsc($"ALTER QMGR SSLKEYR('{key}')"));
    }

    [Fact]
    public async Task Hosted_REST_API_must_serve_the_services_queue_managers_to_a_trusted_client_certificate()
    {
        var client = Pki.Issue($"CN=admin,{DevPki.Organisation}");
        using var withKey = X509CertificateLoader.LoadPkcs12(client.Certificate.CopyWithPrivateKey(client.Key).Export(X509ContentType.Pkcs12), null);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(withKey, [Pki.Intermediate.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == Qm.Certificate.GetCertHashString(),
            },
        });
        var address = await Host.Services.GetRequiredService<RestHostedService>().Started.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var qmgrs = await http.GetStringAsync(new Uri(address, "/ibmmq/rest/v2/admin/qmgr"), TestContext.Current.CancellationToken);

        Assert.Equal("{\"qmgr\":[{\"name\":\"REST.QM\",\"state\":\"running\"}]}", qmgrs);
    }
}
