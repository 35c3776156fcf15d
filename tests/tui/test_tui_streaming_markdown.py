"""StreamingMarkdown: block splitting, one render per frame, finished blocks never rendered again."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from mmchat.tui.widgets.streaming_markdown import SEAL_AFTER, MarkdownLeaf, StreamingMarkdown, block_starts
from tests.tui.conftest import until

DOCUMENT = (
    "# Heading\n\nA paragraph with **bold** and `code`.\n\n"
    "```python\ndef f(x):\n    return x * 2\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n> quoted\n\nLast words."
)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield StreamingMarkdown()


def leaves(md: StreamingMarkdown) -> list[MarkdownLeaf]:
    return list(md.query(MarkdownLeaf))


def drawn(md: StreamingMarkdown) -> list[str]:
    width = md.size.width
    return [strip.text.rstrip() for leaf in leaves(md) for strip in leaf.lines(width)]


def test_block_starts_finds_top_level_blocks_only():
    assert block_starts("para\n\n- a\n- b\n\n```\nx\n\ny\n```\n") == [0, 2, 5]
    assert block_starts("") == []


async def test_a_finished_block_is_not_rendered_again():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("First paragraph.\n\nSecond")
        await until(pilot, lambda: len(leaves(md)) == 2 and all(leaf.renders for leaf in leaves(md)))
        first, second = leaves(md)
        renders = first.renders
        md.feed(" paragraph grows")
        await until(pilot, lambda: second.sources == ["Second paragraph grows"] and second.renders > 1)
        md.feed(" and grows.\n\nThird.")
        await until(pilot, lambda: len(leaves(md)) == 3)
        await pilot.pause(0.1)
        assert first.renders == renders
        assert drawn(md)[0] == "First paragraph."


async def test_many_deltas_in_one_frame_render_once():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        for _ in range(500):
            md.feed("word ")
        await until(pilot, lambda: leaves(md) and leaves(md)[0].renders > 0)
        await pilot.pause(0.1)
        (leaf,) = leaves(md)
        assert leaf.renders <= 2
        assert leaf.source == "word " * 500


async def test_finished_leaves_are_sealed_into_few_widgets():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        for i in range(3 * SEAL_AFTER):
            md.feed(f"Paragraph {i}.\n\n")
            await pilot.pause(0.04)
        await md.finish()
        await pilot.pause()
        assert len(leaves(md)) <= 4
        lines = [line for line in drawn(md) if line]
        assert lines == [f"Paragraph {i}." for i in range(3 * SEAL_AFTER)]


async def test_streaming_in_random_pieces_draws_what_the_whole_text_draws():
    whole = Host()
    async with whole.run_test(size=(70, 60)) as pilot:
        md = whole.query_one(StreamingMarkdown)
        md.feed(DOCUMENT)
        await md.finish()
        await pilot.pause()
        expected = drawn(md)
    assert "Heading" in "".join(expected) and "quoted" in "".join(expected)

    rng = random.Random(7)
    streamed = Host()
    async with streamed.run_test(size=(70, 60)) as pilot:
        md = streamed.query_one(StreamingMarkdown)
        at = 0
        while at < len(DOCUMENT):
            step = rng.randint(1, 12)
            md.feed(DOCUMENT[at : at + step])
            at += step
            if rng.random() < 0.3:
                await pilot.pause(0.04)
        await md.finish()
        await pilot.pause()
        assert md.text == DOCUMENT
        assert drawn(md) == expected


async def test_an_open_code_fence_stays_one_block_until_closed():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("```\nline 1\n\nline 2\n")
        await until(pilot, lambda: len(leaves(md)) == 1 and leaves(md)[0].renders > 0)
        assert leaves(md)[0].source == "```\nline 1\n\nline 2\n"
        md.feed("```\n\nafter")
        await until(pilot, lambda: len(leaves(md)) == 2)
        assert leaves(md)[1].source == "after"


async def test_control_characters_never_reach_the_screen():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("a\x1b[2Jb\x1b]52;c;SGk=\x07c\x9b31md")
        await md.finish()
        await pilot.pause()
        assert md.text == "a[2Jb]52;c;SGk=c31md"
        assert drawn(md)[0] == "a[2Jb]52;c;SGk=c31md"
