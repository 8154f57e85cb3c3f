"""A stand-in for the SMS gateways on loopback: answers as Sparrow or Aakash document, keeps
every request it got, and can be scripted to answer otherwise (a refusal, a server error, a
delay longer than the client waits).

    with GatewayStandin("sparrow") as gateway:
        backend = SparrowBackend(token="t", sender="Clinic", url=gateway.url("/v2/sms/"))
        gateway.script(sparrow_refused(1013))     # the next answer; then the provider's usual
        ...
        gateway.requests[0].form["to"]

Used by the gateways' tests, the outbox's tests, the demo and the delivery bench (it serves
requests on threads). ``python -m clinicflow.notifications.sms.standin --provider aakash
--port 8025`` runs one on its own. No Django here."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from clinicflow.notifications.sms.segments import count_segments

logger = logging.getLogger("clinicflow.notifications.sms.standin")

NEPALI_MOBILE = re.compile(r"9[678]\d{8}")

#: Sparrow's documented refusals (HTTP 403), by code.
SPARROW_REFUSALS = {
    1000: "A required field is missing",
    1001: "Invalid IP Address",
    1002: "Invalid Token",
    1003: "Account Inactive",
    1004: "Account Inactive",
    1005: "Account has been expired",
    1006: "Account has been expired",
    1007: "Invalid Receiver",
    1008: "Invalid Sender",
    1010: "Text cannot be empty",
    1011: "No valid receiver",
    1012: "No Credits Available",
    1013: "Insufficient Credits",
}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The urlencoded body, one value per field (the last, as servers read it)."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {name: values[-1] for name, values in parsed.items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Reply:
    """An answer: ``body`` a dict or list is sent as JSON, a str as text; after ``delay``
    seconds (longer than the client's timeout to play a gateway that hangs)."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[RecordedRequest], Reply]


# ---------------------------------------------------------------- the providers' answers


def sparrow_ok(*, message_id: int, credits: int = 1, count: int = 1) -> Reply:
    return Reply(200, {
        "count": count,
        "response_code": 200,
        "response": f"{count} mesages has been queued for delivery",
        "message_id": message_id,
        "credit_consumed": credits,
    })  # fmt: skip


def sparrow_refused(code: int) -> Reply:
    return Reply(403, {"response_code": code, "response": SPARROW_REFUSALS[code]})


def aakash_ok(*, message_id: int, mobile: str, text: str, credits: int = 1) -> Reply:
    return Reply(200, {
        "error": False,
        "message": "1 messages has been queued for delivery.",
        "data": {
            "valid": [{
                "id": message_id, "mobile": mobile, "text": text, "credit": credits,
                "network": "ntc" if mobile.startswith(("984", "985", "986", "974", "975", "976"))
                else "ncell",
                "status": "queued",
            }],
            "invalid": [],
        },
    })  # fmt: skip


def aakash_invalid(*, mobile: str, text: str) -> Reply:
    return Reply(200, {
        "error": False,
        "message": "0 messages has been queued for delivery.",
        "data": {
            "valid": [],
            "invalid": [{"mobile": mobile, "text": text, "credit": 0, "network": "N/A",
                         "status": "aborted"}],
        },
    })  # fmt: skip


def aakash_refused(message: str) -> Reply:
    return Reply(200, {"error": True, "message": message, "data": []})


def server_error(status: int = 503) -> Reply:
    return Reply(status, "<html><body>Service Unavailable</body></html>")


class Provider:
    """The provider's usual answer to a well-formed request: queued, with ids counting up
    and one credit per segment; a number it cannot send to refused as it refuses them."""

    def __init__(self, name: str) -> None:
        if name not in ("sparrow", "aakash"):
            raise ValueError(f"No stand-in for {name!r}: sparrow or aakash.")
        self.name = name
        self._ids = itertools.count(1000001)

    def __call__(self, request: RecordedRequest) -> Reply:
        form = request.form
        mobile, text = form.get("to", ""), form.get("text", "")
        credits = max(count_segments(text).segments, 1)
        if self.name == "sparrow":
            if not form.get("token") or not form.get("from") or not mobile:
                return sparrow_refused(1000)
            if not text:
                return sparrow_refused(1010)
            if not NEPALI_MOBILE.fullmatch(mobile):
                return sparrow_refused(1011)
            return sparrow_ok(message_id=next(self._ids), credits=credits)
        if not form.get("auth_token"):
            return aakash_refused("The auth token field is required.")
        if not text:
            return aakash_refused("The text field is required.")
        if not NEPALI_MOBILE.fullmatch(mobile):
            return aakash_invalid(mobile=mobile, text=text)
        return aakash_ok(message_id=next(self._ids), mobile=mobile, text=text, credits=credits)


# ---------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops a burst of connections (1 s SYN retries)
    standin: GatewayStandin


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        recorded = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.standin._take(recorded)
        if reply.delay and self.server.standin._stopping.wait(reply.delay):
            return
        if isinstance(reply.body, str):
            payload, kind = reply.body.encode(), "text/html; charset=utf-8"
        else:
            payload, kind = json.dumps(reply.body).encode(), "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stand-in: " + format, *args)


class GatewayStandin:
    """An HTTP server on 127.0.0.1 (a free port unless one is given) answering as
    ``provider`` ("sparrow", "aakash", or any function of a ``RecordedRequest``)."""

    def __init__(self, provider: str | Responder = "sparrow", *, port: int = 0) -> None:
        self.responder: Responder = Provider(provider) if isinstance(provider, str) else provider
        self.requests: list[RecordedRequest] = []
        self._scripted: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.standin = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then as the provider does."""
        with self._lock:
            self._scripted.extend(replies)

    def _take(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._scripted.popleft() if self._scripted else None
        return scripted if scripted is not None else self.responder(request)

    def start(self) -> GatewayStandin:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns at once
            name="sms-gateway-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GatewayStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A loopback stand-in of an SMS gateway.")
    parser.add_argument("--provider", choices=["sparrow", "aakash"], default="sparrow")
    parser.add_argument("--port", type=int, default=8025)
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    standin = GatewayStandin(options.provider, port=options.port)
    logger.info("%s stand-in on %s (Ctrl-C stops it)", options.provider, standin.url())
    try:
        standin._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin._server.server_close()


if __name__ == "__main__":
    main()
