"""A model run in this process (the embedded model's case, with a stand-in that loads slowly):
the first screen says what it is, and the first turn waits for the load with a visible status
so that its time to first token is the model's own."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from mmchat import provider_types
from mmchat.config import ProviderConfig
from mmchat.tui.widgets.messages import Notice
from mmchat.tui.widgets.status import StatusLine
from mmchat.types import ChatRequest, Finish, StreamEvent, TextDelta, Usage
from tests.tui.conftest import make_app, until
from tests.tui.test_tui_chat import send

LOAD_S = 0.6


class SlowLoading:
    """Loads for LOAD_S seconds (in `prepare`, or in its first stream), then echoes."""

    events: list[str] = []

    def __init__(self, config: ProviderConfig, api_key: str | None = None, *, client: object = None) -> None:
        self.config, self.name = config, config.name
        self.loaded = threading.Event()
        self._lock = threading.Lock()

    def prepare(self) -> None:
        with self._lock:
            if not self.loaded.is_set():
                SlowLoading.events.append("load")
                time.sleep(LOAD_S)
                self.loaded.set()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        SlowLoading.events.append("stream" if self.loaded.is_set() else "stream before the load")
        yield TextDelta(request.messages[-1].content)
        yield Usage(input_tokens=3, output_tokens=1)
        yield Finish("stop")

    async def list_models(self) -> list[str]:
        return ["tiny"]

    async def aclose(self) -> None:
        pass


@pytest.fixture
def slow_type() -> Iterator[None]:
    SlowLoading.events = []
    provider_types.register("slowload", SlowLoading, local=True, models=lambda config: ("tiny",), context=2048)
    yield
    provider_types.unregister("slowload")


async def test_an_in_process_model_alone_is_introduced_and_loaded_before_its_first_turn(store, slow_type):
    app = make_app(store, [ProviderConfig(name="here", type="slowload", base_url="")], default_model="here/tiny")
    async with app.run_test(size=(130, 40)) as pilot:
        notes = [str(n.render()) for n in app.screen.query(Notice)]
        assert any(n.startswith("Answering with here/tiny, a small model running inside mmchat") for n in notes)
        # The warm-up loads it in the background; a turn sent meanwhile waits, and says so.
        await send(pilot, "hello")
        await until(pilot, lambda: "loading here/tiny into memory" in str(app.screen.query_one(StatusLine).render()))
        assert app.service.conversation_id is None  # nothing is sent before the model is loaded
        await until(pilot, lambda: not app.screen.turn_running and app.service.conversation_id is not None)
        assert "loading" not in str(app.screen.query_one(StatusLine).render())
        answer = app.service.messages()[-1]
        assert (answer.content, answer.model, answer.cost_usd) == ("hello", "here/tiny", 0.0)
        assert SlowLoading.events == ["load", "stream"]  # loaded once, before the turn
        assert answer.ttft_ms is not None and answer.ttft_ms < LOAD_S * 1000  # the load is not in it


async def test_beside_other_providers_no_introduction_is_shown(store, openai_server, slow_type):
    app = make_app(
        store, [openai_server.config("lab"), ProviderConfig(name="here", type="slowload", base_url="")],
        default_model="lab/gpt-4o-mini",
    )
    async with app.run_test(size=(130, 40)):
        assert not [n for n in app.screen.query(Notice) if "inside mmchat" in str(n.render())]
