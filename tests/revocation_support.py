"""A certificate authority's CRL server on the loopback interface, for the
tests where omd-gov downloads revocation data. It serves DER CRLs by path
from ``http.server`` in a thread (port chosen by the OS) and records every
request; ``closed_url`` names a port nobody listens on (a CA that is down),
``silent_url`` one that accepts connections and never answers (a CA that hangs).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class CrlServer:
    """``served`` maps a path (``/issuing.crl``) to the DER bytes answered."""

    served: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/issuing.crl") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(server: CrlServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append(self.path)
            body = server.served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def crl_server() -> Iterator[CrlServer]:
    """A running server; stopped (its port closed) when the block ends."""
    server = CrlServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_url(path: str = "/issuing.crl") -> str:
    """A loopback URL on a port that was free a moment ago: connection refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@contextmanager
def silent_url(path: str = "/issuing.crl") -> Iterator[str]:
    """A loopback URL whose server accepts the connection (the kernel does,
    from the listen backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{path}"
