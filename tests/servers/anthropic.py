"""A local server speaking Anthropic's messages streaming format.

Named SSE events as documented: message_start (usage with input and cache
counts), content_block_start / ping / content_block_delta (text_delta,
thinking_delta, signature_delta) / content_block_stop, message_delta (stop
reason and the cumulative output_tokens), message_stop; `error` events for
failures mid-stream.
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.core import RecordedRequest, Script, ScriptedServer

SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
MODEL = "claude-sonnet-4-20250514"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def event(kind: str, **fields: Any) -> bytes:
    data = json.dumps({"type": kind, **fields}, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n".encode()


def message_start(usage: dict[str, Any], model: str = MODEL) -> bytes:
    return event(
        "message_start",
        message={
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        },
    )


def text_delta(text: str, index: int = 0) -> bytes:
    return event("content_block_delta", index=index, delta={"type": "text_delta", "text": text})


def message_delta(stop_reason: str | None, output_tokens: int) -> bytes:
    return event(
        "message_delta",
        delta={"stop_reason": stop_reason, "stop_sequence": None},
        usage={"output_tokens": output_tokens},
    )


def error_event(kind: str, message: str) -> bytes:
    return event("error", error={"type": kind, "message": message})


class AnthropicServer(ScriptedServer):
    protocol = "anthropic"
    stream_headers = SSE_HEADERS
    base_path = ""
    default_models = (MODEL, "claude-3-5-haiku-20241022")

    def route(self, request: RecordedRequest) -> str | None:
        if request.method == "POST" and request.path == "/v1/messages":
            return "stream"
        if request.method == "GET" and request.path == "/v1/models":
            return "models"
        return None

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    def unauthorized(self) -> Script:
        return Script.json(401, self.error_body(401, "invalid x-api-key", None))

    def text_script(
        self,
        pieces: list[str],
        *,
        usage: dict[str, Any],
        reasoning: list[str],
        finish: str | None,
        **options: Any,
    ) -> Script:
        """`usage` holds input_tokens, the cache counts and the final output_tokens."""
        start_usage = {
            "input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            **usage,
            "output_tokens": 1,
        }
        steps: list[Any] = [message_start(start_usage)]
        index = 0
        if reasoning:
            steps.append(event("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}))
            steps += [
                event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": r})
                for r in reasoning
            ]
            steps.append(
                event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "EqQBCgIYAhIM"})
            )
            steps.append(event("content_block_stop", index=0))
            index = 1
        steps.append(event("content_block_start", index=index, content_block={"type": "text", "text": ""}))
        steps.append(event("ping"))
        steps += [text_delta(p, index) for p in pieces]
        steps.append(event("content_block_stop", index=index))
        steps.append(message_delta(finish or "end_turn", usage.get("output_tokens", len(pieces))))
        steps.append(event("message_stop"))
        return self.stream_script(steps)

    def usage_body(self, *, prompt_tokens: int, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": prompt_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
        }

    def opening(self, text: str) -> list[bytes]:
        return [
            message_start(self.usage_body(prompt_tokens=10, output_tokens=1)),
            event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
            text_delta(text),
        ]

    def error_body(self, status: int, message: str, code: str | None) -> Any:
        kind = code or ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
        }

    def models_body(self, request: RecordedRequest) -> Any:
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-05-22T00:00:00Z"} for m in self.models
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

    def last_user_text(self, body: Any) -> str:
        content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
        if isinstance(content, list):
            return "".join(block.get("text", "") for block in content)
        return content
