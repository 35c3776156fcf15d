"""Anthropic messages API: SSE with named events (message_start … message_stop)."""

from __future__ import annotations

import json
from typing import Any

from mmchat.providers.base import NO_EVENTS, HTTPProvider, StreamParser, stream_error
from mmchat.providers.sse import SSEEvent
from mmchat.types import ChatRequest, ReasoningDelta, StreamEvent, TextDelta, Usage

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# The HTTP status each error type stands for, when it arrives inside a stream.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class AnthropicProvider(HTTPProvider):
    models_query = {"limit": "1000"}

    def _auth_headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def _stream_url(self, request: ChatRequest) -> str:
        return f"{self._base}/v1/messages"

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        params = dict(request.params)
        params.pop("seed", None)  # not supported by the API
        stop = params.pop("stop", None)
        if stop:
            params["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            **params,
            "model": request.model,
            "max_tokens": params.get("max_tokens") or DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
            ],
            "stream": True,
        }
        if system:
            body["system"] = system
        return body

    def _parser(self) -> StreamParser:
        return AnthropicParser(self.name)

    def _models_url(self) -> str:
        return f"{self._base}/v1/models"

    def _models_page(self, data: Any) -> tuple[list[str], dict[str, str] | None]:
        ids = [m["id"] for m in data["data"]]
        if data.get("has_more") and data.get("last_id"):
            return ids, {"after_id": data["last_id"]}
        return ids, None


class AnthropicParser(StreamParser):
    __slots__ = ("_counts",)

    def __init__(self, provider: str) -> None:
        super().__init__(provider)
        self._counts = {
            "input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 0,
        }

    def feed(self, item: SSEEvent) -> list[StreamEvent] | tuple[StreamEvent, ...]:
        if item.event == "ping":
            return NO_EVENTS
        data = json.loads(item.data)
        kind = data.get("type", item.event)
        if kind == "content_block_delta":
            delta = data["delta"]
            dtype = delta.get("type")
            if dtype == "text_delta":
                text = delta.get("text")
                return [TextDelta(text)] if text else NO_EVENTS
            if dtype == "thinking_delta":
                thinking = delta.get("thinking")
                return [ReasoningDelta(thinking)] if thinking else NO_EVENTS
            return NO_EVENTS  # signature, tool input, citations
        if kind == "message_start":
            self._count(data["message"].get("usage"))
        elif kind == "message_delta":
            reason = (data.get("delta") or {}).get("stop_reason")
            if reason:
                self.finish = FINISH_REASONS.get(reason, reason)
            self._count(data.get("usage"))
        elif kind == "message_stop":
            self.done = True
        elif kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            if block.get("type") == "thinking" and block.get("thinking"):
                return [ReasoningDelta(block["thinking"])]
        elif kind == "error":
            error = data.get("error") or {}
            raise stream_error(self.provider, data, ERROR_STATUS.get(error.get("type"), 500))
        return NO_EVENTS

    def _count(self, usage: dict[str, Any] | None) -> None:
        """Every figure is cumulative: a later value replaces an earlier one, never adds to it."""
        if not usage:
            return
        counts = self._counts
        for key in counts:
            value = usage.get(key)
            if value is not None:
                counts[key] = value
        # Anthropic bills thinking as output and reports no separate count for it.
        self.usage = Usage(
            input_tokens=counts["input_tokens"],
            cache_write_tokens=counts["cache_creation_input_tokens"],
            cached_input_tokens=counts["cache_read_input_tokens"],
            output_tokens=counts["output_tokens"],
        )
