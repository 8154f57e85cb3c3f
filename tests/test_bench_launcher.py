"""The bench's server launcher: several uvicorn processes on one port, connections spread over
all of them, every process stopped with the launcher; each serves a TCP socket (so its
connections get TCP_NODELAY, unlike ``uvicorn --fd``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answering(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_connections_are_spread_over_every_process_and_all_stop_together():
    port = _free_port()
    launcher = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.reuseport", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "2", "tests.asgi_pid:app"),
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        limit = time.monotonic() + 30
        while not _answering(port):
            assert time.monotonic() < limit, "the launcher never answered"
            time.sleep(0.2)
        # Many connections opened at once, each kept alive (as the bench's clients do).
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(40)]
        pids = {client.get("/").text for client in clients}
        for client in clients:
            client.close()
        assert len(pids) == 2
    finally:
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(15) == 0
    time.sleep(0.5)
    assert not _answering(port)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_each_process_serves_a_tcp_socket_not_a_unix_one(monkeypatch):
    """uvicorn's own ``--fd`` takes the descriptor for a Unix socket, and its connections then
    wait out Nagle's algorithm; the launcher hands uvicorn the TCP socket itself."""
    import uvicorn

    from bench import reuseport

    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: served.extend(sockets))
    listening = reuseport.listening_socket("127.0.0.1", _free_port())
    try:
        reuseport.serve("tests.asgi_pid:app", os.dup(listening.fileno()), "warning")
    finally:
        listening.close()
    assert [s.family for s in served] == [socket.AF_INET]
    for sock in served:
        sock.close()
