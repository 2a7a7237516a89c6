"""The chaos stack of the short chaos run: its own services, every process of a deployment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.chaos import deploy
from bench.chaos_run import make_source
from bench.chaos_stack import ChaosStack


@pytest.fixture(scope="package")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    """Started once for tests/chaos, stopped (processes, then services) after it."""
    stack = ChaosStack.create(tmp_path_factory.mktemp("chaos") / "run")
    try:
        deploy(stack)
        stack.launch_all()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 4 s clip to upload in every round."""
    return make_source(tmp_path_factory.mktemp("clip") / "clip.mp4", 4)
