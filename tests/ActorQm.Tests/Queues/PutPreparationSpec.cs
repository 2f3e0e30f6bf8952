using ActorQm.Messages;
using ActorQm.Queues;

namespace ActorQm.Tests.Queues;

public sealed class PutPreparationSpec
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_123);

    [Fact]
    public void PutPreparation_must_fill_in_what_the_application_left_to_the_queue_manager()
    {
        var message = new MqMessage(new MessageDescriptor { Persistence = Persistence.AsQueueDefault, Priority = MessageDescriptor.AsQueueDefaultPriority }, new byte[] { 1 });

        var (prepared, reason, _) = PutPreparation.Prepare(message, defaultPersistent: true, defaultPriority: 4, "app", Now);

        Assert.Equal(MqReason.None, reason);
        var d = prepared!.Descriptor;
        Assert.Equal((Persistence.Persistent, 4, "app", Now), (d.Persistence, d.Priority, d.PutApplName, d.PutDateTime));
        Assert.False(d.MsgId.IsNone);
        Assert.Equal(MessageDescriptor.AsQueueDefaultPriority, message.Descriptor.Priority);
    }

    [Fact]
    public void PutPreparation_must_keep_a_complete_message_as_it_is_without_a_copy()
    {
        var complete = new MqMessage(new MessageDescriptor { Persistence = Persistence.NotPersistent, Priority = 3, MsgId = MqId.New(), PutDateTime = Now, PutApplName = "sender" }, new byte[] { 1 });

        Assert.Same(complete, PutPreparation.Prepare(complete, defaultPersistent: true, defaultPriority: 0, "receiver", Now.AddDays(1)).Message);

        // A priority over 9 is queued at 9: that one field changes, so it is a copy.
        var high = complete with { Descriptor = complete.Descriptor with { Priority = 12 } };
        var capped = PutPreparation.Prepare(high, false, 0, "receiver", Now).Message!;
        Assert.Equal(9, capped.Descriptor.Priority);
        Assert.Equal(complete.Descriptor with { Priority = 9 }, capped.Descriptor);
    }

    [Fact]
    public void PutPreparation_must_refuse_fields_MQ_refuses()
    {
        var message = new MqMessage(new MessageDescriptor { Persistence = (Persistence)7 }, ReadOnlyMemory<byte>.Empty);
        Assert.Equal(MqReason.PersistenceError, PutPreparation.Prepare(message, false, 0, "app", Now).Reason);
        Assert.Equal(MqReason.PriorityError, PutPreparation.Prepare(message with { Descriptor = new MessageDescriptor { Priority = -2 } }, false, 0, "app", Now).Reason);
        Assert.Equal(MqReason.ExpiryError, PutPreparation.Prepare(message with { Descriptor = new MessageDescriptor { Expiry = 0 } }, false, 0, "app", Now).Reason);
    }
}
