"""A local server speaking the Gemini API's `streamGenerateContent?alt=sse` format.

Each SSE event (CRLF line endings, as the service sends) carries a whole
GenerateContentResponse: candidates[0].content.parts (thought parts marked
`thought: true`), a finishReason on the last one, and `usageMetadata` on
every chunk, growing as the answer does. There is no end-of-stream event.
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.core import RecordedRequest, Script, ScriptedServer

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
MODEL = "gemini-2.5-flash"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\r\n\r\n"


def chunk(
    text: str | None = None,
    *,
    thought: bool = False,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    model: str = MODEL,
) -> bytes:
    candidate: dict[str, Any] = {"content": {"parts": [], "role": "model"}, "index": 0}
    if text is not None:
        part: dict[str, Any] = {"text": text}
        if thought:
            part["thought"] = True
        candidate["content"]["parts"].append(part)
    if finish:
        candidate["finishReason"] = finish
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": "mKdgaLyqHMDvnvgPrtfPqQk"}
    if usage is not None:
        body["usageMetadata"] = usage
    return sse(body)


def usage_body(prompt: int, candidates: int, *, cached: int = 0, thoughts: int = 0) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


class GeminiServer(ScriptedServer):
    protocol = "gemini"
    stream_headers = SSE_HEADERS
    base_path = "/v1beta"
    default_models = (MODEL, "gemini-2.5-pro")

    def route(self, request: RecordedRequest) -> str | None:
        if (
            request.method == "POST"
            and request.path.startswith("/v1beta/models/")
            and request.path.endswith(":streamGenerateContent")
        ):
            return "stream"
        if request.method == "GET" and request.path == "/v1beta/models":
            return "models"
        return None

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("x-goog-api-key") == self.api_key

    def unauthorized(self) -> Script:
        # The service answers a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
        body = self.error_body(400, "API key not valid. Please pass a valid API key.", None)
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ]
        return Script.json(400, body)

    def text_script(
        self,
        pieces: list[str],
        *,
        usage: dict[str, Any],
        reasoning: list[str],
        finish: str | None,
        **options: Any,
    ) -> Script:
        """`usage` is the final usageMetadata; earlier chunks carry only the prompt count."""
        prompt = usage.get("promptTokenCount", 0)
        early = {"promptTokenCount": prompt, "totalTokenCount": prompt}
        steps: list[Any] = [chunk(r, thought=True, usage=early) for r in reasoning]
        steps += [chunk(p, usage=early) for p in pieces[:-1]]
        steps.append(chunk(pieces[-1] if pieces else "", finish=finish or "STOP", usage=usage))
        return self.stream_script(steps)

    def usage_body(self, *, prompt_tokens: int, output_tokens: int) -> dict[str, Any]:
        return usage_body(prompt_tokens, output_tokens)

    def opening(self, text: str) -> list[bytes]:
        return [chunk(text, usage={"promptTokenCount": 10, "totalTokenCount": 10})]

    def error_body(self, status: int, message: str, code: str | None) -> Any:
        return {"error": {"code": status, "message": message, "status": code or STATUS_NAMES.get(status, "UNKNOWN")}}

    page_size: int | None = None  # when set, the listing is paginated with nextPageToken

    def models_body(self, request: RecordedRequest) -> Any:
        start = int(request.query.get("pageToken") or 0)
        end = len(self.models) if self.page_size is None else start + self.page_size
        body: dict[str, Any] = {
            "models": [
                {
                    "name": f"models/{m}",
                    "version": "001",
                    "displayName": m,
                    "inputTokenLimit": 1048576,
                    "outputTokenLimit": 65536,
                    "supportedGenerationMethods": (
                        ["embedContent"] if "embedding" in m else ["generateContent", "countTokens"]
                    ),
                }
                for m in self.models[start:end]
            ]
        }
        if end < len(self.models):
            body["nextPageToken"] = str(end)
        return body

    def last_user_text(self, body: Any) -> str:
        content = [c for c in body["contents"] if c.get("role", "user") == "user"][-1]
        return "".join(p.get("text", "") for p in content["parts"])
