"""An httpx transport with one total deadline, optionally connecting only to pinned addresses.

httpx's timeouts are per operation: a server that sends one byte just before each read timeout
keeps a request alive for as long as it likes. Here every connect, read and write gets at most
the time left until one deadline, so a whole request (and its redirects, when one transport
serves them) ends on time. With `pins`, a host name is connected to the address it was checked
at, never looked up again: a rebinding DNS name cannot swap in another address between check
and connect. The URL keeps its host name, so the Host header and TLS SNI are unchanged.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _time_left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the total time limit was reached")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float, pins: dict[str, str] | None) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._pins = pins

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self._pins is not None:
            if host not in self._pins:
                raise httpcore.ConnectError(f"{host} was not checked before connecting")
            host = self._pins[host]
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the total time limit was reached")
        timeout = left if timeout is None else min(timeout, left)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """Every request through this transport ends within `seconds` of its creation.

    `pins` maps host names (as httpx sends them: lower case, IDNA) to the IP address to connect
    to; when given, a host missing from it is refused. The caller may add pins as it goes.
    """

    def __init__(self, seconds: float, pins: dict[str, str] | None = None) -> None:
        super().__init__(verify=tls_context())
        self.pins = pins
        # httpx builds its httpcore pool without a way to pass a network backend; this pool is
        # the one httpx would build (HTTP/1.1, default TLS context) plus ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            network_backend=_DeadlineBackend(time.monotonic() + seconds, pins),
        )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, made once per process.

    Each one loads certifi's ~150 CA certificates: 35 ms of CPU, and an ingest of a feed makes a
    transport per article (the two contexts each made took 70 s of a 1,000-article in-bot
    ingest, beside the questions being answered). A context is safe to share between threads.
    """
    return httpx.create_ssl_context()
