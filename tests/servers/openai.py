"""A local server speaking OpenAI's chat completions streaming format.

Chunks follow the API reference: `chat.completion.chunk` objects sent as
`data: {...}\\n\\n`, the first delta carrying the role, a last choice chunk with
`finish_reason`, then (with stream_options.include_usage) a chunk with
`choices: []` and the usage, then `data: [DONE]`. Every other chunk has `usage: null`.
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.core import RecordedRequest, Script, ScriptedServer

CREATED = 1_730_000_000
DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def chunk(
    *,
    content: str | None = None,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    role: bool = False,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: bool = True,
    model: str = "gpt-4o-mini",
) -> bytes:
    """One `chat.completion.chunk` event; choices=False gives the final usage-only chunk."""
    delta: dict[str, Any] = {}
    if role:
        delta = {"role": "assistant", "content": "", "refusal": None}
    if reasoning is not None:
        delta[reasoning_field] = reasoning
    if content is not None:
        delta["content"] = content
    body: dict[str, Any] = {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": (
            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else []
        ),
        "usage": usage,
    }
    return sse(body)


def usage_body(prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class OpenAIServer(ScriptedServer):
    protocol = "openai"
    stream_headers = SSE_HEADERS
    base_path = "/v1"
    default_models = ("gpt-4o-mini", "gpt-4o", "o3-mini")

    def route(self, request: RecordedRequest) -> str | None:
        if request.method == "POST" and request.path == "/v1/chat/completions":
            return "stream"
        if request.method == "GET" and request.path == "/v1/models":
            return "models"
        return None

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def unauthorized(self) -> Script:
        return Script.json(
            401,
            self.error_body(
                401,
                "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_api_key",
            ),
        )

    def text_script(
        self,
        pieces: list[str],
        *,
        usage: dict[str, Any],
        reasoning: list[str],
        finish: str | None,
        usage_on_choice: bool = False,
        reasoning_field: str = "reasoning_content",
        **options: Any,
    ) -> Script:
        """usage_on_choice puts the usage on the finish chunk (as some compatible servers do)."""
        steps: list[Any] = [chunk(role=True)]
        steps += [chunk(reasoning=r, reasoning_field=reasoning_field) for r in reasoning]
        steps += [chunk(content=p) for p in pieces]
        if usage_on_choice:
            steps.append(chunk(finish=finish or "stop", usage=usage))
        else:
            steps += [chunk(finish=finish or "stop"), chunk(choices=False, usage=usage)]
        steps.append(DONE)
        return self.stream_script(steps)

    def usage_body(self, *, prompt_tokens: int, output_tokens: int) -> dict[str, Any]:
        return usage_body(prompt_tokens, output_tokens)

    def reply_tokens(self, n: int, *, batch: int = 1, token: str = " tok") -> None:
        """Queue an answer of `n` identical tokens, written `batch` events per write, no pauses."""
        event = chunk(content=token)
        writes = [event * batch] * (n // batch)
        if n % batch:
            writes.append(event * (n % batch))
        steps: list[Any] = [chunk(role=True), *writes, chunk(finish="stop")]
        steps += [chunk(choices=False, usage=usage_body(12, n)), DONE]
        self.enqueue(self.stream_script(steps))

    def opening(self, text: str) -> list[bytes]:
        return [chunk(role=True), chunk(content=text)]

    def error_body(self, status: int, message: str, code: str | None) -> Any:
        kind = {429: "requests", 500: "server_error", 503: "server_error"}.get(status, "invalid_request_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def models_body(self, request: RecordedRequest) -> Any:
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": CREATED, "owned_by": "openai"} for m in self.models],
        }

    def last_user_text(self, body: Any) -> str:
        users = [m for m in body["messages"] if m["role"] == "user"]
        return users[-1]["content"]
