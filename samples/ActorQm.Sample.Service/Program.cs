using ActorQm.Hosting;
using ActorQm.Sample.Service;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A service hosting a queue manager with Akka.Hosting: declared in code (MQSC inline), its actor
// resolvable as IRequiredActor<Orders>, all queue managers through IQueueManagerRegistry, Akka's
// log routed to Microsoft.Extensions.Logging, and the "actorqm" health check registered.
// Run: dotnet run --project samples/ActorQm.Sample.Service [-- --seconds N]
var builder = Host.CreateApplicationBuilder(args);
var data = Path.Combine(Path.GetTempPath(), "actorqm-sample");
builder.Services.AddHealthChecks();
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
