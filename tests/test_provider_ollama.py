"""The Ollama provider against a local server speaking `/api/chat` NDJSON."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.errors import BadRequestError, ServerError
from mmchat.types import Finish, ReasoningDelta, TextDelta, Usage
from tests.servers import OllamaServer
from tests.servers.client import ask, collect, text_of
from tests.servers.ollama import final, line, message


@pytest.fixture
async def provider(ollama_server: OllamaServer) -> AsyncIterator[Provider]:
    built = build_provider(ollama_server.config("local"), None)
    yield built
    await built.aclose()


async def test_streams_text_and_the_final_counts(ollama_server: OllamaServer, provider: Provider) -> None:
    ollama_server.reply_text("Hello there, world", usage={"prompt_eval_count": 26, "eval_count": 282})
    events = await collect(provider)
    assert events == [
        TextDelta("Hello "),
        TextDelta("there, "),
        TextDelta("world"),
        Usage(input_tokens=26, output_tokens=282),
        Finish("stop"),
    ]


async def test_request_body_maps_params_to_options(ollama_server: OllamaServer, provider: Provider) -> None:
    params = {"max_tokens": 20, "temperature": 0.1, "top_p": 0.5, "stop": "END", "seed": 4, "num_ctx": 8192}
    await collect(provider, ask("Hi", model="llama3.2", system="Be brief", think=True, **params))
    sent = ollama_server.requests[-1]
    assert sent.path == "/api/chat" and "authorization" not in sent.headers
    assert sent.json == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
        "stream": True,
        "think": True,
        "options": {"num_predict": 20, "temperature": 0.1, "top_p": 0.5, "stop": ["END"], "seed": 4, "num_ctx": 8192},
    }


async def test_a_key_is_sent_as_bearer_for_a_proxy(ollama_server: OllamaServer) -> None:
    provider = build_provider(ollama_server.config(), "proxy-token-123")
    await collect(provider)
    assert ollama_server.requests[-1].headers["authorization"] == "Bearer proxy-token-123"
    await provider.aclose()


async def test_a_missing_prompt_count_means_zero_input(
    ollama_server: OllamaServer, provider: Provider
) -> None:
    ollama_server.enqueue(ollama_server.stream_script([message("ok"), final(None, 3)]))
    assert (await collect(provider))[-2] == Usage(input_tokens=0, output_tokens=3)


async def test_thinking_is_reasoning(ollama_server: OllamaServer, provider: Provider) -> None:
    ollama_server.reply_text("Four.", chunks=1, reasoning="two and two")
    events = await collect(provider)
    assert events[:2] == [ReasoningDelta("two and two"), TextDelta("Four.")]


async def test_done_reason_length(ollama_server: OllamaServer, provider: Provider) -> None:
    ollama_server.reply_text("cut", finish="length")
    assert (await collect(provider))[-1] == Finish("length")


async def test_blank_lines_and_a_final_line_without_newline(
    ollama_server: OllamaServer, provider: Provider
) -> None:
    steps = [b"\n", message("a"), b"\n\n", message("b")[:10], message("b")[10:], final(4, 2).rstrip(b"\n")]
    ollama_server.enqueue(ollama_server.stream_script(steps, framing="close"))
    events = await collect(provider)
    assert text_of(events) == "ab" and events[-1] == Finish("stop")


async def test_an_error_line_mid_stream(ollama_server: OllamaServer, provider: Provider) -> None:
    error = line({"error": "an error was encountered while running the model: unexpected EOF"})
    ollama_server.enqueue(ollama_server.stream_script([message("a"), error]))
    with pytest.raises(ServerError, match="unexpected EOF"):
        await collect(provider)


async def test_an_unknown_model_says_so(ollama_server: OllamaServer, provider: Provider) -> None:
    ollama_server.reply_error(404, 'model "llama9" not found, try pulling it first')
    with pytest.raises(BadRequestError, match="llama9") as info:
        await collect(provider, ask(model="llama9"))
    assert "not found" in str(info.value)


async def test_list_models_reads_tags(ollama_server: OllamaServer, provider: Provider) -> None:
    assert await provider.list_models() == ["llama3.2:latest", "qwen3:0.6b"]
    assert ollama_server.requests[-1].path == "/api/tags"
