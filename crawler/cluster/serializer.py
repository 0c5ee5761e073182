"""The shared queue's request format: JSON, never pickle.

scrapy-redis stores each request as ``request.to_dict()`` passed through a *serializer* (an
object with ``dumps`` and ``loads``), pickle by default. Pickle in a queue that several
machines write to means any process that can write to Redis can run code in every worker;
JSON cannot. Scrapy's request dictionaries hold a few values JSON has no type for, which are
written as one-key tagged objects:

* ``bytes`` (body, header names and values) → ``{"$b": "<base64>"}``;
* ``datetime`` (e.g. a sitemap's ``lastmod`` in ``meta``) → ``{"$dt": "<ISO 8601>"}`` (time
  zone kept), ``date`` → ``{"$d": "YYYY-MM-DD"}``;
* ``tuple`` → ``{"$t": [...]}``;
* a ``dict`` whose keys are not all strings (Scrapy's headers) → ``{"$m": [[key, value], ...]}``;
* a ``dict`` that happens to have one of these tag keys is wrapped the same way, so nothing is
  ever decoded as something it was not.

Anything else (a callable, an object) raises ``TypeError`` when the request is queued: a
request whose ``meta`` cannot be shared cannot be handed to another worker either.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

_TAGS = ("$b", "$dt", "$d", "$t", "$m")


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        plain = all(isinstance(k, str) for k in value) and not (
            len(value) == 1 and next(iter(value)) in _TAGS
        )
        if plain:
            return {k: _encode(v) for k, v in value.items()}
        return {"$m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot share a {type(value).__name__} through the cluster queue: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$b":
            return base64.b64decode(inner)
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$d":
            return date.fromisoformat(inner)
        if key == "$t":
            return tuple(_decode(v) for v in inner)
        if key == "$m":
            return {_hashable(_decode(k)): _decode(v) for k, v in inner}
    return {k: _decode(v) for k, v in value.items()}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def dumps(obj: Any) -> bytes:
    """A request dictionary as compact UTF-8 JSON."""
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """The inverse of :func:`dumps`."""
    return _decode(json.loads(data))
