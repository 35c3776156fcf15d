"""Incremental decoders for streamed bodies: Server-Sent Events and NDJSON.

Both take raw byte chunks as they arrive (`feed`) and return the complete items
found so far; a partial line waits for the next chunk. They work line by line
with `bytes.splitlines`, never byte by byte, so a chunk carrying many events
costs one split and a short loop.
"""

from __future__ import annotations

import json
from typing import Any


class SSEEvent:
    """One dispatched event: its type (`event:` field, default "message"), data and id."""

    __slots__ = ("event", "data", "id")

    def __init__(self, event: str, data: str, id: str = "") -> None:
        self.event = event
        self.data = data
        self.id = id

    def __repr__(self) -> str:
        return f"SSEEvent(event={self.event!r}, data={self.data!r}, id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SSEEvent):
            return NotImplemented
        return (self.event, self.data, self.id) == (other.event, other.data, other.id)


_LINE_ENDS = (10, 13)  # LF, CR as the last byte of a chunk


class SSEDecoder:
    """The event-stream parser of the WHATWG HTML spec (§9.2.6), fed with bytes.

    Lines end with LF, CRLF or CR (`bytes.splitlines` splits on exactly those);
    a CRLF split across two chunks is handled by `_skip_lf`. Lines starting with
    ':' are comments (keep-alives); a blank line dispatches the event; an event
    without data is not dispatched; `retry:` is ignored (we never reconnect).
    """

    __slots__ = ("_partial", "_skip_lf", "_data", "_event", "_last_id")

    def __init__(self) -> None:
        self._partial: list[bytes] = []  # the unterminated tail of the stream so far
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""  # persists across events, as the spec's "last event ID buffer"

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not chunk:
            return []
        # Fast path: a chunk that is exactly one `data: …` line and its blank line,
        # as most servers send each token; no state is pending, no CR anywhere.
        if (
            chunk[:6] == b"data: "
            and chunk.find(b"\n") == len(chunk) - 2
            and chunk[-1] == 10
            and not self._partial
            and not self._data
            and b"\r" not in chunk
        ):
            event, self._event = self._event or "message", ""
            return [SSEEvent(event, chunk[6:-2].decode("utf-8", "replace"), self._last_id)]
        if b"\n" not in chunk and b"\r" not in chunk:
            self._partial.append(chunk)
            return []
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
            self._partial.clear()
        lines = chunk.splitlines()
        last = chunk[-1]
        if last not in _LINE_ENDS:
            self._partial.append(lines.pop())
        elif last == 13:
            self._skip_lf = True
        events: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = ""
                continue
            if line[0] == 58:  # ':' starts a comment
                continue
            name, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                self._data.append(value.decode("utf-8", "replace"))
            elif name == b"event":
                self._event = value.decode("utf-8", "replace")
            elif name == b"id":
                if b"\0" not in value:
                    self._last_id = value.decode("utf-8", "replace")
        return events

    def _dispatch(self) -> SSEEvent:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = SSEEvent(self._event or "message", data, self._last_id)
        self._data = []
        self._event = ""
        return event


class NDJSONDecoder:
    """Newline-delimited JSON: one value per line, blank lines ignored."""

    __slots__ = ("_partial",)

    def __init__(self) -> None:
        self._partial: list[bytes] = []

    def feed(self, chunk: bytes) -> list[Any]:
        """Return the JSON values completed by `chunk`; raises ValueError on a malformed line."""
        if b"\n" not in chunk:
            if chunk:
                self._partial.append(chunk)
            return []
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
            self._partial.clear()
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            self._partial.append(tail)
        return [json.loads(line) for line in lines if line.strip()]

    def close(self) -> list[Any]:
        """At the end of the body: a last line without its newline still counts."""
        tail = b"".join(self._partial)
        self._partial.clear()
        return [json.loads(tail)] if tail.strip() else []
