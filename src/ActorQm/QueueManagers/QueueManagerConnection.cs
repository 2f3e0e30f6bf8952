using ActorQm.Messages;
using ActorQm.Mqi;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.QueueManagers;

/// <summary>
/// An in-process MQI over a queue manager actor: put, get, open, commit and back out as tasks,
/// with MQ reason codes as <see cref="MqException"/>. For applications in the same process; remote
/// clients use server-connection channels.
/// </summary>
public sealed class QueueManagerConnection(IActorRef queueManager, string applicationName = "", TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(30);

    public IActorRef QueueManager => queueManager;

    /// <summary>MQPUT1: returns the descriptor as stored (MsgId, PutDateTime); persistent messages are durable when it completes.</summary>
    public async Task<MessageDescriptor> PutAsync(string queueName, MqMessage message, string? qmgrName = null) =>
        PutResult(await queueManager.Ask<object>(new QueueManagers.QueueManager.PutMessage(queueName, message, qmgrName, applicationName), _timeout).ConfigureAwait(false));

    /// <summary>MQGET; throws <see cref="MqException"/> with 2033 when nothing arrives within the wait.</summary>
    public async Task<MqMessage> GetAsync(string queueName, GetOptions? options = null)
    {
        options ??= GetOptions.NoWait;
        return GetResult(await queueManager.Ask<object>(new QueueManagers.QueueManager.GetMessage(queueName, options), AskTimeout(options)).ConfigureAwait(false)).Message;
    }

    /// <summary>MQOPEN: resolves once; the returned queue talks to the queue actor directly.</summary>
    public async Task<OpenedQueue> OpenAsync(string queueName, Mqi.QueueManagerApi.OpenPurpose purpose, string? qmgrName = null)
    {
        var reply = await queueManager.Ask<object>(new Mqi.QueueManagerApi.OpenQueue(queueName, Mqi.QueueManagerApi.OpenQueue.OptionsFor(purpose), qmgrName), _timeout).ConfigureAwait(false);
        return reply switch
        {
            Mqi.QueueManagerApi.QueueOpened o => new OpenedQueue(this, o.Handle),
            Mqi.QueueManagerApi.OpenRejected r => throw new MqException(r.Reason, r.Detail),
            _ => throw Unexpected(reply),
        };
    }

    public Task<Mqi.QueueManagerApi.MqscCompleted> RunMqscAsync(string script) =>
        queueManager.Ask<Mqi.QueueManagerApi.MqscCompleted>(new Mqi.QueueManagerApi.RunMqsc(script), _timeout);

    internal TimeSpan AskTimeout(GetOptions options) =>
        options.Wait == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _timeout + options.Wait;

    internal TimeSpan RequestTimeout => _timeout;

    internal string ApplicationName => applicationName;

    internal static MessageDescriptor PutResult(object reply) => reply switch
    {
        LocalQueue.MessagePut p => p.Descriptor,
        LocalQueue.PutRejected r => throw new MqException(r.Reason, r.Detail),
        _ => throw Unexpected(reply),
    };

    internal static LocalQueue.MessageGot GetResult(object reply) => reply switch
    {
        LocalQueue.MessageGot g => g,
        LocalQueue.GetRejected r => throw new MqException(r.Reason, r.Detail),
        _ => throw Unexpected(reply),
    };

    internal static Exception Unexpected(object reply) => new MqException(MqReason.UnexpectedError, $"unexpected reply {reply.GetType().Name}");
}

/// <summary>An opened queue (MQHOBJ): puts and gets go straight to the queue actor.</summary>
public sealed class OpenedQueue
{
    private readonly QueueManagerConnection _connection;

    internal OpenedQueue(QueueManagerConnection connection, QueueHandle handle)
    {
        _connection = connection;
        Handle = handle;
    }

    public QueueHandle Handle { get; }

    public async Task<MessageDescriptor> PutAsync(MqMessage message)
    {
        var (put, rejected) = Handle.PreparePut(message, _connection.ApplicationName);
        if (put is null)
        {
            throw new MqException(rejected!.Reason, rejected.Detail);
        }

        return QueueManagerConnection.PutResult(await Handle.Queue.Ask<object>(put, _connection.RequestTimeout).ConfigureAwait(false));
    }

    /// <summary>MQGET; under syncpoint the returned token commits or backs out the get.</summary>
    public async Task<LocalQueue.MessageGot> GetAsync(GetOptions? options = null)
    {
        options ??= GetOptions.NoWait;
        return QueueManagerConnection.GetResult(await Handle.Queue.Ask<object>(new LocalQueue.Get(options), _connection.AskTimeout(options)).ConfigureAwait(false));
    }

    public async Task CommitAsync(long token)
    {
        var reply = await Handle.Queue.Ask<object>(new LocalQueue.CommitGet(token), _connection.RequestTimeout).ConfigureAwait(false);
        if (reply is LocalQueue.GetRejected r)
        {
            throw new MqException(r.Reason, r.Detail);
        }
    }

    public async Task<int> BackoutAsync(long token)
    {
        var reply = await Handle.Queue.Ask<object>(new LocalQueue.BackoutGet(token), _connection.RequestTimeout).ConfigureAwait(false);
        return reply switch
        {
            LocalQueue.GetBackedOut b => b.BackoutCount,
            LocalQueue.GetRejected r => throw new MqException(r.Reason, r.Detail),
            _ => throw QueueManagerConnection.Unexpected(reply),
        };
    }
}
