using ActorQm.Hosting;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ActorQm.Hosting.Tests;

/// <summary>Queue managers in a hosted Akka.NET service: declared in code and in HOCON, resolved from DI, health-checked.</summary>
public sealed class ActorQmHostingSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(nameof(ActorQmHostingSpec), output)
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorqm-hosting-").FullName;

    /// <summary>Registry key of the queue manager declared in code.</summary>
    public sealed class OrdersQm;

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
    {
        services.AddActorQmRegistry();
        services.AddHealthChecks();
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        builder.WithActorQm(qm =>
        {
            qm.BaseDirectory = _dir;
            qm.Hocon = ConfigurationFactory.ParseString("""
                actorqm.queue-managers {
                  "FROM.HOCON" { store.path = "hocon.db" }
                  BROKEN { store.path = "/proc/actorqm-cannot-write-here/broken.db" }
                }
                """);
            qm.AddQueueManager<OrdersQm>("ORDERS.QM")
                .WithStorePath("orders.db")
                .WithMqsc("DEFINE QLOCAL('ORDERS') DEFPSIST(YES)");
        });
    }

    [Fact]
    public async Task Hosted_queue_manager_must_resolve_as_a_required_actor_and_through_the_registry()
    {
        // Bounded: a queue manager that never registers fails the spec instead of hanging the run.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        var cancel = bounded.Token;
        var orders = await ActorRegistry.GetAsync<OrdersQm>(cancel);
        var conn = new QueueManagerConnection(orders, "hosted-app");
        await conn.PutAsync("ORDERS", new MqMessage(new MessageDescriptor(), "order 1"u8.ToArray()));

        var registry = Host.Services.GetRequiredService<IQueueManagerRegistry>();
        Assert.Contains("ORDERS.QM", registry.Names);
        Assert.Contains("FROM.HOCON", registry.Names);
        var viaRegistry = await registry.ConnectAsync("ORDERS.QM", "other-app", cancel);
        var got = await viaRegistry.GetAsync("ORDERS", new GetOptions { Wait = TimeSpan.FromSeconds(5) });
        Assert.Equal("order 1", System.Text.Encoding.UTF8.GetString(got.Payload.Span));
        Assert.Equal(Persistence.Persistent, got.Descriptor.Persistence);

        var hocon = await registry.ConnectAsync("FROM.HOCON", "app", cancel);
        Assert.Equal(0, (await hocon.RunMqscAsync("DEFINE QLOCAL(X)")).Failed);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => registry.GetAsync("NOT.HERE", cancel));
    }

    [Fact]
    public async Task Health_check_must_report_each_queue_manager_and_fail_for_one_that_could_not_start()
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        var cancel = bounded.Token;
        var registry = Host.Services.GetRequiredService<IQueueManagerRegistry>();
        await registry.GetAsync("ORDERS.QM", cancel);
        await registry.GetAsync("FROM.HOCON", cancel);
        await AwaitConditionAsync(() => Task.FromResult(registry.FailureOf("BROKEN") is not null), TimeSpan.FromSeconds(10), cancellationToken: cancel);

        var report = await Host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(cancel);
        var entry = report.Entries["actorqm"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("BROKEN", entry.Description, StringComparison.Ordinal);
        Assert.Equal("RUNNING", entry.Data["ORDERS.QM"]);
        Assert.Equal("FAILED", entry.Data["BROKEN"]);
    }

    protected override async Task AfterAllAsync()
    {
        await base.AfterAllAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
