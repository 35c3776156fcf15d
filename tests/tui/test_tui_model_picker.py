"""The model picker: measured speeds from the store, models the providers list, unreachable providers."""

from __future__ import annotations

from mmchat.session.view import TurnView
from mmchat.config import ModelConfig, ProviderConfig
from mmchat.types import Usage
from mmchat.store import AnswerEnd, ModelSpeed, Store
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.model_picker import ModelPicker, provider_text, speed_text
from tests.tui.conftest import QUICK, closed_port, make_app, until
from tests.tui.test_tui_chat import send


def measured(store: Store, model: str, figures: list[tuple[float, float]]) -> None:
    conversation = store.create_conversation()
    for ttft, speed in figures:
        store.add_message(conversation, "user", "q")
        answer = store.add_message(conversation, "assistant", "a", model=model, status="pending")
        store.finish_answer(answer, AnswerEnd(
            "a", "complete", usage=Usage(input_tokens=1, output_tokens=1), ttft_ms=ttft, tokens_per_s=speed,
            latency_ms=1000.0,
        ))


def rows(picker: ModelPicker) -> list[str]:
    options = picker.query_one("#picker-list")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def test_speed_and_provider_texts():
    assert speed_text(None) == ""
    assert speed_text(ModelSpeed("a/b", 3, 320.0, 85.4)) == "TTFT 320 ms · 85 tok/s"
    assert speed_text(ModelSpeed("a/b", 1, 1500.0, None)) == "TTFT 1.5 s"
    assert str(provider_text("lab", None)) == "lab"
    header = provider_text("lab", "unreachable: cannot connect\x1b[2J")
    assert str(header) == "lab  unreachable: cannot connect[2J"
    assert [span.style for span in header.spans] == ["$error"]
    assert len(str(provider_text("lab", "unreachable: " + "x" * 200))) == len("lab  ") + 72


async def test_rows_show_measured_speeds_listed_models_and_unreachable_providers(store, openai_server):
    measured(store, "local/gpt-4o-mini", [(100.0, 80.0), (300.0, 60.0), (200.0, 70.0)])
    gone = ProviderConfig(
        name="gone", type="openai", base_url=f"http://127.0.0.1:{closed_port()}/v1", timeouts=QUICK, max_retries=0
    )
    models = {"gone/far-away": ModelConfig("gone/far-away")}
    app = make_app(
        store, [openai_server.config("local", timeouts=QUICK), gone], default_model="local/gpt-4o-mini", models=models
    )
    async with app.run_test(size=(130, 40)) as pilot:
        await send(pilot, "/model")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        picker = app.screen
        # The providers answer while the picker is open: 'local' lists its models, 'gone' cannot be reached.
        await until(pilot, lambda: any(row.startswith("gone  unreachable: cannot connect") for row in rows(picker)))
        shown = rows(picker)
        assert "local" in shown
        mini = next(row for row in shown if " gpt-4o-mini " in row)
        assert "TTFT 200 ms · 70 tok/s" in mini and mini.startswith("●")
        assert any(" o3-mini " in row and "TTFT" not in row for row in shown)  # listed, never measured
        assert any(" far-away " in row for row in shown)  # still listed, under its unreachable provider
        assert app.service.provider_problems.keys() == {"gone"}
        # The filter and the highlight survive a refresh.
        await pilot.press(*"o3")
        picker.update_models(app.service.models(), {"local": "unreachable: test"})
        await pilot.pause()
        assert rows(picker)[0] == "local  unreachable: test"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.service.model == "local/o3-mini"
        # Opened again soon after, the picker does not ask the providers again.
        listed = sum(r.path == "/v1/models" for r in openai_server.requests)
        await send(pilot, "/model")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        await pilot.pause(0.1)
        assert sum(r.path == "/v1/models" for r in openai_server.requests) == listed == 1


async def test_models_the_providers_list_are_kept_for_the_next_start(store, openai_server, tmp_path):
    from mmchat.catalog import Catalog
    from mmchat.model_lists import ModelListCache, add_cached_lists

    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    app.service.model_lists = cache = ModelListCache(tmp_path / "model-lists.json")
    async with app.run_test(size=(130, 40)) as pilot:
        await send(pilot, "/model")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        await until(pilot, lambda: any(" o3-mini " in row for row in rows(app.screen)))
        await until(pilot, lambda: cache.path.exists())
    config = app.service.config
    listed = cache.get("local", config.providers["local"].base_url)
    assert listed is not None and "o3-mini" in listed
    catalog = Catalog.build(config)
    add_cached_lists(catalog, config, ModelListCache(cache.path))  # as the next start reads them
    assert "local/o3-mini" in {m.address for m in catalog.models()}


async def test_a_finished_turn_is_measured_in_the_picker_soon_after(store, openai_server):
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(130, 40)) as pilot:
        assert "local/gpt-4o-mini" not in app.service.model_speeds()
        await send(pilot, "hello")
        await until(pilot, lambda: not app.screen.turn_running and app.service.conversation_id is not None)
        # Read again in the background when the turn ends, not 30 s later.
        await until(pilot, lambda: "local/gpt-4o-mini" in app.service.model_speeds())
        await send(pilot, "/model")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        mini = next(row for row in rows(app.screen) if " gpt-4o-mini " in row)
        assert "TTFT" in mini


async def test_a_turn_that_cannot_reach_its_provider_marks_it_until_one_does(store, openai_server):
    gone = ProviderConfig(
        name="gone", type="openai", base_url=f"http://127.0.0.1:{closed_port()}/v1", timeouts=QUICK, max_retries=0
    )
    app = make_app(store, [openai_server.config("local", timeouts=QUICK), gone], default_model="gone/far-away")
    async with app.run_test(size=(130, 40)) as pilot:
        await send(pilot, "hello?")
        await until(pilot, lambda: "gone" in app.service.provider_problems)
        assert app.service.provider_problems["gone"].startswith("unreachable: cannot connect to http://127.0.0.1:")
        reached = TurnView(app.service.model_info("gone/far-away"))
        reached.status = "complete"  # an answer of the provider's came back
        app.service.session.ended(reached)
        assert app.service.provider_problems == {}


async def test_on_a_narrow_terminal_each_model_keeps_to_one_line(store, openai_server):
    from textual.widgets import OptionList

    tags = ("code", "vision", "fast", "cheap", "long-context", "reasoning")
    models = {"local/a-model-with-a-rather-long-name": ModelConfig("local/a-model-with-a-rather-long-name", tags=tags)}
    measured(store, "local/a-model-with-a-rather-long-name", [(100.0, 80.0)])
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", models=models)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "/model")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        options = app.screen.query_one(OptionList)
        await pilot.pause()
        assert options.option_count >= 2
        assert options.virtual_size.height == options.option_count  # cut at the edge, not wrapped

