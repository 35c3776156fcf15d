"""The OpenAI chat completions provider against a local server speaking its format."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.errors import ConnectionDropped, ContextLengthError, RateLimitError, ServerError
from mmchat.types import Finish, ReasoningDelta, TextDelta, Usage
from tests.servers import OpenAIServer
from tests.servers.client import ask, collect, text_of
from tests.servers.openai import DONE, chunk, sse, usage_body

KEY = "sk-proj-test-0123456789"


@pytest.fixture
async def provider(openai_server: OpenAIServer) -> AsyncIterator[Provider]:
    built = build_provider(openai_server.config("oai"), KEY)
    yield built
    await built.aclose()


async def test_streams_text_then_one_usage_then_finish(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    openai_server.reply_text("Hello there, world", chunks=3, usage=usage_body(21, 4))
    events = await collect(provider)
    assert events[:3] == [TextDelta("Hello "), TextDelta("there, "), TextDelta("world")]
    assert events[3:] == [Usage(input_tokens=21, output_tokens=4), Finish("stop")]


async def test_request_body_and_headers(openai_server: OpenAIServer, provider: Provider) -> None:
    request = ask(
        "Hi", model="gpt-4o-mini", system="Be brief", temperature=0.3, top_p=0.9, max_tokens=50, stop=["\n"], seed=7
    )
    await collect(provider, request)
    sent = openai_server.requests[-1]
    assert sent.method == "POST" and sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.json == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 50,
        "stop": ["\n"],
        "seed": 7,
    }


async def test_default_reply_echoes_the_last_user_message(provider: Provider) -> None:
    events = await collect(provider, ask("what is 2+2?"))
    assert text_of(events) == "You said: what is 2+2?"
    assert isinstance(events[-2], Usage) and events[-2].input_tokens > 0
    assert events[-1] == Finish("stop")


async def test_usage_on_a_chunk_that_still_has_choices(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    openai_server.reply_text("ok", usage=usage_body(9, 1), usage_on_choice=True)
    events = await collect(provider)
    assert events[-2:] == [Usage(input_tokens=9, output_tokens=1), Finish("stop")]


async def test_cached_and_reasoning_tokens_are_subsets(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    openai_server.reply_text("ok", usage=usage_body(1000, 300, cached=800, reasoning=250))
    usage = [e for e in await collect(provider) if isinstance(e, Usage)]
    assert usage == [Usage(input_tokens=200, cached_input_tokens=800, output_tokens=50, reasoning_tokens=250)]
    assert usage[0].total_input == 1000 and usage[0].total_output == 300


async def test_deepseek_cache_hit_tokens_count_as_cached(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 5,
        "prompt_cache_hit_tokens": 64,
        "prompt_cache_miss_tokens": 36,
    }
    openai_server.reply_text("ok", usage=usage)
    found = [e for e in await collect(provider) if isinstance(e, Usage)]
    assert found == [Usage(input_tokens=36, cached_input_tokens=64, output_tokens=5)]


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_deltas(openai_server: OpenAIServer, provider: Provider, field: str) -> None:
    openai_server.reply_text("42", chunks=1, reasoning="Let me think", reasoning_field=field)
    events = await collect(provider)
    assert [e for e in events if isinstance(e, (TextDelta, ReasoningDelta))] == [
        ReasoningDelta("Let me think"),
        TextDelta("42"),
    ]


@pytest.mark.parametrize(
    ("wire", "normal"),
    [
        ("length", "length"),
        ("content_filter", "content_filter"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("eos", "eos"),
    ],
)
async def test_finish_reasons_are_normalised(
    openai_server: OpenAIServer, provider: Provider, wire: str, normal: str
) -> None:
    openai_server.reply_text("cut", finish=wire)
    assert (await collect(provider))[-1] == Finish(normal)


async def test_done_without_a_finish_reason_is_a_drop(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    openai_server.enqueue(openai_server.stream_script([chunk(role=True), chunk(content="Hi"), DONE]))
    with pytest.raises(ConnectionDropped):
        await collect(provider)


async def test_finish_then_close_without_done_still_finishes(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    steps = [chunk(role=True), chunk(content="Hi"), chunk(finish="stop")]
    openai_server.enqueue(openai_server.stream_script(steps, framing="close"))
    events = await collect(provider)
    assert events == [TextDelta("Hi"), Finish("stop")]  # no usage reported: none invented


async def test_an_error_object_mid_stream_is_typed(openai_server: OpenAIServer, provider: Provider) -> None:
    message = "The server had an error while processing your request."
    error = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    openai_server.enqueue(openai_server.stream_script([chunk(role=True), chunk(content="Hi"), sse(error)]))
    with pytest.raises(ServerError, match="server had an error"):
        await collect(provider)


async def test_a_gateway_error_mid_stream_uses_its_status_code(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    error = {"error": {"code": 429, "message": "Provider returned error: rate-limited upstream"}}
    openai_server.enqueue(openai_server.stream_script([chunk(role=True), sse(error)]))
    with pytest.raises(RateLimitError, match="rate-limited upstream"):
        await collect(provider)


async def test_context_length_exceeded(openai_server: OpenAIServer, provider: Provider) -> None:
    openai_server.reply_error(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        code="context_length_exceeded",
    )
    with pytest.raises(ContextLengthError, match="maximum context length is 128000"):
        await collect(provider)


async def test_many_tokens_arrive_complete(openai_server: OpenAIServer, provider: Provider) -> None:
    openai_server.reply_tokens(2000, batch=7)
    events = await collect(provider)
    assert len([e for e in events if isinstance(e, TextDelta)]) == 2000
    assert events[-2:] == [Usage(input_tokens=12, output_tokens=2000), Finish("stop")]


async def test_connections_are_reused_after_a_complete_answer(
    openai_server: OpenAIServer, provider: Provider
) -> None:
    for _ in range(3):
        await collect(provider)
    # The same client port each time: the body was read to its end and the connection kept.
    assert len({request.client_port for request in openai_server.requests}) == 1


async def test_a_shared_client_is_used_and_left_open(openai_server: OpenAIServer) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        provider = build_provider(openai_server.config(), KEY, client)
        await collect(provider)
        await provider.aclose()
        assert not client.is_closed
        assert (await client.get(openai_server.base_url + "/models")).status_code == 200


async def test_list_models(openai_server: OpenAIServer, provider: Provider) -> None:
    assert await provider.list_models() == ["gpt-4o-mini", "gpt-4o", "o3-mini"]
    assert openai_server.requests[-1].path == "/v1/models"


def test_openai_itself_gets_max_completion_tokens_other_servers_max_tokens() -> None:
    # OpenAI's reasoning models refuse max_tokens; compatible servers mostly know only it.
    from mmchat.config import ProviderConfig

    request = ask("Hi", model="o4-mini", max_tokens=50, temperature=1)
    official = build_provider(ProviderConfig(name="openai", type="openai", base_url="https://api.openai.com/v1"), KEY)
    other = build_provider(ProviderConfig(name="lab", type="openai", base_url="http://127.0.0.1:8080/v1"), None)
    body = official._body(request)
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body and body["temperature"] == 1
    assert other._body(request)["max_tokens"] == 50 and "max_completion_tokens" not in other._body(request)
