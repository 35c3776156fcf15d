"""The Anthropic messages provider against a local server speaking its event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.errors import ContextLengthError, RateLimitError, ServerError
from mmchat.types import Finish, ReasoningDelta, TextDelta, Usage
from tests.servers import AnthropicServer, Script
from tests.servers.anthropic import error_event, event, message_delta, message_start, text_delta
from tests.servers.client import ask, collect, text_of

KEY = "sk-ant-api03-test-0123456789"


@pytest.fixture
async def provider(anthropic_server: AnthropicServer) -> AsyncIterator[Provider]:
    built = build_provider(anthropic_server.config("claude"), KEY)
    yield built
    await built.aclose()


async def test_streams_text_usage_and_finish(anthropic_server: AnthropicServer, provider: Provider) -> None:
    anthropic_server.reply_text("Hello there, world", usage={"input_tokens": 25, "output_tokens": 15})
    events = await collect(provider)
    assert text_of(events) == "Hello there, world"
    assert events[-2:] == [Usage(input_tokens=25, output_tokens=15), Finish("stop")]


async def test_request_body_and_headers(anthropic_server: AnthropicServer, provider: Provider) -> None:
    request = ask(
        "Hi", model="claude-sonnet-4-20250514", system="Be brief", temperature=0.5, top_p=0.8, stop="END", seed=3
    )
    await collect(provider, request)
    sent = anthropic_server.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    assert sent.json == {
        "model": "claude-sonnet-4-20250514",
        "system": "Be brief",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 4096,
        "stream": True,
        "temperature": 0.5,
        "top_p": 0.8,
        "stop_sequences": ["END"],
    }


async def test_max_tokens_is_passed_when_given(anthropic_server: AnthropicServer, provider: Provider) -> None:
    await collect(provider, ask(max_tokens=100))
    assert anthropic_server.requests[-1].json["max_tokens"] == 100


async def test_cache_counts_are_additive_input(anthropic_server: AnthropicServer, provider: Provider) -> None:
    usage = {
        "input_tokens": 10,
        "cache_creation_input_tokens": 200,
        "cache_read_input_tokens": 3000,
        "output_tokens": 7,
    }
    anthropic_server.reply_text("ok", usage=usage)
    found = [e for e in await collect(provider) if isinstance(e, Usage)]
    assert found == [Usage(input_tokens=10, cache_write_tokens=200, cached_input_tokens=3000, output_tokens=7)]
    assert found[0].total_input == 3210


async def test_cumulative_output_tokens_take_the_last_value(
    anthropic_server: AnthropicServer, provider: Provider
) -> None:
    steps = [
        message_start({"input_tokens": 30, "output_tokens": 1}),
        event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        text_delta("Hi"),
        message_delta(None, 5),
        text_delta(" there"),
        event("content_block_stop", index=0),
        message_delta("end_turn", 12),
        event("message_stop"),
    ]
    anthropic_server.enqueue(anthropic_server.stream_script(steps))
    events = await collect(provider)
    assert events == [TextDelta("Hi"), TextDelta(" there"), Usage(input_tokens=30, output_tokens=12), Finish("stop")]


async def test_thinking_deltas_are_reasoning(anthropic_server: AnthropicServer, provider: Provider) -> None:
    usage = {"input_tokens": 5, "output_tokens": 40}
    anthropic_server.reply_text("Four.", chunks=1, reasoning="Two plus two", usage=usage)
    events = await collect(provider)
    assert events[:2] == [ReasoningDelta("Two plus two"), TextDelta("Four.")]


@pytest.mark.parametrize(
    ("wire", "normal"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "pause_turn"),
    ],
)
async def test_stop_reasons_are_normalised(
    anthropic_server: AnthropicServer, provider: Provider, wire: str, normal: str
) -> None:
    anthropic_server.reply_text("x", finish=wire)
    assert (await collect(provider))[-1] == Finish(normal)


async def test_overloaded_error_event_mid_stream(
    anthropic_server: AnthropicServer, provider: Provider
) -> None:
    steps = [*anthropic_server.opening("Hi"), error_event("overloaded_error", "Overloaded")]
    anthropic_server.enqueue(anthropic_server.stream_script(steps))
    seen = []
    with pytest.raises(ServerError, match="Overloaded") as info:
        async for item in provider.stream(ask()):
            seen.append(item)
    assert seen == [TextDelta("Hi")] and info.value.retryable and info.value.status == 529


async def test_rate_limit_error_event(anthropic_server: AnthropicServer, provider: Provider) -> None:
    steps = [
        message_start({"input_tokens": 1, "output_tokens": 1}),
        error_event("rate_limit_error", "Too many requests"),
    ]
    anthropic_server.enqueue(anthropic_server.stream_script(steps))
    with pytest.raises(RateLimitError):
        await collect(provider)


async def test_prompt_too_long_is_a_context_length_error(
    anthropic_server: AnthropicServer, provider: Provider
) -> None:
    anthropic_server.reply_error(400, "prompt is too long: 208310 tokens > 200000 maximum")
    with pytest.raises(ContextLengthError, match="208310 tokens"):
        await collect(provider)


async def test_ping_events_and_unknown_events_are_ignored(
    anthropic_server: AnthropicServer, provider: Provider
) -> None:
    steps = [
        *anthropic_server.opening("A"),
        event("ping"),
        event("content_block_delta", index=0, delta={"type": "citations_delta", "citation": {}}),
        event("some_future_event", detail=1),
        text_delta("B"),
        message_delta("end_turn", 2),
        event("message_stop"),
    ]
    anthropic_server.enqueue(anthropic_server.stream_script(steps))
    assert text_of(await collect(provider)) == "AB"


async def test_list_models_follows_pages(anthropic_server: AnthropicServer, provider: Provider) -> None:
    def page(model: str, more: bool) -> dict[str, object]:
        return {"data": [{"type": "model", "id": model}], "has_more": more, "first_id": model, "last_id": model}

    first, second = page("claude-a", True), page("claude-b", False)
    anthropic_server.enqueue(Script.json(200, first), Script.json(200, second))
    assert await provider.list_models() == ["claude-a", "claude-b"]
    assert anthropic_server.requests[-1].query == {"limit": "1000", "after_id": "claude-a"}
