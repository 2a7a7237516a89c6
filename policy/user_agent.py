"""A request's User-Agent as stored beside a student's device: bounded and printable.

Pure. The header is the client's to choose: only printable ASCII is kept (no control
characters to reach a log or a page), runs of spaces fold to one, and it is cut to ``limit``.
"""

from __future__ import annotations

import re

MAX_LENGTH = 256
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]+")
_SPACES = re.compile(r" {2,}")


def clean_user_agent(raw: str | None, limit: int = MAX_LENGTH) -> str:
    """``raw`` kept to printable ASCII, spaces folded, at most ``limit`` characters."""
    if not raw:
        return ""
    text = _SPACES.sub(" ", _NOT_PRINTABLE.sub(" ", raw[: limit * 4])).strip()
    return text[:limit].rstrip()
