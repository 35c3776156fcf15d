"""Pilot tests of the routing rules read again while the app runs: someone tuning them edits
the config file, and the typing preview and the next turn follow; a broken edit keeps the old
rules and the status line says file:line: why.

Time is driven by calling the screen's check (ChatScreen.check_routing) directly; the app's
own one-second timer may get there first, which changes nothing the tests look at.
"""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import make_app, until
from tests.tui.test_tui_autoroute import BIG_FIRST, answers, notes, plain, sent_models, status, two_provider_app, word_rules

QUESTION_TO_SMALL = ("small first", "question", "two/small")


def config_text(server, routing: str, *, retries: int = 0) -> str:
    """The file two_provider_app's config is read from: `one` and `two` on the test server."""
    providers = "".join(
        f"  {name}:\n    type: openai\n    base_url: {server.base_url}\n    max_retries: {retries}\n"
        "    timeouts: {connect: 0.5, first_token: 2.0, idle: 2.0}\n"
        for name in ("one", "two")
    )
    models = "  one/big: {context: 32000, tags: [strong]}\n  two/small: {context: 32000, tags: [small]}\n"
    return f"providers:\n{providers}models:\n{models}{routing}"


def config_file(store) -> Path:
    """Where make_app says its config came from (Config.source)."""
    return store.db_path.parent / "config.yaml"


def preview(app) -> str:
    return plain(app.screen.query_one("#route-preview"))


async def reread(pilot, condition) -> None:
    """The screen looks at the file now (as its timer does each second), then the app runs until `condition()`."""
    pilot.app.screen.check_routing()
    await until(pilot, condition)


def app_with_config_file(store, server):
    """The app and the config file it was started from (its rules send everything to one/big)."""
    path = config_file(store)
    path.write_text(config_text(server, word_rules(BIG_FIRST)))
    return two_provider_app(store, server, word_rules(BIG_FIRST)), path


async def test_edited_rules_apply_to_the_preview_and_the_next_turn_and_a_broken_edit_keeps_them(store, openai_server):
    server = openai_server
    app, path = app_with_config_file(store, server)
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.pause()
        app.screen.check_routing()  # the file as the app started with it: nothing to read again
        await pilot.pause()
        assert not any("reloaded" in n for n in notes(app))
        await pilot.press(*"a question")
        await until(pilot, lambda: preview(app).startswith("→ one/big · "))

        # The rule now sends questions to two/small: the preview follows, then the turn.
        path.write_text(config_text(server, word_rules(QUESTION_TO_SMALL)))
        await reread(pilot, lambda: preview(app).startswith("→ two/small · "))
        assert any(n.startswith("routing rules reloaded (1 rules, ") for n in notes(app))
        assert not any("restart mmchat" in n for n in notes(app))  # only the routing section changed
        await pilot.press("enter")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        assert answers(app)[0].model == "two/small"
        assert sent_models(server) == ["small"]

        # A bad regex: the old rules stay, and the status line says where and why.
        broken = word_rules(("big first", "question", "one/big")).replace("{contains: question}", '{regex: "("}')
        path.write_text(config_text(server, broken))
        await reread(pilot, lambda: "old rules kept" in status(app))
        line = status(app)
        assert f"{path}:18: " in line and "rule 'big first'" in line and "\n" not in line
        assert status(app).startswith("auto · old rules kept: ")
        assert app.service.decide("another question").model == "two/small"
        await pilot.press(*"another question")
        await until(pilot, lambda: preview(app).startswith("→ two/small · "))
        # Not YAML at all: the file and line of the mistake.
        path.write_text(config_text(server, "routing: [unclosed\n"))
        await reread(pilot, lambda: "YAML syntax error" in status(app))
        assert f"old rules kept: {path}:16: YAML syntax error: " in status(app)
        assert app.service.decide("another question").model == "two/small"

        # An edit that loads takes over and clears the status line.
        count = sum("reloaded" in n for n in notes(app))
        path.write_text(config_text(server, word_rules(BIG_FIRST)))
        await reread(pilot, lambda: "old rules kept" not in status(app))
        assert sum("reloaded" in n for n in notes(app)) == count + 1
        await until(pilot, lambda: preview(app).startswith("→ one/big · "))
        await pilot.press("enter")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert answers(app)[1].model == "one/big"
    assert sent_models(server) == ["small", "big"]


async def test_a_provider_edit_asks_for_a_restart_and_a_file_saved_by_rename_is_read(store, openai_server):
    server = openai_server
    app, path = app_with_config_file(store, server)
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.pause()
        # Saved the way many editors do: a new file renamed over the old one.
        new = path.with_name("config.yaml.new")
        new.write_text(config_text(server, word_rules(QUESTION_TO_SMALL), retries=3))
        new.replace(path)
        await reread(pilot, lambda: any("restart mmchat to apply provider changes" in n for n in notes(app)))
        assert app.service.decide("a question").model == "two/small"  # the rules apply at once
        assert app.service.session.engine.config.providers["one"].max_retries == 0  # the providers do not
        # A file gone for a moment (between an editor's write and rename) is waited for.
        path.unlink()
        app.screen.check_routing()
        await pilot.pause()
        assert "old rules kept" not in status(app)
        path.write_text(config_text(server, word_rules(BIG_FIRST)))
        await reread(pilot, lambda: app.service.decide("a question").model == "one/big")


async def test_without_a_config_file_nothing_is_watched(store, openai_server):
    app = make_app(store, [openai_server.config("lab")], default_model="lab/small", route="auto")
    assert app.service.config.source is None
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.screen.check_routing()
        await pilot.pause()
        assert app.screen._routing_reader is None
