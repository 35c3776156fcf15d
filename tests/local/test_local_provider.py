"""LocalProvider against the real embedded model: streaming, usage, cancellation, history,
the context limit, one request at a time, the secured listener, a `path:` model, freeing it."""

from __future__ import annotations

import asyncio
import os
import stat
import time

import httpx
import pytest

from mmchat.config import ProviderConfig
from mmchat.providers.errors import ContextLengthError
from mmchat.provider_types import LOCAL_CONTEXT
from mmchat.providers.local import LocalProvider, available_cpus
from mmchat.providers.local_model import EMBEDDED, LocalModelError
from mmchat.types import ChatMessage, ChatRequest, Finish, TextDelta, Usage

pytestmark = pytest.mark.local_model

# Stopping is measured in llama.cpp's own work after the stop, not in wall time (which a
# busy machine stretches): at most the token or prompt batch it was computing then.
STOP_WITHIN = 0.5  # seconds of llama.cpp's computing after the stream is closed
STORY = "Write a long story about a dragon who learns to program. Make it at least 600 words."


def request(provider: LocalProvider, *messages: tuple[str, str], **params) -> ChatRequest:
    return ChatRequest(provider.model_id, tuple(ChatMessage(role, text) for role, text in messages), params)


async def answer(provider: LocalProvider, *messages: tuple[str, str], **params) -> list:
    return [event async for event in provider.stream(request(provider, *messages, **params))]


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def wait_until_idle(provider: LocalProvider) -> dict[str, float]:
    """Poll llama.cpp's own counters until it is processing no request; the counters then."""
    deadline = time.perf_counter() + 30
    while True:
        figures = provider.counters()
        if figures["requests_processing"] == 0 or time.perf_counter() > deadline:
            return figures
        await asyncio.sleep(0.02)


def seconds_per_token(provider: LocalProvider) -> float:
    """llama.cpp's own time per generated token in the latest request."""
    timings = provider.last_timings
    assert timings is not None and timings.predicted_tokens > 0
    return timings.predicted_ms / 1000 / timings.predicted_tokens


async def test_a_short_answer_streams_then_usage_and_finish(provider):
    assert await provider.list_models() == [EMBEDDED.id]
    before = provider.counters()
    events = await answer(provider, ("user", "What is the capital of France? Answer with one word."), temperature=0, max_tokens=16)

    *deltas, usage, finish = events
    assert deltas and all(isinstance(e, TextDelta) for e in deltas)
    assert "Paris" in text_of(events)
    assert finish == Finish("stop")
    # Usage is llama.cpp's own count, not an estimate, and agrees with its counters.
    assert isinstance(usage, Usage) and not usage.estimated
    after = provider.counters()
    assert usage.output_tokens == after["tokens_predicted_total"] - before["tokens_predicted_total"] >= 1
    assert usage.total_input > 20  # the chat template's system prompt and the question
    # Its timings: on every chunk, so the last one describes the whole answer.
    timings = provider.last_timings
    assert timings is not None and timings.predicted_tokens == usage.output_tokens
    assert timings.prompt_tokens + timings.cached_tokens == usage.total_input
    assert timings.prompt_ms > 0 and timings.predicted_ms >= 0


async def test_the_defaults_it_runs_with(provider):
    assert provider.context == LOCAL_CONTEXT and provider.threads == 2  # the fixture's threads
    default = LocalProvider(ProviderConfig(name="local", type="local", base_url=""))
    assert default.threads == available_cpus()
    if hasattr(os, "sched_getaffinity"):
        assert available_cpus() == len(os.sched_getaffinity(0))  # the CPUs this process may use
    assert default.model_id == EMBEDDED.id and default.path is None


async def test_closing_the_stream_stops_generation(provider):
    stream = provider.stream(request(provider, ("user", STORY), temperature=0))
    before = provider.counters()
    received = 0
    async for event in stream:
        received += isinstance(event, TextDelta)
        if received == 8:
            break
    await stream.aclose()
    stopped = await wait_until_idle(provider)
    # llama.cpp counted the tokens of the stopped request: the ones received and at most
    # the one or two it was computing when told to stop.
    predicted = stopped["tokens_predicted_total"] - before["tokens_predicted_total"]
    assert received <= predicted <= received + 2
    assert (predicted - received) * seconds_per_token(provider) < STOP_WITHIN
    await asyncio.sleep(0.5)
    later = provider.counters()
    assert later["n_decode_total"] == stopped["n_decode_total"]  # nothing computed since
    assert later["tokens_predicted_total"] == stopped["tokens_predicted_total"]


async def test_cancelling_the_task_stops_generation(provider):
    first_tokens = asyncio.Event()

    async def consume() -> None:
        count = 0
        async for event in provider.stream(request(provider, ("user", STORY), temperature=0)):
            count += isinstance(event, TextDelta)
            if count == 5:
                first_tokens.set()

    before = provider.counters()
    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_tokens.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stopped = await wait_until_idle(provider)
    predicted = stopped["tokens_predicted_total"] - before["tokens_predicted_total"]
    received = provider.last_timings.predicted_tokens  # the last chunk handed over
    assert predicted <= received + 2
    assert (predicted - received) * seconds_per_token(provider) < STOP_WITHIN
    await asyncio.sleep(0.5)
    assert provider.counters()["n_decode_total"] == stopped["n_decode_total"]


async def test_cancelling_while_it_reads_a_long_prompt_stops_it_too(provider):
    long_prompt = "Summarise this text: " + "The quick brown fox jumps over the lazy dog. " * 150  # ~1,500 tokens
    task = asyncio.create_task(answer(provider, ("user", long_prompt)))
    await asyncio.sleep(0.8)  # inside the prompt: ~15 s of it on two threads
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    at_stop = provider.counters()  # llama.cpp answers between two batches of the prompt
    assert at_stop["requests_processing"] == 1  # still inside the prompt when told to stop
    stopped = await wait_until_idle(provider)
    # The batch it was computing and at most the one it had begun: 2 × 16 tokens, ~0.46 s.
    assert stopped["n_decode_total"] - at_stop["n_decode_total"] <= 2
    assert stopped["tokens_predicted_total"] == at_stop["tokens_predicted_total"]  # it never began to answer
    await asyncio.sleep(0.5)
    assert provider.counters()["n_decode_total"] == stopped["n_decode_total"]
    # The worker is free again: the next question is answered at once.
    events = await answer(provider, ("user", "Say yes."), max_tokens=3)
    assert isinstance(events[-1], Finish)


async def test_a_second_turn_sees_the_history_and_reuses_its_prompt(provider):
    first = ("user", "My name is Ada Lovelace. Reply with just: Noted.")
    events = await answer(provider, first, temperature=0, max_tokens=10)
    reply = ("assistant", text_of(events))
    events = await answer(provider, first, reply, ("user", "What is my first name? One word."), temperature=0, max_tokens=10)
    assert "Ada" in text_of(events)
    usage = next(e for e in events if isinstance(e, Usage))
    # The first turn's prompt was still in llama.cpp's cache: only the new turn was computed.
    assert usage.cached_input_tokens > 20 and usage.input_tokens < usage.cached_input_tokens


async def test_a_prompt_longer_than_the_context_is_one_clear_error(provider):
    with pytest.raises(ContextLengthError) as caught:
        await answer(provider, ("user", "word " * 5000))
    error = caught.value
    assert str(error).startswith("local: the conversation is ") and "\n" not in str(error)
    assert f"more than the model's context of {LOCAL_CONTEXT:,}" in str(error)
    assert not error.retryable and not error.counts_against_provider
    # The provider is fine afterwards.
    assert isinstance((await answer(provider, ("user", "Say ok."), max_tokens=2))[-1], Finish)


async def test_requests_are_answered_one_at_a_time(provider):
    arrivals: list[tuple[str, float]] = []

    async def ask(tag: str, question: str) -> str:
        text = ""
        async for event in provider.stream(request(provider, ("user", question), temperature=0, max_tokens=12)):
            if isinstance(event, TextDelta):
                arrivals.append((tag, time.perf_counter()))
                text += event.text
        return text

    a, b = await asyncio.gather(ask("a", "What is 2 + 2? Answer with the number."), ask("b", "Name the largest planet."))
    assert "4" in a and "Jupiter" in b
    tags = [tag for tag, _ in arrivals]
    assert tags == sorted(tags)  # every token of the first answer before any of the second


async def test_the_runtime_listener_refuses_anyone_without_its_key(provider):
    endpoint = provider.http_endpoint()
    assert endpoint is not None and len(endpoint.api_key) >= 40
    if endpoint.uds is not None:
        # A UNIX socket in a directory only this user may enter: no TCP port at all.
        assert stat.S_IMODE(os.stat(os.path.dirname(endpoint.uds)).st_mode) == 0o700
        transport = httpx.AsyncHTTPTransport(uds=endpoint.uds)
    else:
        assert endpoint.url.startswith("http://127.0.0.1:")
        transport = httpx.AsyncHTTPTransport()
    async with httpx.AsyncClient(transport=transport, base_url=endpoint.url, timeout=10) as client:
        body = {"messages": [{"role": "user", "content": "hi"}], "prompt": "hi", "max_tokens": 1}
        for method, path in [
            ("POST", "/v1/chat/completions"), ("POST", "/completion"), ("POST", "/v1/completions"),
            ("POST", "/v1/messages"), ("POST", "/tokenize"), ("POST", "/v1/systemone"),
            ("GET", "/v1/models"), ("GET", "/props"), ("GET", "/slots"), ("GET", "/metrics"),
        ]:
            response = await client.request(method, path, json=body if method == "POST" else None)
            assert response.status_code == 401, (method, path, response.status_code)
            response = await client.request(
                method, path, json=body if method == "POST" else None, headers={"Authorization": "Bearer not-the-key"}
            )
            assert response.status_code == 401, (method, path, response.status_code)
        # No web UI, and no web page may read an answer (CORS allows no real origin).
        assert (await client.get("/")).status_code == 404
        preflight = await client.options(
            "/v1/chat/completions", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers.get("access-control-allow-origin") != "http://localhost:3000"
        # With the key it is llama.cpp's server of this very model.
        models = await client.get("/v1/models", headers={"Authorization": f"Bearer {endpoint.api_key}"})
        assert models.status_code == 200 and EMBEDDED.id in models.text
        assert str(provider.model_path) not in models.text  # the cache path is not shown


async def test_a_path_model_is_its_file_and_closing_frees_it(provider):
    config = ProviderConfig(name="mine", type="local", base_url="", path=str(provider.model_path), threads=2, context=1024)
    other = LocalProvider(config)
    assert await other.list_models() == [provider.model_path.stem]
    before = _anon_mb()
    events = await answer(other, ("user", "Say hello."), max_tokens=4)  # loads it: stream waits for the load
    assert other.loaded and isinstance(events[-1], Finish)
    loaded = _anon_mb()
    assert loaded - before > 300  # its weights, repacked for this CPU, and its context
    socket_dir = os.path.dirname(other.http_endpoint().uds) if other.http_endpoint().uds else None
    await other.aclose()
    assert not other.loaded and loaded - _anon_mb() > 300  # freed
    if socket_dir:
        assert not os.path.exists(socket_dir)
    with pytest.raises(LocalModelError, match="closed"):
        await answer(other, ("user", "Still there?"))


async def test_a_path_that_is_not_a_gguf_model_says_so_in_one_line(tmp_path):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    for path, phrase in [(text, "is not a GGUF model file"), (tmp_path / "missing.gguf", "no model file at")]:
        provider = LocalProvider(ProviderConfig(name="mine", type="local", base_url="", path=str(path)))
        with pytest.raises(LocalModelError) as caught:
            await provider.list_models()
        assert str(caught.value).startswith("mine: ") and phrase in str(caught.value)
        assert "\n" not in str(caught.value) and "path: in the config" in str(caught.value)
        with pytest.raises(LocalModelError):
            await asyncio.to_thread(provider.prepare)


def _anon_mb() -> float:
    """This process's private (anonymous) resident memory, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status here")
