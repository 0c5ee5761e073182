"""A fault-injecting HTTP front for the fake-outlet server (test-only machinery).

``FaultyFront(origin)`` listens on loopback and forwards every request to ``origin`` (the
:class:`~crawler.fakeoutlets.server.FakeOutletServer`), headers included, except while a rule
matches: then it answers the rule's status itself (503 with ``Retry-After: 0`` by default).
Rules are switched on and off while a crawl runs; :attr:`injected` counts the faulty answers
per path, so a test can prove the fault happened.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self


@dataclass
class Rule:
    """Answer ``status`` to requests whose path matches ``pattern`` (while ``on``)."""

    pattern: re.Pattern[str]
    status: int = 503
    on: bool = True
    limit: int | None = None
    """Stop after this many injected answers (None: until switched off)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        front = self.server.front
        rule = front.match(self.path)
        if rule is not None:
            body = b"<html><body>Service unavailable</body></html>"
            self.send_response(rule.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(body)
            return
        origin = urlsplit(front.origin)
        conn = http.client.HTTPConnection(origin.hostname, origin.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request("GET", self.path, headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            self.send_response(reply.status)
            for name, value in reply.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            conn.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    front: FaultyFront

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a crawl killed mid-request resets its connections."""


class FaultyFront:
    """The front server; use as a context manager. :attr:`origin_url` is its own origin."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.rules: list[Rule] = []
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.front = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mirrors(self, hosts: list[str]) -> str:
        """An ``ARCHIVE_MIRRORS`` value sending these hosts through the front."""
        import json

        return json.dumps({host: self.origin_url for host in hosts})

    def fail(self, pattern: str, status: int = 503, limit: int | None = None) -> Rule:
        """Start answering ``status`` to paths matching ``pattern``."""
        rule = Rule(re.compile(pattern), status, True, limit)
        with self._lock:
            self.rules.append(rule)
        return rule

    def heal(self) -> None:
        """Switch every rule off."""
        with self._lock:
            for rule in self.rules:
                rule.on = False

    def match(self, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if not rule.on or not rule.pattern.search(path):
                    continue
                if rule.limit is not None and sum(self.injected.values()) >= rule.limit:
                    continue
                self.injected[path] += 1
                return rule
        return None

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
