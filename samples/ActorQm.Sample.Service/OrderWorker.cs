using ActorQm.Hosting;
using ActorQm.Messages;
using ActorQm.Queues;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorQm.Sample.Service;

/// <summary>Puts an order every second, takes it off again, moves it to ORDERS.DONE, and reports health.</summary>
internal sealed partial class OrderWorker(IRequiredActor<Orders> orders, IQueueManagerRegistry registry, HealthCheckService health, IHostApplicationLifetime lifetime, ILogger<OrderWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var conn = new QueueManagers.QueueManagerConnection(await orders.GetAsync(stoppingToken), "sample-worker");
        var seconds = int.TryParse(Environment.GetCommandLineArgs().SkipWhile(a => a != "--seconds").Skip(1).FirstOrDefault(), out var s) ? s : int.MaxValue;
        for (var n = 1; n <= seconds && !stoppingToken.IsCancellationRequested; n++)
        {
            await conn.PutAsync("ORDERS", new MqMessage(new MessageDescriptor { Format = MessageFormats.String }, System.Text.Encoding.UTF8.GetBytes($"order {n}")));
            var order = await conn.GetAsync("ORDERS", new GetOptions { Wait = TimeSpan.FromSeconds(5) });
            await (await registry.ConnectAsync("SAMPLE.QM", "sample-worker", stoppingToken)).PutAsync("ORDERS.DONE", order);
            var report = await health.CheckHealthAsync(stoppingToken);
            Processed(log, System.Text.Encoding.UTF8.GetString(order.Payload.Span), report.Status);
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }

        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "processed {Order}; health {Status}")]
    private static partial void Processed(ILogger logger, string order, HealthStatus status);
}
