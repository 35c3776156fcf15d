"""Ollama's native `/api/chat`: NDJSON objects, the last one `done: true` with the counts."""

from __future__ import annotations

from typing import Any

from mmchat.providers.base import NO_EVENTS, HTTPProvider, StreamParser, stream_error
from mmchat.providers.errors import BadResponseError
from mmchat.types import ChatRequest, ReasoningDelta, StreamEvent, TextDelta, Usage

FINISH_REASONS = {"stop": "stop", "length": "length"}

# mmchat's parameter names → `options` keys; other keys go to `options` as given,
# except the few the API takes at the top level.
OPTIONS = {
    "max_tokens": "num_predict",
    "temperature": "temperature",
    "top_p": "top_p",
    "stop": "stop",
    "seed": "seed",
}
TOP_LEVEL = {"think", "keep_alive", "format"}


class OllamaProvider(HTTPProvider):
    stream_format = "ndjson"

    def _auth_headers(self, api_key: str | None) -> dict[str, str]:
        # Ollama needs no key; one is sent only for a proxy in front of it.
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _stream_url(self, request: ChatRequest) -> str:
        return f"{self._base}/api/chat"

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
        }
        options: dict[str, Any] = {}
        for key, value in request.params.items():
            if key in TOP_LEVEL:
                body[key] = value
            else:
                options[OPTIONS.get(key, key)] = value
        if isinstance(options.get("stop"), str):
            options["stop"] = [options["stop"]]
        if options:
            body["options"] = options
        return body

    def _parser(self) -> StreamParser:
        return OllamaParser(self.name)

    def _models_url(self) -> str:
        return f"{self._base}/api/tags"

    def _models_page(self, data: Any) -> tuple[list[str], dict[str, str] | None]:
        return [m.get("model") or m["name"] for m in data["models"]], None


class OllamaParser(StreamParser):
    __slots__ = ()

    def feed(self, item: Any) -> list[StreamEvent] | tuple[StreamEvent, ...]:
        if not isinstance(item, dict):
            raise BadResponseError(self.provider, f"unexpected stream line: {str(item)[:100]!r}")
        if item.get("error"):
            raise stream_error(self.provider, item)
        if item.get("done"):
            self.done = True
            reason = item.get("done_reason") or "stop"
            self.finish = FINISH_REASONS.get(reason, reason)
            self.usage = Usage(
                input_tokens=item.get("prompt_eval_count") or 0,
                output_tokens=item.get("eval_count") or 0,
            )
        message = item.get("message")
        if not message:
            return NO_EVENTS
        content = message.get("content")
        thinking = message.get("thinking")
        if not thinking:
            return [TextDelta(content)] if content else NO_EVENTS
        if content:
            return [ReasoningDelta(thinking), TextDelta(content)]
        return [ReasoningDelta(thinking)]
