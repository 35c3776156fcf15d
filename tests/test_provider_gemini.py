"""The Gemini provider against a local server speaking `streamGenerateContent?alt=sse`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.errors import AuthError, ContextLengthError, RateLimitError, ServerError
from mmchat.types import ChatMessage, ChatRequest, Finish, ReasoningDelta, TextDelta, Usage
from tests.servers import GeminiServer
from tests.servers.client import ask, collect, text_of
from tests.servers.gemini import chunk, sse, usage_body

KEY = "AIzaSyTest0123456789abcdef"


@pytest.fixture
async def provider(gemini_server: GeminiServer) -> AsyncIterator[Provider]:
    built = build_provider(gemini_server.config("google"), KEY)
    yield built
    await built.aclose()


async def test_streams_text_usage_and_finish(gemini_server: GeminiServer, provider: Provider) -> None:
    gemini_server.reply_text("Hello there, world", usage=usage_body(8, 4))
    events = await collect(provider)
    assert events == [
        TextDelta("Hello "),
        TextDelta("there, "),
        TextDelta("world"),
        Usage(input_tokens=8, output_tokens=4),
        Finish("stop"),
    ]


async def test_request_url_body_and_key_header(gemini_server: GeminiServer, provider: Provider) -> None:
    request = ChatRequest(
        model="gemini-2.5-flash",
        messages=(
            ChatMessage("system", "Be brief"),
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "Hello!"),
            ChatMessage("user", "Again"),
        ),
        params={"temperature": 0.2, "top_p": 0.9, "max_tokens": 64, "stop": "END", "seed": 1, "topK": 5},
    )
    await collect(provider, request)
    sent = gemini_server.requests[-1]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.query == {"alt": "sse"}
    assert sent.headers["x-goog-api-key"] == KEY and KEY not in sent.target
    assert sent.json == {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello!"}]},
            {"role": "user", "parts": [{"text": "Again"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief"}]},
        "generationConfig": {
            "temperature": 0.2,
            "topP": 0.9,
            "maxOutputTokens": 64,
            "stopSequences": ["END"],
            "seed": 1,
            "topK": 5,
        },
    }


async def test_a_models_prefix_on_the_model_id_is_not_doubled(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    await collect(provider, ask(model="models/gemini-2.5-pro"))
    assert gemini_server.requests[-1].path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent"


async def test_usage_metadata_on_several_chunks_takes_the_last(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    steps = [
        chunk("A", usage=usage_body(50, 1)),
        chunk("B", usage=usage_body(50, 2)),
        chunk("C", finish="STOP", usage=usage_body(50, 3)),
    ]
    gemini_server.enqueue(gemini_server.stream_script(steps))
    events = await collect(provider)
    assert [e for e in events if isinstance(e, Usage)] == [Usage(input_tokens=50, output_tokens=3)]


async def test_usage_after_the_finish_chunk_is_still_read(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    steps = [
        chunk("A", finish="STOP", usage=usage_body(5, 1)),
        sse({"candidates": [], "usageMetadata": usage_body(5, 2)}),
    ]
    gemini_server.enqueue(gemini_server.stream_script(steps))
    assert (await collect(provider))[-2] == Usage(input_tokens=5, output_tokens=2)


async def test_cached_prompt_is_a_subset_and_thoughts_are_separate(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    gemini_server.reply_text("ok", usage=usage_body(1000, 20, cached=600, thoughts=300))
    found = [e for e in await collect(provider) if isinstance(e, Usage)]
    assert found == [Usage(input_tokens=400, cached_input_tokens=600, output_tokens=20, reasoning_tokens=300)]


async def test_thought_parts_are_reasoning(gemini_server: GeminiServer, provider: Provider) -> None:
    gemini_server.reply_text("Four.", chunks=1, reasoning="Adding two and two", usage=usage_body(5, 2, thoughts=9))
    events = await collect(provider)
    assert events[:2] == [ReasoningDelta("Adding two and two"), TextDelta("Four.")]


@pytest.mark.parametrize(
    ("wire", "normal"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "MALFORMED_FUNCTION_CALL"),
    ],
)
async def test_finish_reasons_are_normalised(
    gemini_server: GeminiServer, provider: Provider, wire: str, normal: str
) -> None:
    gemini_server.reply_text("x", finish=wire)
    assert (await collect(provider))[-1] == Finish(normal)


async def test_a_blocked_prompt_finishes_as_content_filter(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    blocked = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage_body(12, 0)}
    gemini_server.enqueue(gemini_server.stream_script([sse(blocked)]))
    assert await collect(provider) == [Usage(input_tokens=12), Finish("content_filter")]


async def test_an_invalid_key_is_an_auth_error(gemini_server: GeminiServer) -> None:
    gemini_server.api_key = "the-right-one"
    provider = build_provider(gemini_server.config(), "AIzaWrongKey123")
    with pytest.raises(AuthError, match="API key not valid"):
        await collect(provider)
    await provider.aclose()


async def test_resource_exhausted_is_a_rate_limit(gemini_server: GeminiServer, provider: Provider) -> None:
    gemini_server.reply_error(429, "Resource has been exhausted (e.g. check quota).")
    with pytest.raises(RateLimitError):
        await collect(provider)


async def test_input_too_long_is_a_context_length_error(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    gemini_server.reply_error(
        400, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
    )
    with pytest.raises(ContextLengthError):
        await collect(provider)


async def test_an_error_object_in_the_stream(gemini_server: GeminiServer, provider: Provider) -> None:
    error = {
        "error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}
    }
    gemini_server.enqueue(gemini_server.stream_script([chunk("Hi"), sse(error)]))
    with pytest.raises(ServerError, match="overloaded"):
        await collect(provider)


async def test_list_models_follows_page_tokens_and_skips_non_chat_models(
    gemini_server: GeminiServer, provider: Provider
) -> None:
    gemini_server.models = ["gemini-a", "text-embedding-004", "gemini-b", "gemini-c"]
    gemini_server.page_size = 2
    assert await provider.list_models() == ["gemini-a", "gemini-b", "gemini-c"]
    pages = [r.query for r in gemini_server.requests]
    assert pages == [{"pageSize": "1000"}, {"pageSize": "1000", "pageToken": "2"}]
    assert all(KEY not in r.target for r in gemini_server.requests)


async def test_default_reply_echoes(provider: Provider) -> None:
    assert text_of(await collect(provider, ask("bonjour"))) == "You said: bonjour"
