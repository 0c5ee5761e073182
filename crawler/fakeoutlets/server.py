"""The fake-outlet web server: every fake outlet on one loopback port.

``FakeOutletServer(corpus)`` serves all outlets of a :class:`Corpus` (routing in
:class:`~crawler.fakeoutlets.siteplan.SitePlan`), choosing the outlet by the
``X-Archive-Host`` header the mirror download handler sends, else by ``Host``
(``curl -H 'Host: baohatinh.vn' http://127.0.0.1:8081/``). Use :attr:`mirrors` as the
``ARCHIVE_MIRRORS`` setting. HTTP/1.1 keep-alive with Content-Length; gzip when the client
accepts it; counters :attr:`hits` and :attr:`requests_total`.

Like a real outlet seen from far away, it can answer after a ``latency`` (seconds per
request). It also watches how hard it is hit, per outlet: the most requests it was working on
at once (:attr:`peak_in_flight`, from a request's arrival until its answer is handed to the
socket) and the most requests that arrived within any one second (:meth:`peak_rate`).
``GET /_fakeoutlets/stats`` (with no outlet ``Host``) returns these counters as JSON, for a
server running in another process.

``python -m crawler.fakeoutlets.server --port 0 --articles N`` serves in its own process and
prints the origin on its first stdout line once listening; :func:`start_in_subprocess` wraps
that.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.fakeoutlets.corpus import DEFAULT_ARTICLES, Corpus
from crawler.fakeoutlets.siteplan import HTML, Reply, SitePlan

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

GZIP_MIN_BYTES = 1024
"""Smaller bodies are sent uncompressed."""

STATS_PATH = "/_fakeoutlets/stats"
"""Where the server's counters are served as JSON (requested without an outlet's Host)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the counters say what was fetched."""

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        path = parts.path or "/"
        host = self.headers.get("X-Archive-Host") or self.headers.get("Host") or ""
        outlet = owner.plan.outlet_for_host(host)
        if outlet is None and path == STATS_PATH:
            reply = Reply(200, "application/json", json.dumps(owner.stats()).encode())
        elif outlet is None:
            reply = Reply(404, "text/plain; charset=utf-8", f"unknown site {host!r}\n".encode())
        else:
            domain = owner.plan.corpus.site(outlet).domain
            owner._arrived(outlet)
            try:
                owner._count(f"https://{domain}{path}" + (f"?{parts.query}" if parts.query else ""))
                if owner.latency:
                    time.sleep(owner.latency)
                try:
                    reply = owner.plan.respond(outlet, path, parts.query)
                except Exception as exc:  # a bug in a page must not kill the connection
                    message = (
                        f"<html><body><h1>500</h1><pre>{type(exc).__name__}</pre></body></html>"
                    )
                    reply = Reply(500, HTML, message.encode("utf-8"))
            finally:
                owner._answered(outlet)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        body = reply.body
        accepts = self.headers.get("Accept-Encoding", "")
        compress = "gzip" in accepts.lower() and len(body) >= GZIP_MIN_BYTES
        if compress:
            body = gzip.compress(body, compresslevel=5, mtime=0)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: FakeOutletServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a crawler killed mid-request resets its connections."""


class FakeOutletServer:
    """Serves every outlet of ``corpus`` on ``host:port`` (port 0: any free port)."""

    def __init__(
        self,
        corpus: Corpus | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ):
        self.corpus = corpus if corpus is not None else Corpus()
        self.latency = latency
        """Seconds every outlet request waits before it is answered."""
        self.in_flight: Counter[str] = Counter()
        """Requests being answered right now, per outlet."""
        self.peak_in_flight: Counter[str] = Counter()
        """The most requests answered at once, per outlet."""
        self._arrivals: dict[str, deque[float]] = {}
        self._log: dict[str, list[float]] = {}
        self._peak_rate: Counter[str] = Counter()
        self.plan = SitePlan(self.corpus)
        self.host = host
        self.port = port
        self.hits: Counter[str] = Counter()
        """Requests per real URL (``https://<domain><path>[?query]``)."""
        self.requests_total = 0
        """Requests answered for a known outlet."""
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        self.port = int(httpd.server_address[1])
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name="fake-outlets", kwargs={"poll_interval": 0.1}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """``http://<host>:<port>`` (after :meth:`start`)."""
        return f"http://{self.host}:{self.port}"

    @property
    def mirrors(self) -> dict[str, str]:
        """Outlet domain → origin for every outlet: the ``ARCHIVE_MIRRORS`` setting."""
        return {self.corpus.site(o).domain: self.origin for o in self.corpus.outlets}

    @property
    def mirrors_json(self) -> str:
        """:attr:`mirrors` as JSON."""
        return json.dumps(self.mirrors)

    def special_urls(self, outlet: str) -> dict[str, str]:
        """Fault and non-article URLs of one outlet (see :meth:`SitePlan.special_urls`)."""
        return self.plan.special_urls(outlet)

    # --- counters -----------------------------------------------------------------------

    def _count(self, url: str) -> None:
        with self._lock:
            self.hits[url] += 1
            self.requests_total += 1

    def _arrived(self, outlet: str) -> None:
        now = time.monotonic()
        with self._lock:
            self.in_flight[outlet] += 1
            if self.in_flight[outlet] > self.peak_in_flight[outlet]:
                self.peak_in_flight[outlet] = self.in_flight[outlet]
            self._log.setdefault(outlet, []).append(now)
            recent = self._arrivals.setdefault(outlet, deque())
            recent.append(now)
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) > self._peak_rate[outlet]:
                self._peak_rate[outlet] = len(recent)

    def _answered(self, outlet: str) -> None:
        with self._lock:
            self.in_flight[outlet] -= 1

    def peak_rate(self) -> dict[str, int]:
        """The most requests that arrived within one second, per outlet."""
        with self._lock:
            return dict(self._peak_rate)

    def arrivals(self, outlet: str) -> list[float]:
        """When each request to ``outlet`` arrived (``time.monotonic()``), in order."""
        with self._lock:
            return list(self._log.get(outlet, []))

    def stats(self) -> dict[str, Any]:
        """The counters as JSON-ready data (what :data:`STATS_PATH` serves)."""
        with self._lock:
            return {
                "requests_total": self.requests_total,
                "hits": dict(self.hits),
                "peak_in_flight": dict(self.peak_in_flight),
                "peak_rate": dict(self._peak_rate),
            }

    def hits_for(self, outlet: str) -> Counter[str]:
        """Requests per path (with query) of one outlet."""
        prefix = f"https://{self.corpus.site(outlet).domain}"
        with self._lock:
            return Counter(
                {u[len(prefix) :]: n for u, n in self.hits.items() if u.startswith(prefix + "/")}
            )

    def reset_counters(self) -> None:
        """Zero :attr:`hits` and :attr:`requests_total`."""
        with self._lock:
            self.hits.clear()
            self.requests_total = 0
            self.peak_in_flight.clear()
            self._peak_rate.clear()
            self._arrivals.clear()
            self._log.clear()

    def reset_faults(self) -> None:
        """Make every flaky URL fail (500) once more."""
        self.plan.reset_faults()


def start_in_subprocess(
    articles_per_outlet: int = DEFAULT_ARTICLES,
    *,
    port: int = 0,
    now: datetime | None = None,
    timeout: float = 60.0,
    latency: float = 0.0,
) -> tuple[subprocess.Popen[str], str]:
    """Run a server in a child process; returns the process and its origin.

    Stop it with ``process.terminate(); process.wait()``."""
    command = [
        sys.executable,
        "-m",
        "crawler.fakeoutlets.server",
        "--port",
        str(port),
        "--articles",
        str(articles_per_outlet),
    ]
    if now is not None:
        command += ["--now", now.isoformat()]
    if latency:
        command += ["--latency", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = threading.Event()
    lines: list[str] = []

    def read_first() -> None:
        assert process.stdout is not None
        lines.append(process.stdout.readline().strip())
        ready.set()

    threading.Thread(target=read_first, daemon=True).start()
    if not ready.wait(timeout) or not lines[0].startswith("http://"):
        process.kill()
        process.wait()
        raise RuntimeError(f"fake-outlet server did not start: {lines!r}")
    return process, lines[0]


def main(argv: list[str] | None = None) -> int:
    """``python -m crawler.fakeoutlets.server``: serve until interrupted."""
    parser = argparse.ArgumentParser(description="Serve the fake outlets on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES, help="per outlet")
    parser.add_argument("--seed", type=int, default=20260210)
    parser.add_argument("--now", help="ISO time of the newest synthetic article")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each answer (a far server)"
    )
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else None
    corpus = Corpus(args.articles, seed=args.seed, now=now)
    server = FakeOutletServer(corpus, args.host, args.port, latency=args.latency).start()
    print(server.origin, flush=True)
    print(f"ARCHIVE_MIRRORS={server.mirrors_json}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
