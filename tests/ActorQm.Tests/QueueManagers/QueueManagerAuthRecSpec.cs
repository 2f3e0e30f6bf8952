using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Xunit.Abstractions;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.QueueManagers;

/// <summary>Authority records in a running queue manager with a SQLite journal: durable across restarts, groups from HOCON.</summary>
public sealed class QueueManagerAuthRecSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Quiet, output), IDisposable
{
    private readonly TempDirectory _dir = new();

    private async Task<(StartedQueueManager Qm, QueueManagerConnection Connection)> StartQm()
    {
        var qm = await QueueManagerBootstrap.StartAsync(Sys, Settings("QM1", _dir.Path, "security.groups { payroll = [\"app1\", \"app2\"] }"));
        return (qm, new QueueManagerConnection(qm.Actor, "spec"));
    }

    private static string AuthList(Mqi.QueueManagerApi.MqscCompleted shown) =>
        Assert.Single(shown.Lines, l => l.Contains("AUTHLIST(", StringComparison.Ordinal)).Trim();

    [Fact]
    public async Task QueueManager_must_keep_authority_records_and_their_deletion_across_restarts()
    {
        var (qm, conn) = await StartQm();
        var set = await conn.RunMqscAsync("""
            SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET)
            SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) GROUP('payroll') AUTHADD(BROWSE,INQ)
            SET AUTHREC OBJTYPE(QMGR) GROUP('payroll') AUTHADD(CONNECT)
            SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHRMV(GET)
            """);
        Assert.Equal(0, set.Failed);
        await QueueManagerBootstrap.StopAsync(qm.Actor);

        (qm, conn) = await StartQm();
        Assert.Equal("AUTHLIST(BROWSE,PUT,INQ)", AuthList(await conn.RunMqscAsync("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.IN') OBJTYPE(QUEUE)")));
        Assert.Equal("AUTHLIST(CONNECT)", AuthList(await conn.RunMqscAsync("DISPLAY ENTAUTH PRINCIPAL('app2') OBJTYPE(QMGR)")));
        var membership = await conn.RunMqscAsync("DISPLAY AUTHREC PROFILE('APP.IN') PRINCIPAL('app1') MATCH(MEMBERSHIP)");
        Assert.Equal(2, membership.Lines.Count(l => l.StartsWith("AMQ8864I", StringComparison.Ordinal)));
        Assert.Contains(membership.Lines, l => l.Contains("ENTITY(payroll)", StringComparison.Ordinal));

        var deleted = await conn.RunMqscAsync("DELETE AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) GROUP('payroll')");
        Assert.Equal(0, deleted.Failed);
        await QueueManagerBootstrap.StopAsync(qm.Actor);

        (qm, conn) = await StartQm();
        Assert.Equal("AUTHLIST(PUT)", AuthList(await conn.RunMqscAsync("DISPLAY ENTAUTH PRINCIPAL('app1') OBJNAME('APP.IN') OBJTYPE(QUEUE)")));
        var remaining = await conn.RunMqscAsync("DISPLAY AUTHREC");
        Assert.Equal(2, remaining.Lines.Count(l => l.StartsWith("AMQ8864I", StringComparison.Ordinal)));
        Assert.DoesNotContain(remaining.Lines, l => l.Contains("PROFILE(APP.**)", StringComparison.Ordinal));
        var again = await conn.RunMqscAsync("DELETE AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) GROUP('payroll')");
        Assert.Equal(1, again.Failed);
    }

    [Fact]
    public async Task QueueManager_must_answer_REFRESH_SECURITY_TYPE_AUTHSERV_and_keep_its_records()
    {
        var (_, conn) = await StartQm();
        await conn.RunMqscAsync("SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) GROUP('payroll') AUTHADD(PUT)");

        var refreshed = await conn.RunMqscAsync("REFRESH SECURITY TYPE(AUTHSERV)");

        Assert.Equal(0, refreshed.Failed);
        Assert.Contains("AMQ8560I: ActorQm security cache refreshed.", refreshed.Lines);
        Assert.Equal("AUTHLIST(PUT)", AuthList(await conn.RunMqscAsync("DISPLAY ENTAUTH PRINCIPAL('app2') OBJNAME('APP.OUT') OBJTYPE(QUEUE)")));
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
