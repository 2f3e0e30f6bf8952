using ActorQm.Authority;
using ActorQm.Mqsc;
using ActorQm.Objects;

namespace ActorQm.Tests.Mqsc;

/// <summary>SET AUTHREC (and the other authority-record commands) against a catalog.</summary>
public sealed class MqscAuthRecSpec
{
    private readonly ObjectCatalog _catalog = new("QM1");
    private readonly MqscExecutor _executor;

    public MqscAuthRecSpec() => _executor = new MqscExecutor(_catalog, new Dictionary<string, object>(), _ => null);

    private MqscOutcome Run(string command)
    {
        var outcome = _executor.Execute(MqscParser.ParseCommand(command));
        foreach (var change in outcome.Changes)
        {
            _catalog.Apply(change);
        }

        return outcome;
    }

    private static readonly HashSet<string> NoGroups = new(StringComparer.Ordinal);

    [Fact]
    public void SetAuthRec_must_add_and_remove_authorities_and_the_snapshot_must_follow()
    {
        var app1 = Principal.User("app1", NoGroups);

        Assert.True(Run("SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHADD(PUT,GET,BROWSE)").Succeeded);
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Get | AuthorityKind.Browse, _catalog.Authority.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));

        Assert.True(Run("SET AUTHREC PROFILE('APP.*') OBJTYPE(QUEUE) PRINCIPAL('app1') AUTHRMV(GET)").Succeeded);
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Browse, _catalog.Authority.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));
        Assert.Single(_catalog.All("AUTHREC"));
    }

    [Fact]
    public void SetAuthRec_must_default_the_QMGR_profile_to_the_queue_manager_and_survive_a_restore()
    {
        Run("SET AUTHREC OBJTYPE(QMGR) GROUP('apps') AUTHADD(CONNECT,INQ)");

        var stored = Assert.Single(_catalog.All("AUTHREC"));
        var restored = MqscExecutor.Restore(stored.ToMqsc(), "QM1");

        Assert.Equal("QM1", stored.Name);
        Assert.Equal(stored.Key, restored.Key);
        Assert.Equal(["CONNECT", "INQ"], restored.List("AUTHLIST"));
    }

    [Theory]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') GROUP('g') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a')")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(CONNECT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT) AUTHRMV(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A**') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(WIDGET) PRINCIPAL('a') AUTHADD(PUT)")]
    [InlineData("SET AUTHREC PROFILE('A') OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(EVERYTHING)")]
    [InlineData("SET AUTHREC OBJTYPE(QUEUE) PRINCIPAL('a') AUTHADD(PUT)")]
    public void SetAuthRec_must_refuse_what_MQ_refuses_and_change_nothing(string command)
    {
        var outcome = Run(command);

        Assert.False(outcome.Succeeded);
        Assert.Empty(_catalog.All("AUTHREC"));
    }
}
