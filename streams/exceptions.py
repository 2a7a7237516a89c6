"""Errors of the streams package."""


class StreamsError(Exception):
    """Base of the errors raised by Kafka clients and codecs."""


class DecodeError(StreamsError):
    """A message value does not parse as its topic's schema; the message says why."""


class PublishError(StreamsError):
    """Kafka did not acknowledge a batch; nothing of it may be considered stored."""
