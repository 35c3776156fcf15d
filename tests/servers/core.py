"""Scriptable HTTP/1.1 servers on 127.0.0.1 for testing providers over real sockets.

A server runs `http.server.ThreadingHTTPServer` in a background thread. Each
request is recorded, then answered by the next queued `Script` (status,
headers, and steps: bytes to write, pauses, an abrupt drop) or, with nothing
queued, by the protocol's default answer. Protocol subclasses know the routes,
the wire format of a streamed answer, error bodies and the model listing.
"""

from __future__ import annotations

import asyncio
import json
import re
import select
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self, Union
from urllib.parse import parse_qsl, urlsplit

from mmchat.config import ProviderConfig, Timeouts


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection abruptly, mid-body."""


def sleep(seconds: float) -> Sleep:
    return Sleep(seconds)


DROP = Drop()

Step = Union[bytes, Sleep, Drop]


@dataclass
class Script:
    """One scripted response.

    framing: "chunked" (Transfer-Encoding: chunked, ends with the zero chunk),
    "close" (no length, the body ends when the server closes the connection) or
    "length" (Content-Length of all the byte steps). `delay` pauses before the
    status line is sent.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    framing: str = "chunked"
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, body: Any, headers: dict[str, str] | None = None) -> Script:
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            [json.dumps(body).encode()],
            framing="length",
        )


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query
    query: dict[str, str]
    target: str  # path and query exactly as sent
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any
    client_port: int  # tells apart the connections requests came on


class ScriptedServer:
    """Base of the protocol servers; use as a context manager or start()/stop()."""

    protocol: ClassVar[str] = ""
    base_path: ClassVar[str] = ""  # appended to the root to make base_url
    stream_headers: ClassVar[dict[str, str]] = {}  # of a streamed answer
    default_models: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, api_key: str | None = None, models: list[str] | None = None) -> None:
        self.api_key = api_key  # when set, requests without it are refused as the real API does
        self.models = list(models if models is not None else self.default_models)
        self.requests: list[RecordedRequest] = []
        # Set when a client goes away before its response was complete.
        self.client_disconnected = threading.Event()
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----

    def start(self) -> Self:
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is None:
            return
        # shutdown() waits for serve_forever's next poll; a connection wakes it at once.
        stopper = threading.Thread(target=self._httpd.shutdown)
        stopper.start()
        while stopper.is_alive():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                pass
            stopper.join(0.01)
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses ----

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to put in ProviderConfig.base_url."""
        return self.root_url + self.base_path

    def config(self, name: str | None = None, *, timeouts: Timeouts | None = None, **kw: Any) -> ProviderConfig:
        return ProviderConfig(
            name=name or self.protocol,
            type=self.protocol,  # type: ignore[arg-type]
            base_url=self.base_url,
            timeouts=timeouts or Timeouts(),
            **kw,
        )

    # ---- scripting ----

    def enqueue(self, *scripts: Script) -> None:
        with self._lock:
            self._queue.extend(scripts)

    def reply_text(
        self,
        text: str,
        *,
        chunks: int = 3,
        usage: dict[str, Any] | None = None,
        reasoning: str | None = None,
        finish: str | None = None,
        **options: Any,
    ) -> None:
        """Queue a normal streamed answer; `usage` is in the protocol's own wire format."""
        pieces = split_text(text, chunks)
        thoughts = split_text(reasoning, chunks) if reasoning else []
        if usage is None:
            usage = self.usage_body(prompt_tokens=12, output_tokens=len(pieces) + len(thoughts))
        self.enqueue(self.text_script(pieces, usage=usage, reasoning=thoughts, finish=finish, **options))

    def reply_error(
        self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Queue an error answer with the protocol's error body."""
        self.enqueue(Script.json(status, self.error_body(status, message, code), headers))

    def stream_script(self, steps: list[Step], *, framing: str = "chunked") -> Script:
        """A 200 streamed answer made of raw steps, e.g. `[*server.opening("Hi"), sleep(5)]`."""
        return Script(200, dict(self.stream_headers), list(steps), framing=framing)

    async def wait_disconnected(self, timeout: float = 5.0) -> bool:
        """True once a client has closed a connection before its response was complete."""
        return await asyncio.to_thread(self.client_disconnected.wait, timeout)

    # ---- what each protocol supplies ----

    def route(self, request: RecordedRequest) -> str | None:
        """"stream", "models" or None (unknown path → 404)."""
        raise NotImplementedError

    def authorized(self, request: RecordedRequest) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Script:
        return Script.json(401, self.error_body(401, "invalid API key", None))

    def text_script(
        self, pieces: list[str], *, usage: dict[str, Any], reasoning: list[str], finish: str | None, **options: Any
    ) -> Script:
        raise NotImplementedError

    def usage_body(self, *, prompt_tokens: int, output_tokens: int) -> dict[str, Any]:
        raise NotImplementedError

    def opening(self, text: str) -> list[bytes]:
        """The start of a streamed answer whose first text delta is `text` (no finish)."""
        raise NotImplementedError

    def malformed(self) -> bytes:
        """A stream item that is not valid JSON, framed as the protocol frames items."""
        return b"data: {not json\n\n"

    def error_body(self, status: int, message: str, code: str | None) -> Any:
        raise NotImplementedError

    def models_body(self, request: RecordedRequest) -> Any:
        raise NotImplementedError

    def last_user_text(self, body: Any) -> str:
        raise NotImplementedError

    # ---- request handling (server threads) ----

    def _respond(self, request: RecordedRequest) -> Script:
        with self._lock:
            self.requests.append(request)
        route = self.route(request)
        if route is None:
            return Script.json(404, self.error_body(404, f"no route for {request.path}", None))
        if self.api_key is not None and not self.authorized(request):
            return self.unauthorized()
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if route == "models":
            return Script.json(200, self.models_body(request))
        return self.default_reply(request)

    def default_reply(self, request: RecordedRequest) -> Script:
        """Echo the last user message in three chunks, with word-count usage."""
        try:
            said = self.last_user_text(request.json)
        except (KeyError, IndexError, TypeError):
            said = ""
        pieces = split_text(f"You said: {said}", 3)
        prompt = sum(len(str(m).split()) for m in _walk_strings(request.json)) + 8
        usage = self.usage_body(prompt_tokens=prompt, output_tokens=len(f"You said: {said}".split()) + 1)
        return self.text_script(pieces, usage=usage, reasoning=[], finish=None)


def split_text(text: str, parts: int) -> list[str]:
    """Split at word boundaries into at most `parts` pieces that join back to `text`."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    parts = max(1, min(parts, len(words)))
    size, extra = divmod(len(words), parts)
    pieces, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        pieces.append("".join(words[start:end]))
        start = end
    return pieces


def _walk_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk_strings(v)]
    return []


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, owner: ScriptedServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing or resetting its connection is routine here (timeouts, cancellation).
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can be slow; nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.owner._lock:
            self.server.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            target=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            json=parsed,
            client_port=self.client_address[1],
        )
        self._play(self.server.owner._respond(request))

    def _play(self, script: Script) -> None:
        owner = self.server.owner
        if script.delay and not self._pause(script.delay):
            return
        self.send_response(script.status)
        for name, value in script.headers.items():
            self.send_header(name, value)
        if script.framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif script.framing == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            total = sum(len(s) for s in script.steps if isinstance(s, bytes))
            self.send_header("Content-Length", str(total))
        try:
            self.end_headers()
            for step in script.steps:
                if isinstance(step, bytes):
                    if script.framing == "chunked":
                        if step:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(step), step))
                    else:
                        self.wfile.write(step)
                elif isinstance(step, Sleep):
                    if not self._pause(step.seconds):
                        return
                else:
                    self._drop()
                    return
            if script.framing == "chunked":
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            owner.client_disconnected.set()
            self.close_connection = True

    def _pause(self, seconds: float) -> bool:
        """Wait, watching the socket: False if the client closed it (or the server stops)."""
        owner = self.server.owner
        end = time.monotonic() + seconds
        while (remaining := end - time.monotonic()) > 0:
            if owner._stopping.is_set():
                self.close_connection = True
                return False
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.05))
            if not readable:
                continue
            try:
                peeked = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:
                owner.client_disconnected.set()
                self.close_connection = True
                return False
            time.sleep(min(remaining, 0.05))  # the client sent more: not a close
        return True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
