using ActorQm.Diagnostics;
using ActorQm.Hosting;
using ActorQm.Sample.Service;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

// A service hosting a queue manager with Akka.Hosting: declared in code (MQSC inline), its actor
// resolvable as IRequiredActor<Orders>, all queue managers through IQueueManagerRegistry, Akka's
// log routed to Microsoft.Extensions.Logging, the "actorqm" health check registered, and ActorQm's
// meter in the service's OpenTelemetry pipeline (add the exporter you use: OTLP, Prometheus, ...).
// Run: dotnet run --project samples/ActorQm.Sample.Service [-- --seconds N]
var builder = Host.CreateApplicationBuilder(args);
var data = Path.Combine(Path.GetTempPath(), "actorqm-sample");
builder.Services.AddHealthChecks();
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ActorQmTelemetry.MeterName));
builder.Services.AddActorQmRegistry();
builder.Services.AddHostedService<OrderWorker>();
builder.Services.AddAkka("sample", akka => akka
    .ConfigureLoggers(loggers => loggers.AddLoggerFactory())
    .WithActorQm(qm =>
    {
        qm.BaseDirectory = data;
        qm.AddQueueManager<Orders>("SAMPLE.QM")
            .WithStorePath("SAMPLE.QM.db")
            .WithMqsc("""
                DEFINE QLOCAL('ORDERS') DEFPSIST(YES) DESCR('orders from the worker')
                DEFINE QLOCAL('ORDERS.DONE')
                """);
    }));

await builder.Build().RunAsync();

namespace ActorQm.Sample.Service
{
    /// <summary>Registry key of the sample's queue manager (IRequiredActor&lt;Orders&gt;).</summary>
    public sealed class Orders;
}
