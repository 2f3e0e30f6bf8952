using ActorQm.Authority;

namespace ActorQm.Tests.Authority;

public sealed class AuthorityRecordsSpec
{
    private static readonly HashSet<string> NoGroups = new(StringComparer.Ordinal);

    private static AuthorityRecord Rec(string profile, string entity, AuthorityKind kinds, EntityType type = EntityType.Principal, AuthorityObjectType objType = AuthorityObjectType.Queue) =>
        new(ProfilePattern.Parse(profile), objType, type, entity, kinds);

    [Fact]
    public void AuthorityRecords_must_let_only_the_most_specific_profile_decide_for_an_entity()
    {
        var records = new AuthorityRecords([
            Rec("APP.**", "app1", AuthorityKind.Put | AuthorityKind.Get | AuthorityKind.Browse),
            Rec("APP.PAYROLL.*", "app1", AuthorityKind.Browse),
            Rec("OTHER", "app1", AuthorityKind.Put),
        ]);
        var app1 = Principal.User("app1", NoGroups);

        // The generic APP.** grants GET, but the more specific APP.PAYROLL.* grants only BROWSE: GET is not held.
        Assert.Equal(AuthorityKind.Browse, records.Effective(app1, AuthorityObjectType.Queue, "APP.PAYROLL.IN"));
        Assert.Equal(AuthorityKind.Put | AuthorityKind.Get | AuthorityKind.Browse, records.Effective(app1, AuthorityObjectType.Queue, "APP.ORDERS"));
        Assert.Equal(AuthorityKind.None, records.Effective(app1, AuthorityObjectType.Queue, "SYSTEM.ADMIN.COMMAND.QUEUE"));
    }

    [Fact]
    public void AuthorityRecords_must_add_up_the_principal_and_each_of_its_groups()
    {
        var records = new AuthorityRecords([
            Rec("APP.*", "app1", AuthorityKind.Put),
            Rec("APP.*", "readers", AuthorityKind.Browse, EntityType.Group),
            Rec("APP.IN", "getters", AuthorityKind.Get, EntityType.Group),
            Rec("**", "strangers", AuthorityKind.AllMqi, EntityType.Group),
        ]);
        var app1 = Principal.User("app1", new HashSet<string>(["readers", "getters"], StringComparer.Ordinal));

        Assert.Equal(AuthorityKind.Put | AuthorityKind.Browse | AuthorityKind.Get, records.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));
        Assert.Equal(AuthorityKind.Get, records.Missing(app1, AuthorityObjectType.Queue, "APP.OUT", AuthorityKind.Get | AuthorityKind.Put));
    }

    [Fact]
    public void AuthorityRecords_must_keep_object_types_and_entity_types_apart()
    {
        var records = new AuthorityRecords([
            Rec("APP.*", "app1", AuthorityKind.Put, EntityType.Group),
            Rec("APP.*", "app1", AuthorityKind.Dsp, objType: AuthorityObjectType.Channel),
        ]);
        var app1 = Principal.User("app1", NoGroups);

        // A group named like the user grants the user nothing, and a channel record grants nothing on a queue.
        Assert.Equal(AuthorityKind.None, records.Effective(app1, AuthorityObjectType.Queue, "APP.IN"));
        Assert.Equal(AuthorityKind.Dsp, records.Effective(app1, AuthorityObjectType.Channel, "APP.IN"));
    }

    [Fact]
    public void AuthorityRecords_must_give_the_queue_manager_and_administrators_every_authority()
    {
        var admin = Principal.User("alice", new HashSet<string>([Principal.AdministratorsGroup], StringComparer.Ordinal));

        Assert.True(admin.Privileged);
        Assert.Equal(AuthorityKind.None, AuthorityRecords.Empty.Missing(admin, AuthorityObjectType.Queue, "SYSTEM.ANY", AuthorityKind.All | AuthorityKind.Crt));
        Assert.Equal(AuthorityKind.None, AuthorityRecords.Empty.Missing(Principal.QueueManager("QM1"), AuthorityObjectType.QMgr, "QM1", AuthorityKind.All));
        Assert.Equal(AuthorityKind.Connect, AuthorityRecords.Empty.Missing(Principal.User("bob", NoGroups), AuthorityObjectType.QMgr, "QM1", AuthorityKind.Connect));
    }

    [Fact]
    public void AuthorityKeywords_must_read_and_write_MQ_keywords()
    {
        Assert.Equal(AuthorityKind.All, AuthorityKeywords.Parse("all"));
        Assert.Null(AuthorityKeywords.Parse("EVERYTHING"));
        Assert.Equal(0, (int)(AuthorityKind.All & AuthorityKind.Crt));
        Assert.Equal(["BROWSE", "PUT"], AuthorityKeywords.Format(AuthorityKind.Put | AuthorityKind.Browse));
        Assert.Equal(["NONE"], AuthorityKeywords.Format(AuthorityKind.None));
    }
}
