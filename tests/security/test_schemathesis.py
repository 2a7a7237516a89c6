"""Property-based fuzzing of the OpenAPI document: every operation, every role, no 5xx, and no
response the document does not describe (status, content type, headers, body schema).

A real gateway process serves ``/api/v1/openapi.json``; schemathesis generates requests from
it (valid ones and, separately, ones that break the schema) and checks each response. The
roles: admin, staff, teacher, student, anonymous, and a player: the student with a live
playback session, whose token and video id replace the generated ones on the playback routes
(so events, heartbeat, refresh and the HLS key are fuzzed past the token check). Bounded:
``EXAMPLES`` cases per operation, mode and role, derandomized, about two minutes in all.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from config.settings import Settings
from gateway.auth import mint_token
from tests.conftest import GatewayProcess

pytestmark = pytest.mark.stack

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
ROLES = ["admin", "staff", "teacher", "student", "anonymous", "player"]
# Playback routes where the player's real token and video id replace the generated ones;
# end/ keeps a generated token, or the first case would end the session for all the others.
PLAYER_ROUTES = re.compile(r"/videos/\{(id|video_id)\}/(events|heartbeat|refresh|hls-key)/$")


@dataclass
class World:
    """A gateway, a tenant with a class and a video, and a live playback session."""

    gateway: GatewayProcess
    tenant: str
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    video_id: int = 0
    enrollment_id: int = 0
    playback_token: str = ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(world: World, path: str, body: object, status: int = 201) -> Any:
    resp = requests.post(world.gateway.url + path, json=body, headers=world.headers["admin"],
                         timeout=30)
    assert resp.status_code == status, resp.text
    return resp.json()


def _build(world: World) -> None:
    lecture = _post(world, "/api/v1/catalog/lectures/", {"title": "Fuzzing"})
    session = _post(world, "/api/v1/catalog/sessions/", {"lecture": lecture["id"], "title": "W1"})
    student = _post(world, "/api/v1/catalog/students/", {"user_id": "stu-0", "name": "S"})
    enrollment = _post(world, "/api/v1/catalog/enrollments/",
                       {"student": student["id"], "lecture": lecture["id"]})
    _post(world, "/api/v1/catalog/session-enrollments/",
          {"session": session["id"], "enrollment": enrollment["id"]})
    video = _post(world, "/api/v1/media/videos/add-url/", {
        "session": session["id"], "title": "Intro",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"})
    world.video_id, world.enrollment_id = video["id"], enrollment["id"]
    _play(world)


def _play(world: World) -> None:
    """A live playback session for the player role (replacing the previous one)."""
    deadline = time.monotonic() + 30
    while True:  # the session actor may still be joining its partitions
        resp = requests.post(f"{world.gateway.url}/api/v1/media/videos/{world.video_id}/play/",
                             json={"enrollment_id": world.enrollment_id, "device_id": "fuzz"},
                             headers=world.headers["student"], timeout=30)
        if resp.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert resp.status_code == 200, resp.text
    world.playback_token = resp.json()["token"]


def _tenant(gateway: GatewayProcess, settings: Settings) -> World:
    """A fresh tenant on ``gateway``: tokens for every role, a class, a video, a live session."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    world = World(gateway, tenant)
    for role in ("admin", "staff", "teacher", "student"):
        sub = "stu-0" if role == "student" else f"{role}-1"
        token = mint_token(settings.auth_jwt_secret, tenant=tenant, sub=sub, role=role)
        world.headers[role] = {"Authorization": f"Bearer {token}"}
    world.headers["anonymous"] = {}
    world.headers["player"] = world.headers["student"]
    _build(world)
    return world


@pytest.fixture(scope="module")
def world(settings: Settings, agents_worker: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log: Path = tmp_path_factory.mktemp("fuzz-gateway") / "gateway.log"
    gateway = GatewayProcess(_free_port(), log)
    try:
        gateway.wait_ready()
        yield _tenant(gateway, settings)
    finally:
        gateway.stop()


def _as_player(case: Any, world: World) -> None:
    """Aim a generated playback case at the player's live session."""
    if not PLAYER_ROUTES.search(case.operation.path):
        return
    for name in ("id", "video_id"):
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = world.video_id
    if isinstance(case.body, dict):
        case.body["token"] = world.playback_token
    if case.operation.path.endswith("/hls-key/"):
        case.query = {**(case.query or {}), "token": world.playback_token}


def _fuzz(operation: Any, world: World, role: str, mode: GenerationMode,
          seen: Counter[tuple[str, int]]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    def run(case: Any) -> None:
        if role == "player":
            _as_player(case, world)
        response = case.call(base_url=world.gateway.url, headers=world.headers[role],
                             allow_redirects=False, timeout=30)
        seen[operation.label, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_and_never_5xx(world: World, role: str,
                                                             settings: Settings) -> None:
    if role == "player":
        # A tenant of its own: the roles before this one ran longer than a session's idle
        # timeout, and the admin's cases may have changed the tenant's settings (limits, rate
        # limits, policy) or revoked the session.
        world = _tenant(world.gateway, settings)
    schema = schemathesis.openapi.from_url(world.gateway.url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        for mode in EXAMPLES:
            try:
                _fuzz(operation, world, role, mode, seen)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (reported together)
                failures.append(f"{role} {mode.value} {operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
    granted = sorted({label for (label, status), n in seen.items() if status < 300})
    print(role, sum(seen.values()), "requests;", len(granted), "operations answered 2xx")
    if role == "anonymous":
        assert granted == []  # nothing at all without credentials
    else:
        assert granted  # the fuzzing reached past authentication
    if role == "player":
        assert any("/events/" in label for label in granted), granted
