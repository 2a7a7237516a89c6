"""The strings the gateway accepts, declared once: bounded, and free of control characters.

Every string of a request can reach PostgreSQL (which refuses NUL in ``text`` and ``jsonb``),
a Redis key or Kafka key, or a log line (where a newline or an escape sequence forges or hides
lines). So each one has a length bound and a character rule, refused with 400 naming the field:

- single-line (:data:`SINGLE_LINE`): ids, names, titles, URLs, filters, path segments. No C0
  control character (NUL, tab, CR, LF, ESC...), no DEL, no C1 control (U+0080-U+009F).
- text (:data:`TEXT`): free text where a line break is legitimate; tab, CR and LF allowed,
  every other control character refused. This is also the floor every string of every JSON
  body must pass, at any depth, keys included (:func:`validation.read_json`).

The rules are msgspec ``Meta`` patterns, so the OpenAPI document shows them and the same
regular expression validates. The trailing ``(?![\\s\\S])`` makes ``$`` mean the true end of
the string: Python's ``$`` also matches before a final newline.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
_CONTROL_BUT_LINES = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
SINGLE_LINE = f"^[^{_CONTROL}]*$(?![\\s\\S])"
TEXT = f"^[^{_CONTROL_BUT_LINES}]*$(?![\\s\\S])"
# A JWT (base64url parts and dots); other printable junk still gets the token's own 401.
TOKEN = "^[\\x21-\\x7e]*$(?![\\s\\S])"

_SINGLE_LINE = re.compile(SINGLE_LINE)
_TEXT = re.compile(TEXT)

MESSAGES = {
    SINGLE_LINE: "Must be one line without control characters.",
    TEXT: "Must not contain NUL or control characters.",
    TOKEN: "Must be printable ASCII without spaces.",
}

MAX_KEY = 128  # device ids, batch ids, session ids, event types: short, machine-made
MAX_NAME = 255  # titles, names, user ids: the database's varchar(255)
MAX_URL = 2000
MAX_TOKEN = 8192
MAX_FILTER = 255  # a query-string filter
MAX_QUERY_VALUE = 4096  # any query-string value (a playback token is about 1 KiB)


def _line(min_length: int, max_length: int, description: str) -> msgspec.Meta:
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=SINGLE_LINE,
                        description=description)


Key = Annotated[str, _line(1, MAX_KEY, "An id: one line, at most 128 characters.")]
OptionalKey = Annotated[str, _line(0, MAX_KEY, "An id: one line, at most 128 characters.")]
Name = Annotated[str, _line(1, MAX_NAME, "One line, 1 to 255 characters.")]
OptionalName = Annotated[str, _line(0, MAX_NAME, "One line, at most 255 characters.")]
Url = Annotated[str, _line(1, MAX_URL, "A URL: one line, at most 2000 characters.")]
OptionalUrl = Annotated[str, _line(0, MAX_URL, "A URL: one line, at most 2000 characters.")]
Text = Annotated[str, msgspec.Meta(max_length=4000, pattern=TEXT,
                                   description="Free text, line breaks allowed.")]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TOKEN, pattern=TOKEN,
                                    description="A token as the API issued it.")]


def is_single_line(value: str) -> bool:
    """Whether ``value`` passes the single-line rule (length aside)."""
    return _SINGLE_LINE.match(value) is not None


def is_text(value: str) -> bool:
    """Whether ``value`` passes the text rule: no control character but tab, CR and LF."""
    return _TEXT.match(value) is not None


def text_problems(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first (field path, message) where a JSON value breaks the text rule, or None.

    Keys are checked too; a bad key is reported at its object's path. Recursion is bounded by
    the depth check every body passes before it is decoded.
    """
    if isinstance(value, str):
        return None if is_text(value) else (path, MESSAGES[TEXT])
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not is_text(key):
                return path, "Keys must not contain NUL or control characters."
            found = text_problems(item, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = text_problems(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def query_schema(name: str) -> dict[str, Any]:
    """The OpenAPI schema of a query parameter, by its name (one vocabulary for every route)."""
    return QUERY_SCHEMAS.get(name, _FILTER_SCHEMA)


_ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
_FILTER_SCHEMA: dict[str, Any] = {"type": "string", "maxLength": MAX_FILTER,
                                  "pattern": SINGLE_LINE}
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    **{n: _ID_SCHEMA for n in ("video", "enrollment", "session", "lecture", "student")},
    "token": {"type": "string", "maxLength": MAX_QUERY_VALUE, "pattern": TOKEN},
}
