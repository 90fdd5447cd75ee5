"""Domain events after commit: the relay reads the outbox in order and publishes each event
on the bus, in-process by default or through Redis when REDIS_URL is set; the hub hands them
to the process's subscriptions; the consumer runners (consumers.py) hand them to the domains
that react to other domains' events."""
