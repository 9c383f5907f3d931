"""The event stream: every recorded event on NATS JetStream as a signed CloudEvent.

    subjects.py    the subject of an event: anjian.events.<prefecture>.<county>.<kind>.<event>
    cloudevent.py  a stored event as a CloudEvents 1.0 structured JSON message, and back
    stream.py      the JetStream stream ANJIAN_EVENTS: its configuration, its state
    position.py    where the relay keeps its position (a table in the event store's database)
    relay.py       the follower of the notification log that publishes to the stream

It imports services and below, never ops: ops/bootstrap.py hands it the recorder, the engine
and the NATS URL.
"""
