"""Google Gemini API: `streamGenerateContent?alt=sse`, one GenerateContentResponse per event.

There is no end-of-stream event: the answer is complete when a candidate has
carried a finishReason and the body ends.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from mmchat.providers.base import NO_EVENTS, HTTPProvider, StreamParser, stream_error
from mmchat.providers.errors import BadResponseError
from mmchat.providers.sse import SSEEvent
from mmchat.types import ChatRequest, ReasoningDelta, StreamEvent, TextDelta, Usage

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}

# mmchat's parameter names → generationConfig's; other keys pass through as given.
PARAMS = {
    "max_tokens": "maxOutputTokens",
    "temperature": "temperature",
    "top_p": "topP",
    "stop": "stopSequences",
    "seed": "seed",
}


class GeminiProvider(HTTPProvider):
    models_query = {"pageSize": "1000"}

    def _auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": api_key} if api_key else {}

    def _stream_url(self, request: ChatRequest) -> str:
        model = request.model.removeprefix("models/")
        return f"{self._base}/models/{quote(model, safe='')}:streamGenerateContent?alt=sse"

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
        body: dict[str, Any] = {"contents": contents}
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config = {PARAMS.get(k, k): v for k, v in request.params.items()}
        stop = config.get("stopSequences")
        if isinstance(stop, str):
            config["stopSequences"] = [stop]
        if config:
            body["generationConfig"] = config
        return body

    def _parser(self) -> StreamParser:
        return GeminiParser(self.name)

    def _models_url(self) -> str:
        return f"{self._base}/models"

    def _models_page(self, data: Any) -> tuple[list[str], dict[str, str] | None]:
        ids = [
            m["name"].removeprefix("models/")
            for m in data.get("models") or ()
            if "generateContent" in m.get("supportedGenerationMethods", ("generateContent",))
        ]
        token = data.get("nextPageToken")
        return ids, ({"pageToken": token} if token else None)


class GeminiParser(StreamParser):
    __slots__ = ()

    def feed(self, item: SSEEvent) -> list[StreamEvent] | tuple[StreamEvent, ...]:
        data = json.loads(item.data)
        if not isinstance(data, dict):
            raise BadResponseError(self.provider, f"unexpected stream data: {item.data[:100]!r}")
        if "error" in data:
            raise stream_error(self.provider, data)
        usage = data.get("usageMetadata")
        if usage:
            self.usage = _usage(usage)  # later chunks repeat and update it: the last one counts
        candidates = data.get("candidates")
        if not candidates:
            if (data.get("promptFeedback") or {}).get("blockReason"):
                self.finish = "content_filter"
            return NO_EVENTS
        candidate = candidates[0]
        reason = candidate.get("finishReason")
        if reason and reason != "FINISH_REASON_UNSPECIFIED":
            self.finish = FINISH_REASONS.get(reason, reason)
        parts = (candidate.get("content") or {}).get("parts")
        if not parts:
            return NO_EVENTS
        events: list[StreamEvent] = []
        for part in parts:
            text = part.get("text")
            if text:
                events.append(ReasoningDelta(text) if part.get("thought") else TextDelta(text))
        return events


def _usage(usage: dict[str, Any]) -> Usage:
    """promptTokenCount includes cached tokens; thoughts are counted apart from candidates."""
    prompt = usage.get("promptTokenCount") or 0
    cached = usage.get("cachedContentTokenCount") or 0
    return Usage(
        input_tokens=max(0, prompt - cached),
        cached_input_tokens=cached,
        output_tokens=usage.get("candidatesTokenCount") or 0,
        reasoning_tokens=usage.get("thoughtsTokenCount") or 0,
    )
