"""A TCP proxy (threads) in front of a real server, that cuts or silences connections on demand.

Put it in front of PostgreSQL and point the crawl at it::

    with TcpProxy(5432) as proxy:                  # listens on 127.0.0.1:<proxy.port>
        url = proxy.database_url("test")           # postgresql+psycopg://postgres@127.0.0.1:PORT/test
        ...                                        # start the crawl against url
        proxy.reset(refuse_for=10)                 # an outage: every open connection gets a
                                                   # TCP RST, new ones are reset for 10 s
        proxy.blackhole()                          # a silent peer: nothing forwarded either
                                                   # way, new connections accepted but mute
        proxy.restore()                            # back to forwarding

**Modes.** ``forward``: bytes are copied both ways (the upstream connection is opened when a
client connects). :meth:`reset`: every open connection is aborted with RST on both sides
(``SO_LINGER`` 0), and connections made in the next ``refuse_for`` seconds are accepted and
reset at once (the port stays ours, so nothing else can take it). :meth:`blackhole`: open
connections stay open but nothing is read or forwarded any more, and new connections are
accepted and left silent (no upstream connection) until :meth:`restore`; bytes sent meanwhile
wait in the kernel's buffers and flow on after :meth:`restore`, as TCP retransmission would
deliver them once a path heals.

**What the blackhole is not.** It silences the peer above TCP: the proxy's kernel still
acknowledges packets and keepalive probes. A client therefore notices it only with
application-level timeouts (a client-side statement or operation timeout, a pool timeout,
``connect_timeout`` for new connections); TCP keepalives and ``tcp_user_timeout`` do not fire
as they would for packets dropped on a network path. Dropping packets in the kernel needs
iptables/nftables or ``tc`` on the shared loopback interface: not available or not safe here.

Counters: :attr:`connections_total`, :attr:`connections_open`, :attr:`resets`,
:attr:`bytes_up`, :attr:`bytes_down`, so a test can show the fault hit live connections.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

_POLL = 0.05
"""Seconds between checks of the mode by idle threads."""


def _abort(sock: socket.socket) -> None:
    """Close with RST instead of FIN (``SO_LINGER`` on, zero seconds)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Connection:
    """One client connection and its upstream, copied by one thread."""

    def __init__(self, proxy: TcpProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.abort_requested = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="tcpproxy-conn", daemon=True)

    def _run(self) -> None:
        try:
            self._copy()
        except (OSError, ValueError):
            pass  # a peer went away, or reset() closed the sockets under us
        finally:
            if self.abort_requested.is_set():
                self._abort_both()
            else:
                for sock in (self.client, self.upstream):
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.close()
            self.proxy._forget(self)
            self.done.set()

    def _copy(self) -> None:
        proxy = self.proxy
        while not self.abort_requested.is_set() and not proxy._stopping.is_set():
            if proxy.mode != "forward":
                time.sleep(_POLL)  # blackhole: read nothing, forward nothing
                continue
            if self.upstream is None:
                self.upstream = socket.create_connection(proxy.target, timeout=10)
                self.upstream.settimeout(None)
            readable, _, _ = select.select([self.client, self.upstream], [], [], _POLL)
            for sock in readable:
                if proxy.mode != "forward" or self.abort_requested.is_set():
                    break
                data = sock.recv(65536)
                if not data:
                    return  # one side closed: close the other (FIN)
                if sock is self.client:
                    self.upstream.sendall(data)
                    proxy._count(up=len(data))
                else:
                    self.client.sendall(data)
                    proxy._count(down=len(data))

    def _abort_both(self) -> None:
        _abort(self.client)
        if self.upstream is not None:
            _abort(self.upstream)

    def abort(self) -> None:
        """RST both sides (from the connection's own thread when it is free, else here)."""
        self.abort_requested.set()
        if not self.done.wait(0.5):
            self._abort_both()  # stuck in a send: close the sockets under it


class TcpProxy:
    """Listens on ``host:port`` (0: any free port) and forwards to ``target_host:target_port``."""

    def __init__(
        self,
        target_port: int = 5432,
        target_host: str = "127.0.0.1",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = port
        self.mode = "forward"
        """``forward`` or ``blackhole`` (reset is an event, not a mode)."""
        self.connections_total = 0
        """Client connections accepted (refused ones included)."""
        self.resets = 0
        """Connections aborted with RST (by :meth:`reset` or while refusing)."""
        self.bytes_up = 0
        """Bytes forwarded client → server."""
        self.bytes_down = 0
        """Bytes forwarded server → client."""
        self._refuse_until = 0.0
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Listen and accept in a daemon thread; returns self."""
        if self._listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
            listener.settimeout(_POLL)
            self.port = int(listener.getsockname()[1])
            self._listener = listener
            self._stopping.clear()
            self._acceptor = threading.Thread(target=self._accept, name="tcpproxy", daemon=True)
            self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close every connection (RST)."""
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for connection in self._open():
            connection.abort()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- faults -------------------------------------------------------------------------

    def reset(self, refuse_for: float = 0.0) -> int:
        """Abort every open connection with RST; reset new ones for ``refuse_for`` seconds.
        Returns how many open connections were aborted."""
        with self._lock:
            self._refuse_until = time.monotonic() + refuse_for
        victims = self._open()
        for connection in victims:
            connection.abort()
        with self._lock:
            self.resets += len(victims)
        return len(victims)

    def blackhole(self) -> None:
        """Stop forwarding both ways; new connections are accepted and left silent."""
        self.mode = "blackhole"

    def restore(self) -> None:
        """Forward again (a refusal window from :meth:`reset` ends too)."""
        with self._lock:
            self._refuse_until = 0.0
        self.mode = "forward"

    # --- addresses and counters ---------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` clients connect to."""
        return (self.host, self.port)

    def database_url(self, database: str = "test", user: str = "postgres") -> str:
        """A SQLAlchemy URL reaching PostgreSQL through the proxy."""
        return f"postgresql+psycopg://{user}@{self.host}:{self.port}/{database}"

    @property
    def connections_open(self) -> int:
        """Client connections open now."""
        with self._lock:
            return len(self._connections)

    # --- internals ----------------------------------------------------------------------

    def _open(self) -> list[_Connection]:
        with self._lock:
            return list(self._connections)

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _count(self, up: int = 0, down: int = 0) -> None:
        with self._lock:
            self.bytes_up += up
            self.bytes_down += down

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self.connections_total += 1
                refusing = time.monotonic() < self._refuse_until
                if refusing:
                    self.resets += 1
            if refusing:
                _abort(client)
                continue
            connection = _Connection(self, client)
            with self._lock:
                self._connections.add(connection)
            connection.thread.start()
