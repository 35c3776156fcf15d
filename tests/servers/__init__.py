"""Local servers speaking each provider's wire format, for tests over real sockets.

    with OpenAIServer() as server:
        server.reply_text("Hello world", chunks=3)
        provider = build_provider(server.config(), "sk-test")
        ...
        server.requests[-1].headers["authorization"]

With nothing queued a server echoes "You said: <last user message>".
"""

from __future__ import annotations

from tests.servers.anthropic import AnthropicServer
from tests.servers.core import DROP, RecordedRequest, Script, ScriptedServer, sleep, split_text
from tests.servers.gemini import GeminiServer
from tests.servers.ollama import OllamaServer
from tests.servers.openai import OpenAIServer

__all__ = [
    "DROP",
    "AnthropicServer",
    "GeminiServer",
    "OllamaServer",
    "OpenAIServer",
    "RecordedRequest",
    "Script",
    "ScriptedServer",
    "sleep",
    "split_text",
]
