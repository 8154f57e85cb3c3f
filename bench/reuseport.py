"""Serve the ASGI application from several single-process uvicorns that share one port through
``SO_REUSEPORT``: the kernel spreads the incoming connections over the processes.

Why not ``uvicorn --workers N``: its workers share one listening socket, and the worker that
wakes first accepts every connection waiting at that moment. Clients that keep their
connection open (the bench's, or a proxy's keep-alive pool) can all land on one worker, which
then serves everybody on one core while the other idles — measured on 2 cores: 44 free-slot
requests/s with every connection on one worker, 83–89/s spread by the kernel.

Each process is handed its TCP socket object, not ``uvicorn --fd`` (which takes any inherited
descriptor for a Unix socket, so its connections would miss TCP_NODELAY and wait out Nagle's
algorithm: about 60 ms for every request of a lone client, measured).

``python -m bench.reuseport --host H --port P --workers N [--log-level L] module:app``; SIGTERM
or SIGINT stops every process; if one exits, the others are stopped too.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

_HERE = Path(__file__).resolve().parent
if __package__ in (None, "") and sys.path and Path(sys.path[0]).resolve() == _HERE:
    # Run by path: keep this directory off the path, so that no bench module shadows a library.
    sys.path.pop(0)


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(app: str, fd: int, log_level: str) -> None:
    """One process: uvicorn on the inherited listening socket (its family read from the
    descriptor, so accepted connections are TCP ones)."""
    import uvicorn

    # The application is imported from the working directory, as ``uvicorn --app-dir .``.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(args: argparse.Namespace) -> int:
    processes: list[subprocess.Popen[bytes]] = []
    for _ in range(args.workers):
        sock = listening_socket(args.host, args.port)
        # By path, as the supervisor itself was started (the application's checkout on the
        # path may be another revision's).
        command = [sys.executable, __file__, "--fd", str(sock.fileno())]
        command += ["--log-level", args.log_level, args.app]
        processes.append(subprocess.Popen(command, pass_fds=[sock.fileno()]))
        sock.close()  # the child holds its own copy

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.2)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0 if stopping else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", help="the ASGI application, module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a process started by us
    args = parser.parse_args(argv)
    if args.fd is not None:
        serve(args.app, args.fd, args.log_level)
        return 0
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
