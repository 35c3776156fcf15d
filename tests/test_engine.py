"""The turn loop over real sockets (local OpenAI-format server) and a real SQLite store."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, Timeouts
from mmchat.engine.turn import Engine
from mmchat.engine.events import Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.types import TextDelta
from mmchat.store import Store
from tests.servers import OpenAIServer
from tests.servers.core import DROP, sleep
from tests.servers.openai import DONE, chunk, usage_body
from tests.servers.sockets import closed_port

MODEL = "lab/small"
FAST = Timeouts(connect=1, first_token=0.5, idle=0.3)


def make_engine(
    server: OpenAIServer,
    tmp_path: Path,
    *,
    context: int | None = None,
    price: Price | None = Price(input=1.0, cached_input=0.5, output=2.0),
    key: str | None = "sk-test-key-0123456789abcdef",
    **provider_options,
) -> tuple[Engine, Store, list[float]]:
    provider = server.config("lab", timeouts=FAST, **provider_options)
    config = Config(
        providers={"lab": provider},
        models={MODEL: ModelConfig(MODEL, context=context, price=price)},
        default_model=MODEL,
    )
    store = Store(tmp_path / "mmchat.db")
    slept: list[float] = []

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    engine = Engine(config, store, Catalog.build(config), key_lookup=lambda p: key, sleep=no_wait)
    return engine, store, slept


def set_provider(engine: Engine, **changes) -> None:
    engine.config.providers["lab"] = replace(engine.config.providers["lab"], **changes)


async def run(engine: Engine, prompt: str, **kw) -> list:
    events = []
    async for event in engine.turn(prompt, **kw):
        events.append(event)
    await engine.aclose()
    return events


def text(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_a_turn_streams_and_stores_answer_usage_and_cost(openai_server, tmp_path):
    openai_server.reply_text("Hello there, world", usage=usage_body(1000, 500, cached=400))
    engine, store, _ = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")

    assert isinstance(events[0], TurnStarted) and events[0].model.address == MODEL
    assert text(events) == "Hello there, world"
    done = events[-1]
    assert isinstance(done, TurnFinished) and done.finish_reason == "stop"
    usage = done.metrics.usage
    assert (usage.input_tokens, usage.cached_input_tokens, usage.output_tokens) == (600, 400, 500)
    assert not usage.estimated
    # 600 × $1 + 400 × $0.50 + 500 × $2, per million tokens.
    assert done.metrics.cost_usd == pytest.approx((600 + 200 + 1000) / 1e6)
    assert done.metrics.ttft_ms is not None and done.metrics.latency_ms >= done.metrics.ttft_ms

    user, answer = store.path(events[0].conversation_id)
    assert (user.role, user.content) == ("user", "hi")
    assert (answer.content, answer.status, answer.model) == ("Hello there, world", "complete", MODEL)
    assert answer.cost_usd == pytest.approx(done.metrics.cost_usd)
    assert answer.usage.output_tokens == 500 and answer.ttft_ms is not None
    request = openai_server.requests[-1]
    assert request.json["model"] == "small"
    assert request.headers["authorization"] == "Bearer sk-test-key-0123456789abcdef"


async def test_an_unlisted_model_of_a_local_server_costs_nothing(openai_server, tmp_path):
    # Loopback is a local server: its models are free even without a catalog entry.
    engine, store, _ = make_engine(openai_server, tmp_path, price=None)
    events = await run(engine, "hi", model="lab/not-in-catalog")
    assert events[-1].metrics.cost_usd == 0
    assert store.path(events[0].conversation_id)[-1].model == "lab/not-in-catalog"


async def test_continuing_sends_the_history(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path)
    first = await run(engine, "first question")
    conversation = first[0].conversation_id
    await run(engine, "second question", conversation_id=conversation)
    sent = openai_server.requests[-1].json["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "first question"),
        ("assistant", "You said: first question"),
        ("user", "second question"),
    ]
    assert len(store.path(conversation)) == 4


async def test_history_is_trimmed_to_the_context_window_and_said(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path, context=120)
    first = await run(engine, "word " * 60)
    conversation = first[0].conversation_id
    events = await run(engine, "short", conversation_id=conversation, params={"max_tokens": 20})
    assert events[0].history_dropped == 2
    assert [m["content"] for m in openai_server.requests[-1].json["messages"]] == ["short"]
    assert len(store.path(conversation)) == 4  # trimming never deletes anything


async def test_user_message_is_saved_even_when_the_provider_is_unreachable(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path, max_retries=0)
    set_provider(engine, base_url=f"http://127.0.0.1:{closed_port()}/v1")
    events = await run(engine, "keep me")
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "unreachable" and not failed.partial
    assert "lab" in failed.reason
    user, answer = store.path(events[0].conversation_id)
    assert user.content == "keep me"
    assert answer.status == "error" and "lab" in answer.error
    # Nothing reached the provider: nothing is estimated, billed or counted against a budget.
    assert failed.metrics is None and answer.usage is None and answer.cost_usd is None
    assert store.spending(conversation_id=events[0].conversation_id).cost_usd == 0


async def test_retryable_errors_are_retried_with_backoff_then_succeed(openai_server, tmp_path):
    openai_server.reply_error(503, "overloaded")
    openai_server.reply_error(429, "slow down", headers={"Retry-After": "2"})
    openai_server.reply_text("finally")
    engine, store, slept = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [(r.attempt, r.kind) for r in retries] == [(2, "server"), (3, "rate_limit")]
    assert slept[1] >= 2.0  # Retry-After honoured
    assert text(events) == "finally" and isinstance(events[-1], TurnFinished)
    answer = store.path(events[0].conversation_id)[-1]
    assert [a["kind"] for a in answer.attempts] == ["server", "rate_limit"]
    assert len(openai_server.requests) == 3


async def test_auth_errors_are_not_retried_and_never_show_the_key(openai_server, tmp_path):
    openai_server.reply_error(401, "Incorrect API key provided: sk-test-key-0123456789abcdef")
    engine, store, slept = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "auth"
    assert slept == [] and len(openai_server.requests) == 1
    assert "0123456789abcdef" not in failed.reason
    assert "0123456789abcdef" not in (store.path(events[0].conversation_id)[-1].error or "")


async def test_missing_key_fails_before_any_request(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path, key=None)
    # A loopback server counts as local and needs no key: point it at a remote-looking host.
    set_provider(engine, base_url="https://api.example.invalid/v1")
    events = await run(engine, "hi")
    assert isinstance(events[-1], TurnFailed) and "no API key" in events[-1].reason
    assert "mmchat keys set lab" in events[-1].reason


async def test_a_drop_after_text_keeps_the_partial_answer_and_does_not_retry(openai_server, tmp_path):
    openai_server.enqueue(openai_server.stream_script([*openai_server.opening("Partial ans"), DROP]))
    engine, store, slept = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.partial and failed.kind == "dropped"
    assert slept == []
    answer = store.path(events[0].conversation_id)[-1]
    assert (answer.content, answer.status) == ("Partial ans", "interrupted")
    assert answer.usage.estimated and answer.usage.output_tokens > 0


async def test_cancelling_keeps_the_partial_answer_marked_interrupted(openai_server, tmp_path):
    openai_server.enqueue(openai_server.stream_script([*openai_server.opening("Some text"), sleep(10)]))
    engine, store, _ = make_engine(openai_server, tmp_path)
    set_provider(engine, timeouts=Timeouts(idle=30))
    seen: list = []

    async def consume() -> None:
        async for event in engine.turn("hi"):
            seen.append(event)

    task = asyncio.create_task(consume())
    while not any(isinstance(e, TextDelta) for e in seen):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await openai_server.wait_disconnected()
    answer = store.path(seen[0].conversation_id)[-1]
    assert (answer.content, answer.status) == ("Some text", "interrupted")
    assert answer.usage.estimated and answer.finished_at is not None
    await engine.aclose()


async def test_a_stream_without_usage_is_estimated_and_labelled(openai_server, tmp_path):
    # A compatible server that ignores stream_options.include_usage.
    openai_server.enqueue(
        openai_server.stream_script([*openai_server.opening("no usage here"), chunk(finish="stop"), DONE])
    )
    engine, _, _ = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    usage = events[-1].metrics.usage
    assert usage.estimated and usage.output_tokens > 0 and usage.input_tokens > 0


async def test_turn_records_are_json_clean_for_export(openai_server, tmp_path):
    from mmchat.export import to_json

    engine, store, _ = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    conversation = events[0].conversation_id
    data = json.loads(to_json(store.conversation(conversation), store.path(conversation)))
    assert data["messages"][-1]["status"] == "complete"


async def test_retrying_an_answer_adds_an_alternative_without_repeating_the_prompt(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path, max_retries=0)
    openai_server.reply_error(500, "boom")
    failed = await run(engine, "only once")
    conversation, first_answer = failed[0].conversation_id, failed[0].assistant_message_id
    assert failed[-1].kind == "server"

    openai_server.reply_text("second try")
    events = await run(engine, None, retry_of=first_answer)
    assert events[0].user_message_id == failed[0].user_message_id
    assert text(events) == "second try"
    user, answer = store.path(conversation)
    assert (user.content, answer.content, answer.status) == ("only once", "second try", "complete")
    assert [m.id for m in store.siblings(answer.id)] == [first_answer, answer.id]  # the failure is kept
    assert [m["content"] for m in openai_server.requests[-1].json["messages"]] == ["only once"]


async def test_only_an_answer_can_be_retried(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path)
    events = await run(engine, "hi")
    with pytest.raises(ValueError, match="only an assistant message can be retried"):
        await run(engine, None, retry_of=events[0].user_message_id)
    with pytest.raises(ValueError, match="needs a prompt"):
        engine.turn(None)


def test_prepare_builds_the_provider_and_client_before_the_first_turn(openai_server, tmp_path):
    engine, _, _ = make_engine(openai_server, tmp_path)
    engine.prepare()
    assert engine.provider("lab")._own_client is not None  # built now, not inside the first turn's TTFT
    # A provider that cannot be built yet (no key for a remote host) is left for the turn to report.
    engine, _, _ = make_engine(openai_server, tmp_path, key=None)
    set_provider(engine, base_url="https://api.example.invalid/v1")
    engine.prepare()
    assert engine._providers == {}


async def test_stopping_after_the_finish_keeps_the_answer_complete(openai_server, tmp_path):
    engine, store, _ = make_engine(openai_server, tmp_path)
    events = engine.turn("hi")
    async for event in events:
        if isinstance(event, TurnStarted):
            conversation = event.conversation_id
        if isinstance(event, TurnFinished):
            break  # the caller stops reading: the generator is closed here
    await events.aclose()
    await engine.aclose()
    assert store.path(conversation)[-1].status == "complete"
