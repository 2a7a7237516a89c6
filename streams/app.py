"""The Faust application of the agents, built from settings (nothing happens at import)."""

from __future__ import annotations

import faust

from config.settings import Settings
from streams.admin import durability_config
from streams.topics import TopicSpec

# Faust creates each table's changelog compacted, but with Kafka's default segments (1 GiB or
# 7 days), and the cleaner never touches the active segment: a worker that starts without its
# RocksDB (new host, new data dir) then replays every write the table ever had, and so the
# group's time to take a partition over grows with the history (measured on the test stack:
# 118k player-state records, 193 MB, 14-22 s of "Restoring state" for a fresh worker, growing
# run after run). Small segments let compaction keep the replay near one record per key.
# Applied when Faust creates the topic; an existing changelog keeps its configuration until
# altered (kafka-configs --alter --add-config). Beware: aiokafka's alter_configs is the legacy
# non-incremental AlterConfigs, which resets every key not given: include cleanup.policy=compact.
CHANGELOG_TOPIC_CONFIGS = {
    "segment.ms": str(10 * 60 * 1000),
    "segment.bytes": str(16 * 1024 * 1024),
    "min.cleanable.dirty.ratio": "0.1",
}


def create_faust_app(settings: Settings, app_id: str | None = None,
                     data_dir: str | None = None) -> faust.App:
    """A Faust app wired to our Kafka, with raw keys/values (our codecs decode them).

    ``app_id`` (the consumer group, and the prefix of its changelog topics) and ``data_dir``
    (its RocksDB stores) default to ``AGENTS_APP_ID`` and ``AGENTS_DATA_DIR``; a second app in
    its own process needs both of its own. The worker's web server exposes table contents, so
    it is off unless a port is given, and then bound to loopback only.
    """
    brokers = ";".join(f"kafka://{hp}" for hp in settings.kafka_bootstrap_servers.split(","))
    return faust.App(
        app_id or settings.agents_app_id,
        broker=brokers,
        autodiscover=False,
        store="rocksdb://",
        datadir=data_dir or settings.agents_data_dir,
        topic_partitions=settings.kafka_partitions,
        topic_replication_factor=settings.kafka_replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        # Detect a dead worker in 10 s rather than 60 s: its users' sessions wait meanwhile.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        web_enabled=settings.agents_web_port != 0,
        web_bind="127.0.0.1",
        web_port=settings.agents_web_port or 6066,
        producer_acks=-1,
    )


def faust_table(app: faust.App, name: str, settings: Settings) -> faust.Table:
    """A bytes-to-bytes table co-partitioned with our topics, its changelog kept compact."""
    return app.Table(name, partitions=settings.kafka_partitions, key_type=bytes,
                     value_type=bytes,
                     extra_topic_configs={**CHANGELOG_TOPIC_CONFIGS, **durability_config(settings)})


def faust_topic(app: faust.App, spec: TopicSpec, settings: Settings) -> faust.TopicT:
    """The Faust handle of a declared topic (created by provisioning, never by Faust)."""
    return app.topic(
        spec.name, key_type=bytes, value_type=bytes, key_serializer="raw",
        value_serializer="raw", partitions=settings.kafka_partitions,
    )
