"""Malware scanning of attachments with ClamAV's daemon (clamd), before anything is stored.

A small client over clamd's documented socket protocol (``man clamd``): ``zINSTREAM``, the
file in chunks each prefixed with its length as a 4-byte big-endian integer, a zero-length
chunk to end, then one reply, ``stream: OK`` or ``stream: <signature> FOUND`` (or ``... ERROR``).
No client library on PyPI is kept up (clamd 1.0.2 and pyClamd 0.4.0 were last released in
2014 and 2017), and the protocol is a few lines: see ADR "Attachment scanning".

Where clamd listens comes from settings: ``CLAMD_SOCKET`` (a Unix socket; development and
tests use the one `scanner/start` opens inside the project folder) or ``CLAMD_HOST`` and
``CLAMD_PORT``. Every failure to get a verdict (no scanner configured, nothing listening, a
timeout, a connection dropped mid-scan, an ``ERROR`` reply) is `ScannerUnavailable`: the caller
refuses the send. A file is never passed because the scanner could not be asked.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

__all__ = [
    "INFECTED_ERROR",
    "INFECTED_ERROR_MANY",
    "UNAVAILABLE_ERROR",
    "Clamd",
    "ScanResult",
    "ScannerUnavailable",
    "infected_message",
    "scanner_from_settings",
]

INFECTED_ERROR = (
    "Our file scanner found a problem with your attachment. "
    "To send your message, remove this attachment."
)
INFECTED_ERROR_MANY = (
    "Our file scanner found a problem with your attachments. "
    "To send your message, remove the attachments."
)
UNAVAILABLE_ERROR = "We couldn't check your attachment right now. Try again later."

CHUNK_BYTES = 64 * 1024


def infected_message(count: int) -> str:
    """The spec's message for `count` flagged files (one, or two or more)."""
    return INFECTED_ERROR if count == 1 else INFECTED_ERROR_MANY


class ScannerUnavailable(Exception):
    """No verdict: the scanner is not configured, not reachable, too slow or failed."""


@dataclass(frozen=True)
class ScanResult:
    """clamd's verdict on one file: clean, or the name of the signature it matched."""

    signature: str | None = None

    @property
    def clean(self) -> bool:
        return self.signature is None


class Clamd:
    """One clamd, reached over a Unix socket or TCP. Each call opens its own connection
    (clamd serves one command per connection), so an instance is safe to share."""

    def __init__(
        self,
        *,
        socket_path: str = "",
        host: str = "",
        port: int = 3310,
        timeout: float = 30.0,
    ) -> None:
        if not socket_path and not host:
            raise ValueError("clamd needs a socket path or a host")
        self.socket_path, self.host, self.port, self.timeout = socket_path, host, port, timeout

    def __repr__(self) -> str:
        where = self.socket_path or f"{self.host}:{self.port}"
        return f"Clamd({where})"

    def _connect(self) -> socket.socket:
        try:
            if self.socket_path:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.settimeout(self.timeout)
                try:
                    conn.connect(self.socket_path)
                except BaseException:
                    conn.close()
                    raise
                return conn
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ScannerUnavailable(f"cannot reach {self!r}: {exc}") from exc

    def _command(self, conn: socket.socket, deadline: float, send: Iterable[bytes]) -> str:
        """Send everything, read the NUL-terminated reply; all within the deadline."""
        try:
            for data in send:
                self._check(deadline)
                conn.sendall(data)
            reply = b""
            while not reply.endswith(b"\0"):
                self._check(deadline)
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
                if len(reply) > 4096:
                    raise ScannerUnavailable(f"{self!r} sent an overlong reply")
        except OSError as exc:  # timeouts included (socket.timeout is an OSError)
            raise ScannerUnavailable(f"{self!r} failed: {exc}") from exc
        if not reply.endswith(b"\0"):
            raise ScannerUnavailable(f"{self!r} closed the connection without a verdict")
        return reply[:-1].decode("utf-8", "replace").strip()

    def _check(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise ScannerUnavailable(f"{self!r} took longer than {self.timeout} s")

    def ping(self) -> bool:
        """Whether clamd answers PING (for the health check). Never raises."""
        try:
            with self._connect() as conn:
                deadline = time.monotonic() + self.timeout
                return self._command(conn, deadline, [b"zPING\0"]) == "PONG"
        except ScannerUnavailable:
            return False

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        """Scan one file given as byte chunks (e.g. an upload's ``.chunks()``).

        Raises `ScannerUnavailable` when there is no verdict. The whole scan, sending and
        waiting for the reply, must finish within the timeout."""
        deadline = time.monotonic() + self.timeout

        def frames():
            yield b"zINSTREAM\0"
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK_BYTES):
                    piece = chunk[start : start + CHUNK_BYTES]
                    yield struct.pack("!L", len(piece)) + piece
            yield struct.pack("!L", 0)

        with self._connect() as conn:
            reply = self._command(conn, deadline, frames())
        return _verdict(reply, self)


def _verdict(reply: str, scanner: Clamd) -> ScanResult:
    # "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    _, _, result = reply.partition(": ")
    if reply.startswith("stream: ") and result == "OK":
        return ScanResult()
    if reply.startswith("stream: ") and result.endswith(" FOUND"):
        return ScanResult(signature=result.removesuffix(" FOUND"))
    raise ScannerUnavailable(f"{scanner!r} gave no verdict: {reply[:200]}")


def scanner_from_settings() -> Clamd:
    """The configured clamd; `ScannerUnavailable` when none is configured."""
    path = getattr(settings, "CLAMD_SOCKET", "")
    host = getattr(settings, "CLAMD_HOST", "")
    if not path and not host:
        raise ScannerUnavailable("no scanner configured (CLAMD_SOCKET or CLAMD_HOST)")
    return Clamd(
        socket_path=path,
        host=host,
        port=getattr(settings, "CLAMD_PORT", 3310),
        timeout=getattr(settings, "CLAMD_TIMEOUT", 30.0),
    )


def scan_uploads(files: Sequence) -> list[tuple[object, ScanResult]]:
    """Scan each upload (anything with ``.chunks()`` and ``.seek()``) in order; each file is
    left seeked to 0 for storing. Raises `ScannerUnavailable` if any file gets no verdict."""
    if not files:
        return []
    scanner = scanner_from_settings()
    results = []
    for file in files:
        file.seek(0)
        try:
            results.append((file, scanner.scan(file.chunks())))
        finally:
            file.seek(0)
    return results
