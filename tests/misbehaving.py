"""Servers on 127.0.0.1 that misbehave slowly: they drip a response one byte at a time."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DripServer:
    """Answers every request with `body`, one byte every `interval` seconds.

    With `drip_headers`, the status line and headers drip too. The server stops dripping when
    the client hangs up or the server is stopped, so a test that fails ends within `body`'s
    length times `interval`.
    """

    def __init__(
        self,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        interval: float = 0.5,
        *,
        drip_headers: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.stopped = threading.Event()
        self.hits: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _respond(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.hits.append({"path": self.path, "host": self.headers.get("Host", "")})
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                with contextlib.suppress(OSError):
                    if not drip_headers:
                        self.wfile.write(head)
                        self.wfile.flush()
                        head = b""
                    for index in range(len(head) + len(body)):
                        data = (head + body)[index : index + 1]
                        self.wfile.write(data)
                        self.wfile.flush()
                        if server.stopped.wait(interval):
                            return

            do_GET = _respond
            do_POST = _respond

        self.http = ThreadingHTTPServer((host, 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.port = self.http.server_address[1]
        self.base = f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def stop(self) -> None:
        self.stopped.set()
        self.http.shutdown()
        self.http.server_close()
