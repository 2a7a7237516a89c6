"""Every topic the project creates gets KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS.

The declared topics go through ``ensure_topics`` (checked on a real cluster in
tests/stack/test_kafka_cluster.py); here, what Faust creates by itself: the tables' changelogs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import load_settings
from streams.admin import durability_config
from streams.app import CHANGELOG_TOPIC_CONFIGS, create_faust_app, faust_table
from tests.unit.test_settings import BASE


@pytest.mark.parametrize(("replicas", "min_insync"), [("1", "1"), ("3", "2")])
def test_faust_changelogs_get_the_replication_settings(tmp_path: Path, replicas: str,
                                                       min_insync: str) -> None:
    settings = load_settings({**BASE, "KAFKA_REPLICATION_FACTOR": replicas,
                              "KAFKA_MIN_INSYNC_REPLICAS": min_insync})
    app = create_faust_app(settings, app_id="durability-test", data_dir=str(tmp_path))
    changelog = faust_table(app, "durability", settings).changelog_topic
    assert app.conf.topic_replication_factor == int(replicas)
    assert changelog.config == {**CHANGELOG_TOPIC_CONFIGS, "min.insync.replicas": min_insync}
    assert durability_config(settings) == {"min.insync.replicas": min_insync}
