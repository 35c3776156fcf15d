"""The session layer over real sockets (a local OpenAI-format server) and real SQLite:
several answers to one prompt at once, and turns written somewhere other than the history."""

from __future__ import annotations

import pytest


from mmchat import provider_types
from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, ProviderConfig, Timeouts
from mmchat.engine.events import TurnFinished, TurnStarted
from mmchat.engine.sinks import MemorySink
from mmchat.session.session import Session
from mmchat.store import Store
from mmchat.types import TextDelta
from tests.servers import OpenAIServer
from tests.servers.core import sleep
from tests.servers.openai import DONE, chunk, usage_body
from tests.servers.sockets import closed_port

MODELS = ("lab/a", "lab/b", "lab/c")
KEY = "sk-test-key-0123456789abcdef"


def make_session(server: OpenAIServer, store: Store, **kw) -> Session:
    provider = server.config("lab", timeouts=Timeouts(connect=1, first_token=5, idle=5), api_key_env="LAB_KEY")
    config = Config(
        providers={"lab": provider},
        models={m: ModelConfig(m, price=Price(input=1.0, output=2.0)) for m in MODELS},
        default_model=MODELS[0],
    )
    return Session(config, store, Catalog.build(config), **kw)


def slow_reply(server: OpenAIServer, first: str, rest: str) -> None:
    """An answer that sends `first`, waits, then `rest`: answers that run at once overlap."""
    steps = [chunk(role=True), chunk(content=first), sleep(0.4), chunk(content=rest)]
    steps += [chunk(finish="stop"), chunk(choices=False, usage=usage_body(10, 4)), DONE]
    server.enqueue(server.stream_script(steps))


async def test_three_answers_to_one_prompt_run_at_once_as_siblings_and_the_caller_picks_the_head(
    openai_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("LAB_KEY", KEY)
    for name in ("one", "two", "three"):
        slow_reply(openai_server, f"{name} ", "done")
    with Store(tmp_path / "mmchat.db") as store:
        session = make_session(openai_server, store)
        decisions = [session.decide("Name a colour.", None, pin=model) for model in MODELS]
        order: list[tuple[int, str]] = []
        answering = session.answer(decisions, head=1)
        async for index, event in answering:
            if isinstance(event, (TextDelta, TurnFinished)):
                order.append((index, type(event).__name__))
        await session.aclose()

        # Every answer's first text came before any answer finished: they streamed at once.
        firsts = [order.index((i, "TextDelta")) for i in range(3)]
        finishes = [order.index((i, "TurnFinished")) for i in range(3)]
        assert max(firsts) < min(finishes)
        views = answering.views
        assert [v.status for v in views] == ["complete"] * 3
        assert sorted(v.text for v in views) == ["one done", "three done", "two done"]
        assert [v.model.address for v in views] == list(MODELS)

        ids = [v.answer_id for v in views]
        siblings = store.siblings(ids[0])
        assert [m.id for m in siblings] == ids  # one user message, three answers side by side
        assert {m.parent_id for m in siblings} == {views[0].user_message_id}
        assert [m.model for m in siblings] == list(MODELS)
        assert store.path(answering.conversation_id)[-1].id == ids[1]  # head=1
        store.choose_answer(ids[2])
        path = store.path(answering.conversation_id)
        assert [m.role for m in path] == ["user", "assistant"] and path[-1].id == ids[2]
        assert store.alternatives(answering.conversation_id) == {ids[0]: (1, 3), ids[1]: (2, 3), ids[2]: (3, 3)}


async def test_answers_again_join_the_siblings_and_the_head_stays_when_asked(openai_server, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_KEY", KEY)
    with Store(tmp_path / "mmchat.db") as store:
        session = make_session(openai_server, store)
        first = session.answer([session.decide("hello", None, pin=MODELS[0])])
        async for _ in first:
            pass
        old = first.views[0].answer_id
        again = session.answer([session.decide_again(old, pin=m) for m in MODELS[1:]], again=old, head=None)
        async for _ in again:
            pass
        await session.aclose()
        new = [v.answer_id for v in again.views]
        assert [m.id for m in store.siblings(old)] == [old, *new]
        assert store.path(first.conversation_id)[-1].id == old  # head=None: still the first answer
        assert [store.message(i).content for i in new] == ["You said: hello"] * 2


async def test_a_turn_into_another_sink_leaves_the_users_store_untouched(openai_server, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_KEY", KEY)
    openai_server.reply_text("Bench answer", usage=usage_body(100, 20))
    with Store(tmp_path / "mmchat.db") as store:
        before = (store.list_conversations(), store.read_measured(), store.spending(), store.recent_prompts())
        sink = MemorySink()
        session = make_session(openai_server, store, sink=sink)
        answering = session.answer([session.decide("a bench prompt", None, pin=MODELS[2])])
        events = [event async for _, event in answering]
        await session.aclose()

        assert isinstance(events[0], TurnStarted) and isinstance(events[-1], TurnFinished)
        after = (store.list_conversations(), store.read_measured(), store.spending(), store.recent_prompts())
        assert after == before  # no conversation, no measured speed, no spending, no prompt
        answer = sink.message(answering.views[0].answer_id)
        assert (answer.content, answer.status, answer.model) == ("Bench answer", "complete", MODELS[2])
        assert answer.usage is not None and answer.usage.input_tokens == 100
        assert answer.cost_usd == (100 * 1.0 + 20 * 2.0) / 1e6
        assert [m.role for m in sink.lineage(answer.id)] == ["user", "assistant"]


async def test_a_separate_store_file_takes_the_turn_and_the_history_does_not(openai_server, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_KEY", KEY)
    with Store(tmp_path / "mmchat.db") as store, Store(tmp_path / "bench.db") as bench:
        session = make_session(openai_server, store, sink=bench)
        answering = session.answer([session.decide("to the bench file", None, pin=MODELS[0])])
        async for _ in answering:
            pass
        await session.aclose()
        assert store.list_conversations() == []
        assert [m.content for m in bench.path(answering.conversation_id)] == [
            "to the bench file", "You said: to the bench file",
        ]


async def test_an_in_process_provider_type_takes_a_private_turn_through_the_session(tmp_path, monkeypatch):
    """A registered type that is not HTTP says it is local: the privacy lock moves a private turn
    from a cloud model to it, the engine needs no key for it, and the conversation is locked."""
    from tests.test_provider_registry import EchoProvider

    monkeypatch.setenv("CLOUD_KEY", KEY)
    provider_types.register("echo", EchoProvider, local=True)
    try:
        cloud = ProviderConfig(name="cloud", type="openai", base_url="https://cloud.invalid/v1", api_key_env="CLOUD_KEY")
        config = Config(
            providers={"cloud": cloud, "mine": ProviderConfig(name="mine", type="echo", base_url="")},
            models={"cloud/big": ModelConfig("cloud/big", price=Price(input=1.0, output=2.0)), "mine/echo": ModelConfig("mine/echo")},
            default_model="cloud/big",
        )
        with Store(tmp_path / "mmchat.db") as store:
            session = Session(config, store, Catalog.build(config))
            prompt = "my password is hunter2-Quasar-77, keep it safe"
            decision = session.decide(prompt, None, pin="cloud/big")
            assert decision.private and decision.model == "mine/echo"  # the pin gives way to the lock
            answering = session.answer([decision])
            async for _ in answering:
                pass
            await session.aclose()
            view = answering.views[0]
            assert (view.status, view.text, view.model.address) == ("complete", prompt, "mine/echo")
            assert store.privacy_lock(view.conversation_id) == view.user_message_id
            assert store.message(view.answer_id).cost_usd == 0.0  # a local model costs nothing
    finally:
        provider_types.unregister("echo")


async def test_a_failing_answer_among_several_fails_alone(openai_server, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_KEY", KEY)
    gone = ProviderConfig(name="gone", type="openai", base_url=f"http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    config = Config(
        providers={"lab": openai_server.config("lab", api_key_env="LAB_KEY"), "gone": gone},
        models={"lab/a": ModelConfig("lab/a"), "lab/b": ModelConfig("lab/b"), "gone/far": ModelConfig("gone/far")},
        default_model="lab/a",
    )
    with Store(tmp_path / "mmchat.db") as store:
        session = Session(config, store, Catalog.build(config))
        decisions = [session.decide("hi all", None, pin=m) for m in ("lab/a", "gone/far", "lab/b")]
        answering = session.answer(decisions)
        async for _ in answering:
            pass
        await session.aclose()
        assert [v.status for v in answering.views] == ["complete", "error", "complete"]
        assert answering.views[1].error_kind == "unreachable"
        assert [store.message(v.answer_id).status for v in answering.views] == ["complete", "error", "complete"]
        assert session.provider_problems["gone"].startswith("unreachable: cannot connect to http://127.0.0.1:")


@pytest.mark.parametrize("count", [1, 3])
async def test_closing_the_answers_stops_them_at_once_and_keeps_what_each_received(
    openai_server, tmp_path, monkeypatch, count
):
    monkeypatch.setenv("LAB_KEY", KEY)
    names = ("one", "two", "three")[:count]
    for name in names:
        openai_server.enqueue(openai_server.stream_script([*openai_server.opening(f"{name} "), sleep(30)]))
    with Store(tmp_path / "mmchat.db") as store:
        session = make_session(openai_server, store)
        answering = session.answer([session.decide("go slowly", None, pin=m) for m in MODELS[:count]])
        seen: set[int] = set()
        updates = aiter(answering)
        async for index, event in updates:
            if isinstance(event, TextDelta):
                seen.add(index)
            if len(seen) == count:
                break
        await updates.aclose()  # as `mmchat ask` does when stdout's reader goes away
        # Stored at once, before the providers' connections are closed.
        stored = [store.message(v.answer_id) for v in answering.views]
        assert [m.status for m in stored] == ["interrupted"] * count
        assert sorted(m.content for m in stored) == sorted(f"{name} " for name in names)
        assert all(m.error == "cancelled by the user" for m in stored)
        await session.aclose()


async def test_a_model_that_cannot_be_prepared_is_left_to_its_turn_which_says_why(tmp_path):
    """The warm-up runs in a worker thread of the interface: a missing model file must not
    crash it; the turn meets the same problem and fails in one line."""
    from mmchat.providers.errors import ProviderError

    class Missing:
        def __init__(self, config, api_key=None, *, client=None):
            self.config, self.name = config, config.name

        def prepare(self) -> None:
            raise ProviderError(self.name, "the model file is missing: pip install 'mmchat[local]'")

        async def stream(self, request):
            self.prepare()
            yield  # never reached

        async def list_models(self):
            return ["m"]

        async def aclose(self):
            pass

    provider_types.register("missing", Missing, local=True, models=lambda config: ("m",))
    try:
        config = Config(providers={"here": ProviderConfig(name="here", type="missing", base_url="")}, default_model="here/m")
        with Store(tmp_path / "mmchat.db") as store:
            session = Session(config, store, Catalog.build(config))
            session.warm_up("here/m")  # no exception
            await session.prepare("here/m")
            assert session.needs_load("here/m")  # a load that failed is no load: the turn tries and says why
            answering = session.answer([session.decide("hi", None, pin="here/m")])
            async for _ in answering:
                pass
            await session.aclose()
            assert answering.views[0].status == "error"
            assert answering.views[0].error == "here: the model file is missing: pip install 'mmchat[local]'"
    finally:
        provider_types.unregister("missing")


def test_no_key_is_looked_up_for_an_in_process_provider():
    """The keyring can take seconds (or hang) and an in-process model takes no key."""
    from mmchat.engine.turn import Engine
    from tests.test_provider_registry import EchoProvider

    provider_types.register("echo", EchoProvider, local=True)
    try:
        config = Config(providers={"mine": ProviderConfig(name="mine", type="echo", base_url="")})
        looked_up: list[str] = []
        engine = Engine(config, MemorySink(), key_lookup=lambda p: looked_up.append(p.name))
        assert isinstance(engine.provider("mine"), EchoProvider)
        assert looked_up == []
    finally:
        provider_types.unregister("echo")
