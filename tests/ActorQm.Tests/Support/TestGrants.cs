namespace ActorQm.Tests.Support;

/// <summary>
/// MQSC that gives a test's client principals what specs not about authority need (docs/security.md):
/// an application user with CONNECT and every MQI authority on every queue, and an administrator
/// with every administrative authority, as an MQ administrator would grant them with SET AUTHREC.
/// </summary>
internal static class TestGrants
{
    public static string App(string principal = "app") => $"""
        SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('{principal}') AUTHADD(CONNECT,INQ,SETALL,SETID)
        SET AUTHREC PROFILE('**') OBJTYPE(QUEUE) PRINCIPAL('{principal}') AUTHADD(ALLMQI)
        """;

    public static string Admin(string principal = "admin") => $"""
        SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('{principal}') AUTHADD(ALL,CRT)
        SET AUTHREC PROFILE('**') OBJTYPE(QUEUE) PRINCIPAL('{principal}') AUTHADD(ALL)
        SET AUTHREC PROFILE('**') OBJTYPE(CHANNEL) PRINCIPAL('{principal}') AUTHADD(ALL)
        SET AUTHREC PROFILE('**') OBJTYPE(AUTHINFO) PRINCIPAL('{principal}') AUTHADD(ALL)
        SET AUTHREC PROFILE('**') OBJTYPE(NAMELIST) PRINCIPAL('{principal}') AUTHADD(ALL)
        SET AUTHREC PROFILE('**') OBJTYPE(LISTENER) PRINCIPAL('{principal}') AUTHADD(ALL)
        """;
}
