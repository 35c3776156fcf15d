"""A local server speaking Ollama's `/api/chat` streaming format (NDJSON).

One JSON object per line: `message` with `content` (and `thinking` for
thinking models), `done: false`; the last object has `done: true`,
`done_reason`, the token counts and durations in nanoseconds.
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.core import RecordedRequest, Script, ScriptedServer

NDJSON_HEADERS = {"Content-Type": "application/x-ndjson"}
MODEL = "llama3.2"
CREATED_AT = "2025-01-15T10:30:00.123456789Z"


def line(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def message(content: str = "", *, thinking: str | None = None, model: str = MODEL) -> bytes:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        msg["thinking"] = thinking
    return line({"model": model, "created_at": CREATED_AT, "message": msg, "done": False})


def final(prompt_eval_count: int | None, eval_count: int, *, reason: str = "stop", model: str = MODEL) -> bytes:
    body: dict[str, Any] = {
        "model": model,
        "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": reason,
        "total_duration": 4_883_583_458,
        "load_duration": 1_334_875,
        "prompt_eval_duration": 342_546_000,
        "eval_count": eval_count,
        "eval_duration": 4_535_599_000,
    }
    if prompt_eval_count is not None:  # absent when the whole prompt came from the cache
        body["prompt_eval_count"] = prompt_eval_count
    return line(body)


class OllamaServer(ScriptedServer):
    protocol = "ollama"
    stream_headers = NDJSON_HEADERS
    base_path = ""
    default_models = ("llama3.2:latest", "qwen3:0.6b")

    def route(self, request: RecordedRequest) -> str | None:
        if request.method == "POST" and request.path == "/api/chat":
            return "stream"
        if request.method == "GET" and request.path == "/api/tags":
            return "models"
        return None

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def text_script(
        self,
        pieces: list[str],
        *,
        usage: dict[str, Any],
        reasoning: list[str],
        finish: str | None,
        **options: Any,
    ) -> Script:
        """`usage` holds prompt_eval_count and eval_count, as on the final object."""
        steps: list[Any] = [message(thinking=r) for r in reasoning]
        steps += [message(p) for p in pieces]
        steps.append(final(usage.get("prompt_eval_count"), usage.get("eval_count", 0), reason=finish or "stop"))
        return self.stream_script(steps)

    def usage_body(self, *, prompt_tokens: int, output_tokens: int) -> dict[str, Any]:
        return {"prompt_eval_count": prompt_tokens, "eval_count": output_tokens}

    def opening(self, text: str) -> list[bytes]:
        return [message(text)]

    def malformed(self) -> bytes:
        return b"{not json\n"

    def error_body(self, status: int, message: str, code: str | None) -> Any:
        return {"error": message}

    def models_body(self, request: RecordedRequest) -> Any:
        return {
            "models": [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2025-01-10T08:00:00.000000000Z",
                    "size": 2019393189,
                    "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
                    "details": {
                        "format": "gguf",
                        "family": "llama",
                        "parameter_size": "3.2B",
                        "quantization_level": "Q4_K_M",
                    },
                }
                for m in self.models
            ]
        }

    def last_user_text(self, body: Any) -> str:
        return [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
