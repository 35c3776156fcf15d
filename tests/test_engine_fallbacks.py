"""Fallback chains and provider health in the turn loop: two real local servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, Timeouts
from mmchat.engine.turn import Engine
from mmchat.engine.events import FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.types import TextDelta
from mmchat.store import Store
from tests.servers import OpenAIServer
from tests.servers.core import DROP

FAST = Timeouts(connect=1, first_token=0.5, idle=0.3)


@pytest.fixture
def second_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


class Health:
    """A provider-health record as the engine sees one: here, a fixed set of open circuits."""

    def __init__(self, open_circuits: set[str] = frozenset()) -> None:
        self.open = set(open_circuits)
        self.outcomes: list[tuple[str, bool]] = []

    def allows(self, provider: str) -> bool:
        return provider not in self.open

    def why(self, provider: str) -> str:
        return "3 failures in a row; tried again in 30s"

    def succeeded(self, provider: str) -> None:
        self.outcomes.append((provider, True))

    def failed(self, provider: str) -> None:
        self.outcomes.append((provider, False))


def make_engine(first: OpenAIServer, second: OpenAIServer, tmp_path: Path, health: Health | None = None, **models):
    config = Config(
        providers={
            "one": first.config("one", timeouts=FAST, max_retries=1),
            "two": second.config("two", timeouts=FAST, max_retries=0),
        },
        models={
            "one/big": ModelConfig("one/big", price=Price(input=5.0, output=10.0), **models.get("big", {})),
            "two/small": ModelConfig("two/small", price=Price(input=1.0, output=2.0)),
        },
        default_model="one/big",
    )
    store = Store(tmp_path / "mmchat.db")

    async def no_wait(seconds: float) -> None:
        pass

    engine = Engine(config, store, Catalog.build(config), key_lookup=lambda p: None, sleep=no_wait, health=health)
    return engine, store


async def run(engine: Engine, prompt: str, **kw) -> list:
    events = [event async for event in engine.turn(prompt, **kw)]
    await engine.aclose()
    return events


async def test_a_failing_model_gives_way_to_the_next_of_the_chain(openai_server, second_server, tmp_path):
    openai_server.reply_error(503, "overloaded")
    openai_server.reply_error(503, "still overloaded")
    second_server.reply_text("from the fallback")
    health = Health()
    engine, store = make_engine(openai_server, second_server, tmp_path, health)
    decision = {"chosen": "one/big", "why": "code"}
    events = await run(engine, "hi", fallbacks=["two/small"], decision=decision)

    kinds = [type(e) for e in events if not isinstance(e, TextDelta)]
    assert kinds == [TurnStarted, Retrying, FallingBack, TurnFinished]
    moved = next(e for e in events if isinstance(e, FallingBack))
    assert (moved.previous, moved.model.address) == ("one/big", "two/small")
    assert "one" in moved.reason and "overloaded" in moved.reason
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "from the fallback"
    assert events[-1].metrics.cost_usd == pytest.approx(events[-1].metrics.usage.input_tokens * 1e-6 + events[-1].metrics.usage.output_tokens * 2e-6)

    answer = store.path(events[0].conversation_id)[-1]
    assert (answer.provider, answer.model, answer.status) == ("two", "two/small", "complete")
    assert [(a["model"], a["kind"]) for a in answer.attempts] == [("one/big", "server"), ("one/big", "server")]
    assert answer.decision == decision
    assert health.outcomes == [("one", False), ("one", False), ("two", True), ("two", True)]


async def test_pace_is_awaited_before_each_request_after_the_first_and_before_it_leaves(
    openai_server, second_server, tmp_path
):
    openai_server.reply_error(503, "overloaded")
    openai_server.reply_error(503, "still overloaded")
    second_server.reply_text("from the fallback")
    engine, _ = make_engine(openai_server, second_server, tmp_path)
    paced: list[tuple[str, int]] = []  # (provider, requests its servers had seen when pace was awaited)

    async def pace(provider: str) -> None:
        paced.append((provider, len(openai_server.requests) + len(second_server.requests)))

    engine.pace = pace
    events = await run(engine, "hi", fallbacks=["two/small"])
    assert isinstance(events[-1], TurnFinished)
    # The retry on one, then the fallback's first request on two; never before the first request.
    assert paced == [("one", 1), ("two", 2)]


async def test_an_open_circuit_is_skipped_without_a_request(openai_server, second_server, tmp_path):
    engine, store = make_engine(openai_server, second_server, tmp_path, Health({"one"}))
    events = await run(engine, "hi", fallbacks=["two/small"])
    assert events[0].model.address == "two/small"  # the turn starts on the first model that can be tried
    assert isinstance(events[-1], TurnFinished)
    assert openai_server.requests == [] and len(second_server.requests) == 1
    answer = store.path(events[0].conversation_id)[-1]
    assert answer.model == "two/small"
    assert answer.attempts[0]["kind"] == "circuit_open" and "repeated failures" in answer.attempts[0]["error"]


async def test_a_history_too_long_for_one_model_moves_to_the_next(openai_server, second_server, tmp_path):
    engine, store = make_engine(openai_server, second_server, tmp_path, big={"context": 50, "max_output": 10})
    events = await run(engine, "word " * 200, fallbacks=["two/small"])
    assert events[0].model.address == "two/small" and isinstance(events[-1], TurnFinished)
    assert openai_server.requests == []


async def test_text_already_streamed_is_never_continued_by_another_model(openai_server, second_server, tmp_path):
    openai_server.enqueue(openai_server.stream_script([*openai_server.opening("Half an ans"), DROP]))
    engine, store = make_engine(openai_server, second_server, tmp_path)
    events = await run(engine, "hi", fallbacks=["two/small"])
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.partial and failed.kind == "dropped"
    assert second_server.requests == []
    answer = store.path(events[0].conversation_id)[-1]
    assert (answer.content, answer.status, answer.model) == ("Half an ans", "interrupted", "one/big")


async def test_when_every_model_fails_the_last_reason_is_given(openai_server, second_server, tmp_path):
    openai_server.reply_error(401, "bad key")
    second_server.reply_error(500, "down")
    engine, store = make_engine(openai_server, second_server, tmp_path)
    events = await run(engine, "hi", fallbacks=["two/small", "nowhere/model"])
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "server" and "two" in failed.reason
    answer = store.path(events[0].conversation_id)[-1]
    assert [a["kind"] for a in answer.attempts] == ["auth", "server", "setup"]
    assert answer.status == "error"
