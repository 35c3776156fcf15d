"""OpenAI chat completions, also spoken by OpenRouter, DeepSeek, vLLM, llama.cpp, …

SSE of `chat.completion.chunk` objects ending with `data: [DONE]`; usage comes
on the chunk after the finish reason (`stream_options.include_usage`), or on a
chunk that still has choices with some compatible servers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from mmchat.providers.base import NO_EVENTS, HTTPProvider, StreamParser, stream_error
from mmchat.providers.errors import BadResponseError
from mmchat.providers.sse import SSEEvent
from mmchat.types import ChatRequest, ReasoningDelta, StreamEvent, TextDelta, Usage

OFFICIAL_HOST = "api.openai.com"

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


class OpenAIProvider(HTTPProvider):
    def _auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _stream_url(self, request: ChatRequest) -> str:
        return f"{self._base}/chat/completions"

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        # mmchat's parameter names are OpenAI's own; other keys pass through untouched.
        params = request.params
        if "max_tokens" in params and urlsplit(self._base).hostname == OFFICIAL_HOST:
            # OpenAI's own API deprecated max_tokens and its reasoning models (o-series,
            # gpt-5) refuse it; compatible servers mostly know only max_tokens.
            params = {k: v for k, v in params.items() if k != "max_tokens"}
            params["max_completion_tokens"] = request.params["max_tokens"]
        return {
            **params,
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    def _parser(self) -> StreamParser:
        return OpenAIParser(self.name)

    def _models_url(self) -> str:
        return f"{self._base}/models"

    def _models_page(self, data: Any) -> tuple[list[str], dict[str, str] | None]:
        return [m["id"] for m in data["data"]], None


class OpenAIParser(StreamParser):
    __slots__ = ()

    def feed(self, item: SSEEvent) -> list[StreamEvent] | tuple[StreamEvent, ...]:
        data = item.data
        if data == "[DONE]":
            self.done = True
            return NO_EVENTS
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise BadResponseError(self.provider, f"unexpected stream data: {data[:100]!r}")
        if chunk.get("error"):
            raise stream_error(self.provider, chunk)
        usage = chunk.get("usage")
        if usage:
            self.usage = _usage(usage)
        choices = chunk.get("choices")
        if not choices:
            return NO_EVENTS
        choice = choices[0]
        reason = choice.get("finish_reason")
        if reason:
            self.finish = FINISH_REASONS.get(reason, reason)
        delta = choice.get("delta")
        if not delta:
            return NO_EVENTS
        content = delta.get("content")
        # OpenRouter and vLLM call it `reasoning`, DeepSeek `reasoning_content`.
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if not reasoning or not isinstance(reasoning, str):
            return [TextDelta(content)] if content else NO_EVENTS
        if content:
            return [ReasoningDelta(reasoning), TextDelta(content)]
        return [ReasoningDelta(reasoning)]


def _usage(usage: dict[str, Any]) -> Usage:
    """Cached prompt tokens are part of prompt_tokens, reasoning part of completion_tokens."""
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or usage.get(
        "prompt_cache_hit_tokens"  # DeepSeek
    ) or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return Usage(
        input_tokens=max(0, prompt - cached),
        cached_input_tokens=cached,
        output_tokens=max(0, completion - reasoning),
        reasoning_tokens=reasoning,
    )
