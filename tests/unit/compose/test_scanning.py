"""The clamd client: verdicts from the project's real scanner, and every way of getting no
verdict (nothing listening, a dropped connection, a silent or confused scanner) refused."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.compose.scanning import (
    INFECTED_ERROR,
    INFECTED_ERROR_MANY,
    Clamd,
    ScannerUnavailable,
    infected_message,
    scan_uploads,
    scanner_from_settings,
)
from tests.factories import eicar_bytes

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def clamd(settings) -> Clamd:
    """The project's development scanner (started for the session by tests/conftest.py)."""
    return scanner_from_settings()


@pytest.fixture
def short_dir():
    # Unix socket paths are limited to ~108 bytes: pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="sm-scan-") as path:
        yield Path(path)


def _fake_clamd(path: Path, handle) -> threading.Thread:
    """A one-connection server on a Unix socket that does whatever `handle(conn)` does."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            handle(conn)
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _read_command(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\0"):
        data += conn.recv(1)
    return data


def _read_chunks(conn: socket.socket) -> list[bytes]:
    chunks = []
    while True:
        (size,) = struct.unpack("!L", conn.recv(4, socket.MSG_WAITALL))
        if size == 0:
            return chunks
        chunks.append(conn.recv(size, socket.MSG_WAITALL))


def test_the_development_scanner_flags_eicar(clamd):
    result = clamd.scan([eicar_bytes()])
    assert not result.clean
    assert result.signature.startswith("Eicar-Test-Signature")


def test_the_development_scanner_passes_a_clean_file(clamd):
    assert clamd.scan([b"Please renew my metformin.\n"]).clean


def test_a_large_file_is_sent_in_chunks_and_scanned_whole(clamd):
    big = b"a line of text\n" * 200_000  # 3 MB: many 64 KiB frames
    assert clamd.scan([big]).clean
    # EICAR split across two chunks of the caller's is still one file to clamd.
    assert not clamd.scan([eicar_bytes()[:10], eicar_bytes()[10:]]).clean


def test_ping(clamd):
    assert clamd.ping()


def test_nothing_listening_is_unavailable(short_dir):
    scanner = Clamd(socket_path=str(short_dir / "none.sock"), timeout=2)
    with pytest.raises(ScannerUnavailable):
        scanner.scan([b"hello"])
    assert scanner.ping() is False


def test_a_tcp_scanner_that_refuses_connections_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ScannerUnavailable):
        Clamd(host="127.0.0.1", port=port, timeout=2).scan([b"hello"])


def test_a_connection_dropped_mid_scan_is_unavailable(short_dir):
    def drop(conn):
        _read_command(conn)
        conn.recv(10)  # part of the first chunk, then the scanner goes away

    path = short_dir / "drop.sock"
    thread = _fake_clamd(path, drop)
    with pytest.raises(ScannerUnavailable):
        Clamd(socket_path=str(path), timeout=5).scan([b"x" * 500_000])
    thread.join(5)


def test_a_scanner_that_never_answers_times_out(short_dir):
    release = threading.Event()

    def silent(conn):
        _read_command(conn)
        release.wait(10)

    path = short_dir / "silent.sock"
    thread = _fake_clamd(path, silent)
    with pytest.raises(ScannerUnavailable, match="failed|took longer"):
        Clamd(socket_path=str(path), timeout=0.5).scan([b"hello"])
    release.set()
    thread.join(5)


def test_an_error_reply_is_no_verdict(short_dir):
    def refuse(conn):
        assert _read_command(conn) == b"zINSTREAM\0"
        _read_chunks(conn)
        conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")

    path = short_dir / "error.sock"
    thread = _fake_clamd(path, refuse)
    with pytest.raises(ScannerUnavailable, match="no verdict"):
        Clamd(socket_path=str(path), timeout=5).scan([b"hello"])
    thread.join(5)


def test_the_protocol_is_instream_with_length_prefixed_chunks(short_dir):
    received = {}

    def record(conn):
        received["command"] = _read_command(conn)
        received["chunks"] = _read_chunks(conn)
        conn.sendall(b"stream: OK\0")

    path = short_dir / "record.sock"
    thread = _fake_clamd(path, record)
    payload = b"y" * (64 * 1024 + 5)
    assert Clamd(socket_path=str(path), timeout=5).scan([payload]).clean
    thread.join(5)
    assert received["command"] == b"zINSTREAM\0"
    assert [len(c) for c in received["chunks"]] == [64 * 1024, 5]
    assert b"".join(received["chunks"]) == payload


def test_no_scanner_configured_is_unavailable(settings):
    settings.CLAMD_SOCKET, settings.CLAMD_HOST = "", ""
    with pytest.raises(ScannerUnavailable, match="no scanner configured"):
        scanner_from_settings()
    with pytest.raises(ScannerUnavailable):
        scan_uploads([SimpleUploadedFile("a.txt", b"hello")])


def test_tcp_settings_make_a_tcp_client(settings):
    settings.CLAMD_SOCKET, settings.CLAMD_HOST, settings.CLAMD_PORT = "", "clamd.internal", 3311
    scanner = scanner_from_settings()
    assert (scanner.host, scanner.port, scanner.socket_path) == ("clamd.internal", 3311, "")


def test_scan_uploads_leaves_every_file_ready_to_store(clamd):
    files = [SimpleUploadedFile("a.txt", b"clean text"), SimpleUploadedFile("b.txt", eicar_bytes())]
    results = scan_uploads(files)
    assert [r.clean for _, r in results] == [True, False]
    assert [f.read() for f in files] == [b"clean text", eicar_bytes()]


def test_messages_for_one_and_several_files():
    assert infected_message(1) == INFECTED_ERROR
    assert infected_message(2) == INFECTED_ERROR_MANY
    assert "remove this attachment" in INFECTED_ERROR
    assert "remove the attachments" in INFECTED_ERROR_MANY


def test_scanner_start_is_idempotent_and_two_checkouts_do_not_share_a_scanner(short_dir):
    """`scanner/start` run twice finds its own scanner; a second scanner (another
    checkout's socket and folder) runs beside it and is stopped without touching the first."""
    env = {**os.environ, "SCANNER_DIR": str(short_dir / "state"), "CLAMD_SOCKET": ""}
    env["CLAMD_SOCKET"] = str(short_dir / "other.sock")
    start = [str(ROOT / "scanner" / "start")]
    try:
        first = subprocess.run(start, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        again = subprocess.run(start, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout == ""  # found running: nothing started
        other = Clamd(socket_path=env["CLAMD_SOCKET"], timeout=5)
        assert not other.scan([eicar_bytes()]).clean
    finally:
        subprocess.run([*start, "--stop"], env=env, capture_output=True, timeout=60)
    assert other.ping() is False
    assert scanner_from_settings().ping()  # the project's own scanner is still up
