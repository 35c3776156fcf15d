"""Failures of every kind, for each of the four protocols, over real sockets."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from email.utils import formatdate

import pytest

from mmchat.config import Timeouts
from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    ConnectionDropped,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
    UnreachableError,
)
from mmchat.types import TextDelta
from tests.servers import DROP, AnthropicServer, GeminiServer, OllamaServer, OpenAIServer, Script, sleep
from tests.servers.client import ask, collect
from tests.servers.core import ScriptedServer
from tests.servers.sockets import closed_port, unanswered_port

KEY = "sk-live-0123456789abcdef"
RELAXED = Timeouts(connect=5.0, first_token=10.0, idle=10.0)


@pytest.fixture(params=[OpenAIServer, AnthropicServer, GeminiServer, OllamaServer], ids=lambda c: c.protocol)
def server(request: pytest.FixtureRequest) -> Iterator[ScriptedServer]:
    with request.param() as started:
        yield started


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[Provider]:
    built = build_provider(server.config("acme", timeouts=RELAXED), KEY)
    yield built
    await built.aclose()


async def fail(provider: Provider, model: str = "test-model") -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await collect(provider, ask(model=model))
    assert KEY not in str(info.value)
    return info.value


async def test_401_is_an_auth_error_naming_the_provider_and_its_reason(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply_error(401, "The key you sent is not valid")
    error = await fail(provider)
    assert isinstance(error, AuthError) and not error.retryable
    assert error.status == 401
    assert str(error).startswith("acme: ")
    assert "The key you sent is not valid" in str(error) and "API key" in str(error)


async def test_403_is_an_auth_error(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(403, "Your key may not use this model")
    error = await fail(provider)
    assert isinstance(error, AuthError) and "permission" in str(error)


async def test_a_wrong_key_refused_the_way_the_service_does_is_an_auth_error(server: ScriptedServer) -> None:
    server.api_key = "the-right-key"
    provider = build_provider(server.config(timeouts=RELAXED), "a-wrong-key")
    error = await fail(provider)
    assert isinstance(error, AuthError)  # Gemini answers 400 API_KEY_INVALID; still an auth error
    await provider.aclose()


async def test_429_carries_retry_after_in_seconds(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(429, "Rate limit reached", headers={"Retry-After": "7"})
    error = await fail(provider)
    assert isinstance(error, RateLimitError) and error.retryable
    assert error.retry_after == 7.0
    assert "Rate limit reached" in str(error)


async def test_429_carries_retry_after_given_as_an_http_date(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply_error(429, "slow down", headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    error = await fail(provider)
    assert isinstance(error, RateLimitError)
    assert error.retry_after is not None and 100 < error.retry_after <= 120


async def test_429_prefers_retry_after_ms(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(429, "slow down", headers={"retry-after-ms": "1500", "Retry-After": "2"})
    error = await fail(provider)
    assert isinstance(error, RateLimitError) and error.retry_after == 1.5


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_a_retryable_server_error(
    server: ScriptedServer, provider: Provider, status: int
) -> None:
    server.reply_error(status, "Internal failure, sorry")
    error = await fail(provider)
    assert isinstance(error, ServerError) and error.retryable and error.status == status
    assert "Internal failure, sorry" in str(error)


async def test_529_overloaded_is_a_server_error(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(529, "Overloaded")
    error = await fail(provider)
    assert isinstance(error, ServerError) and "overloaded" in str(error).lower()


async def test_an_html_error_page_is_reported_plainly(server: ScriptedServer, provider: Provider) -> None:
    server.enqueue(Script(502, {"Content-Type": "text/html"}, [b"<html><body>Bad Gateway</body></html>"], "length"))
    error = await fail(provider)
    assert isinstance(error, ServerError) and "HTML" in str(error)


async def test_other_4xx_is_a_bad_request_quoting_the_provider(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply_error(400, "temperature: must be at most 2")
    error = await fail(provider)
    assert type(error) is BadRequestError and not error.retryable
    assert "temperature: must be at most 2" in str(error)


async def test_404_says_which_model_was_not_found(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(404, "model does not exist")
    error = await fail(provider, model="no-such-model")
    assert isinstance(error, BadRequestError) and error.status == 404
    assert "not found" in str(error) and "no-such-model" in str(error)


async def test_a_long_provider_message_is_truncated(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(400, "x" * 5000)
    error = await fail(provider)
    assert len(str(error)) < 300


async def test_the_api_key_never_appears_in_an_error(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(401, f"Incorrect API key provided: {KEY}.")
    error = await fail(provider)
    assert "***" in str(error) and KEY not in error.message


async def test_malformed_json_in_the_stream_is_a_bad_response(
    server: ScriptedServer, provider: Provider
) -> None:
    server.enqueue(server.stream_script([*server.opening("Hi"), server.malformed()]))
    seen: list[object] = []
    with pytest.raises(BadResponseError):
        async for event in provider.stream(ask()):
            seen.append(event)
    assert seen == [TextDelta("Hi")]


async def test_a_json_body_instead_of_a_stream_is_reported(
    server: ScriptedServer, provider: Provider
) -> None:
    server.enqueue(Script.json(200, {"unexpected": True}))
    assert isinstance(await fail(provider), BadResponseError)


async def test_connection_refused_is_unreachable(server: ScriptedServer) -> None:
    config = replace(server.config("acme", timeouts=RELAXED), base_url=f"http://127.0.0.1:{closed_port()}")
    provider = build_provider(config, KEY)
    error = await fail(provider)
    assert isinstance(error, UnreachableError) and error.retryable
    assert "127.0.0.1" in str(error)
    await provider.aclose()


async def test_a_connect_that_hangs_times_out_in_the_connect_phase(server: ScriptedServer) -> None:
    with unanswered_port() as port:
        timeouts = Timeouts(connect=0.2, first_token=10.0, idle=10.0)
        config = replace(server.config("acme", timeouts=timeouts), base_url=f"http://127.0.0.1:{port}")
        provider = build_provider(config, KEY)
        error = await fail(provider)
        await provider.aclose()
    assert isinstance(error, ProviderTimeout) and error.phase == "connect"


async def test_a_drop_mid_stream_is_connection_dropped_after_the_text_so_far(
    server: ScriptedServer, provider: Provider
) -> None:
    server.enqueue(server.stream_script([*server.opening("Partial"), DROP]))
    seen: list[object] = []
    with pytest.raises(ConnectionDropped):
        async for event in provider.stream(ask()):
            seen.append(event)
    assert seen == [TextDelta("Partial")]


async def test_a_body_that_ends_without_the_finish_marker_is_connection_dropped(
    server: ScriptedServer, provider: Provider
) -> None:
    server.enqueue(server.stream_script(server.opening("Partial"), framing="close"))
    error = await fail(provider)
    assert isinstance(error, ConnectionDropped) and error.retryable


@pytest.mark.parametrize("before_headers", [True, False], ids=["before-headers", "after-headers"])
async def test_a_stall_before_the_first_token_times_out(server: ScriptedServer, before_headers: bool) -> None:
    if before_headers:
        server.enqueue(Script(delay=10.0))
    else:
        server.enqueue(server.stream_script([sleep(10.0)]))
    timeouts = Timeouts(connect=5.0, first_token=0.2, idle=10.0)
    provider = build_provider(server.config(timeouts=timeouts), KEY)
    error = await fail(provider)
    await provider.aclose()
    assert isinstance(error, ProviderTimeout) and error.phase == "first_token" and error.retryable
    assert "0.2s" in str(error)
    assert await server.wait_disconnected()


async def test_a_stall_mid_stream_times_out_as_idle(server: ScriptedServer) -> None:
    server.enqueue(server.stream_script([*server.opening("Hi"), sleep(10.0)]))
    provider = build_provider(server.config(timeouts=Timeouts(connect=5.0, first_token=10.0, idle=0.2)), KEY)
    seen: list[object] = []
    with pytest.raises(ProviderTimeout) as info:
        async for event in provider.stream(ask()):
            seen.append(event)
    await provider.aclose()
    assert info.value.phase == "idle" and seen == [TextDelta("Hi")]
    assert await server.wait_disconnected()


async def test_closing_the_stream_closes_the_connection(server: ScriptedServer, provider: Provider) -> None:
    server.enqueue(server.stream_script([*server.opening("Hi"), sleep(10.0), *server.opening("never")]))
    async with aclosing(provider.stream(ask())) as events:
        async for event in events:
            assert event == TextDelta("Hi")
            break
    assert await server.wait_disconnected()


async def test_cancelling_the_task_closes_the_connection(server: ScriptedServer, provider: Provider) -> None:
    server.enqueue(server.stream_script([*server.opening("Hi"), sleep(10.0)]))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(ask()):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await server.wait_disconnected()


async def test_the_key_travels_in_a_header_never_in_the_url(
    server: ScriptedServer, provider: Provider
) -> None:
    await collect(provider)
    await provider.list_models()
    assert len(server.requests) == 2
    for request in server.requests:
        assert KEY not in request.target
        assert any(KEY in value for value in request.headers.values())


async def test_no_key_means_no_auth_header(server: ScriptedServer) -> None:
    provider = build_provider(server.config(timeouts=RELAXED), None)
    await collect(provider)
    headers = server.requests[-1].headers
    assert not {"authorization", "x-api-key", "x-goog-api-key"} & headers.keys()
    await provider.aclose()


async def test_configured_headers_go_with_every_request(server: ScriptedServer) -> None:
    config = server.config(timeouts=RELAXED, headers={"X-Team": "blue"})
    provider = build_provider(config, KEY)
    await collect(provider)
    await provider.list_models()
    assert [r.headers.get("x-team") for r in server.requests] == ["blue", "blue"]
    await provider.aclose()


async def test_a_trailing_slash_on_base_url_is_tolerated(server: ScriptedServer) -> None:
    config = replace(server.config("acme", timeouts=RELAXED), base_url=server.base_url + "/")
    provider = build_provider(config, KEY)
    events = await collect(provider, ask("ping"))
    assert "You said: ping" == "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "//" not in server.requests[-1].path
    await provider.aclose()


async def test_list_models_returns_the_ids(server: ScriptedServer, provider: Provider) -> None:
    server.models = ["alpha", "beta"]
    assert await provider.list_models() == ["alpha", "beta"]


async def test_list_models_errors_are_typed(server: ScriptedServer, provider: Provider) -> None:
    server.reply_error(401, f"bad key {KEY}")
    with pytest.raises(AuthError) as info:
        await provider.list_models()
    assert KEY not in str(info.value)


async def test_list_models_is_bounded_in_time(server: ScriptedServer) -> None:
    server.enqueue(Script(delay=10.0))
    provider = build_provider(server.config(timeouts=Timeouts(connect=1.0, first_token=0.2, idle=0.2)), KEY)
    with pytest.raises(ProviderTimeout):
        await provider.list_models()
    await provider.aclose()


async def test_list_models_refused_is_unreachable(server: ScriptedServer) -> None:
    config = replace(server.config("acme", timeouts=RELAXED), base_url=f"http://127.0.0.1:{closed_port()}")
    provider = build_provider(config, KEY)
    with pytest.raises(UnreachableError):
        await provider.list_models()
    await provider.aclose()


async def test_list_models_garbage_is_a_bad_response(server: ScriptedServer, provider: Provider) -> None:
    server.enqueue(Script(200, {"Content-Type": "application/json"}, [b"{not json"], "length"))
    with pytest.raises(BadResponseError):
        await provider.list_models()


async def test_secret_header_values_are_redacted_too(server: ScriptedServer) -> None:
    config = server.config(timeouts=RELAXED, headers={"X-Proxy-Token": "proxy-secret-42"})
    provider = build_provider(config, None)
    server.reply_error(403, "token proxy-secret-42 may not call this")
    error = await fail(provider)
    assert "proxy-secret-42" not in str(error) and "***" in str(error)
    await provider.aclose()
