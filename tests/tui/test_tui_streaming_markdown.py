"""StreamingMarkdown: block splitting, one render per frame, finished blocks never rendered
again, a flood drawn a slice per frame, and rendered lines kept only for recent blocks."""

from __future__ import annotations

import asyncio
import random

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from mmchat.tui.widgets import streaming_markdown
from mmchat.tui.widgets.streaming_markdown import (
    CODE_PIECE_LINES,
    HOT,
    MarkdownLeaf,
    StreamingMarkdown,
    _tops,
)
from tests.tui.conftest import until

DOCUMENT = (
    "# Heading\n\nA paragraph with **bold** and `code`.\n\n"
    "```python\ndef f(x):\n    return x * 2\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\nA list follows:\n\n- one\n- two\n\n> quoted\n\n---\n\nLast words."
)


def rich_cells(app: App, text: str, width: int) -> list[list[tuple[str, object]]]:
    """`text` rendered by Rich as one document, as (character, style) cells per line:
    what the blocks drawn one by one must add up to."""
    from rich.markdown import Markdown
    from rich.segment import Segment

    options = app.console_options.update(width=width, height=None)
    segments = app.console.render(Markdown(text, code_theme="monokai", hyperlinks=False), options)
    return [cells(line) for line in Segment.split_and_crop_lines(segments, width, pad=True)]


def rich_lines(app: App, text: str, width: int) -> list[str]:
    return ["".join(c for c, _ in line).rstrip() for line in rich_cells(app, text, width)]


def cells(segments) -> list[tuple[str, object]]:
    return [(char, segment.style) for segment in segments for char in segment.text]


class Host(App[None]):
    CSS = "VerticalScroll { scrollbar-gutter: stable; }"  # as the conversation: the width never changes

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield StreamingMarkdown()


def leaves(md: StreamingMarkdown) -> list[MarkdownLeaf]:
    return list(md.query(MarkdownLeaf))


def drawn(md: StreamingMarkdown) -> list[str]:
    """The lines of every leaf on screen, as `lines` gives them."""
    width = md.size.width
    return [strip.text.rstrip() for leaf in leaves(md) if leaf.display for strip in leaf.lines(width)]


def painted(leaf: MarkdownLeaf) -> list[str]:
    """The leaf's lines as the screen asks for them, one `render_line` at a time."""
    return [leaf.render_line(y).text.rstrip() for y in range(leaf.size.height)]


@pytest.fixture
def one_block_per_frame(monkeypatch):
    """Render slices of no time at all: one block each (at least one is always rendered)."""
    monkeypatch.setattr(streaming_markdown, "RENDER_SLICE_S", 0.0)


def test_only_top_level_blocks_are_cut_at():
    starts = [t.map[0] for t in _tops("para\n\n- a\n- b\n\n```\nx\n\ny\n```\n")]
    assert starts == [0, 2, 5]  # the list's items and the fence's blank line are not cuts
    assert _tops("") == []


async def test_a_finished_block_is_not_rendered_again():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("First paragraph.\n\nSecond")
        await until(pilot, lambda: md.done.blocks and md.open.blocks and md.open.renders)
        (first,) = md.done.blocks
        assert first.renders == 1
        md.feed(" paragraph grows")
        await until(pilot, lambda: md.open.sources == ["Second paragraph grows"] and md.open.renders)
        md.feed(" and grows.\n\nThird.")
        await until(pilot, lambda: md.done.sources == ["First paragraph.\n\n", "Second paragraph grows and grows.\n\n"])
        await pilot.pause(0.1)
        assert first.renders == 1
        assert drawn(md)[0] == "First paragraph."
        assert painted(md.done)[0] == "First paragraph."


async def test_many_deltas_in_one_frame_render_once(monkeypatch):
    rendered: list[str] = []  # every Markdown renderable made, whichever block it is for
    make = streaming_markdown._markdown

    def counted(source: str, *, dark: bool):
        rendered.append(source)
        return make(source, dark=dark)

    monkeypatch.setattr(streaming_markdown, "_markdown", counted)
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        for _ in range(500):
            md.feed("word ")
        await until(pilot, lambda: md.open.renders > 0)
        await pilot.pause(0.1)
        assert len(rendered) <= 2  # one frame's worth, not one per delta
        assert md.open.source == "word " * 500
        assert md.done.blocks == []


async def test_a_flood_is_drawn_a_slice_per_frame_and_finish_waits_for_all_of_it(one_block_per_frame):
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        count = 40
        md.feed("".join(f"Paragraph {i}.\n\n" for i in range(count)) + "open")
        await until(pilot, lambda: md.done.blocks)
        assert len(md.done.blocks) < count
        # The open block waits for the blocks before it: never drawn out of order.
        assert not md.open.display
        await md.finish()
        assert len(md.done.blocks) == count + 1
        assert all(block.renders == 1 for block in md.done.blocks)
        await pilot.pause()
        assert [line for line in drawn(md) if line] == [f"Paragraph {i}." for i in range(count)] + ["open"]


async def test_finished_blocks_share_one_leaf():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        for i in range(30):
            md.feed(f"Paragraph {i}.\n\n")
            await pilot.pause(0.01)
        await md.finish()
        await pilot.pause()
        assert leaves(md) == [md.done, md.open] and not md.open.display
        assert [line for line in painted(md.done) if line] == [f"Paragraph {i}." for i in range(30)]


async def test_streaming_in_random_pieces_draws_what_the_whole_text_draws():
    whole = Host()
    async with whole.run_test(size=(70, 60)) as pilot:
        md = whole.query_one(StreamingMarkdown)
        md.feed(DOCUMENT)
        await md.finish()
        await pilot.pause()
        expected = drawn(md)
        assert painted(md.done) == expected
        assert expected == rich_lines(whole, DOCUMENT, md.size.width)
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
        assert painted(md.done) == expected


async def test_an_open_code_fence_stays_one_block_until_closed():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("```\nline 1\n\nline 2\n")
        await until(pilot, lambda: md.open.renders > 0)
        assert md.open.sources == ["```\nline 1\n\nline 2\n"] and md.done.blocks == []
        md.feed("```\n\nafter")
        await until(pilot, lambda: md.done.blocks and md.open.sources == ["after"])
        assert md.done.sources == ["```\nline 1\n\nline 2\n```\n\n"]


async def test_a_long_code_block_is_drawn_in_pieces_exactly_as_one_block():
    body = "".join(
        f"def step_{i}(x):\n    \"\"\"Step {i}.\"\"\"\n    return x + {i}  # add\n\n" for i in range(45)
    )
    document = f"Before.\n\n```python\n{body}```\n\nAfter."
    rng = random.Random(3)
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        md = app.query_one(StreamingMarkdown)
        at = 0
        while at < len(document):
            step = rng.randint(1, 40)
            md.feed(document[at : at + step])
            at += step
            if rng.random() < 0.2:
                await pilot.pause(0.02)
                # The open block is at most a piece: never the whole long block.
                assert all(source.count("\n") <= 2 * CODE_PIECE_LINES + 4 for source in md.open.sources)
        await md.finish()
        await pilot.pause()
        width = md.size.width
        pieces = [source for source in md.done.sources if source.startswith("```python")]
        assert len(pieces) >= 4
        assert all(source.count("\n") <= 2 * CODE_PIECE_LINES + 2 for source in pieces)
        drawn_cells = [cells(strip) for strip in md.done.lines(width)]
        assert drawn_cells == rich_cells(app, document, width)  # the same text in the same colours


async def test_only_recent_blocks_keep_their_lines_and_others_are_drawn_again(monkeypatch):
    monkeypatch.setattr(HOT, "limit", 10)
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("".join(f"Paragraph {i}.\n\n" for i in range(60)))
        await md.finish()
        await pilot.pause()  # the screen shows the first paragraphs: drawing them keeps theirs
        kept = [block for block in md.done.blocks if block.lines_ is not None]
        assert 0 < sum(block.height for block in kept) <= 10
        last = md.done.blocks[-1]
        assert last.lines_ is None and last.renders == 1
        assert md.done.size.height == 60 * 2 - 1  # every block's height is kept (a blank line between two)
        assert md.done.render_line(60 * 2 - 2).text.rstrip() == "Paragraph 59."
        assert last.renders == 2


async def test_a_new_width_measures_every_block_again():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("word " * 12 + "\n\nshort")
        await md.finish()
        await pilot.pause()
        assert md.done.size.height == 1 + 1 + 1  # one line, the gap, one line
        await pilot.resize_terminal(40, 30)
        await pilot.pause()
        lines = painted(md.done)
        assert len(lines) == md.done.size.height == 2 + 1 + 1
        assert " ".join(lines[:2]).split() == ["word"] * 12 and lines[3] == "short"


async def test_finish_returns_when_the_widget_goes_away(one_block_per_frame):
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("".join(f"Paragraph {i}.\n\n" for i in range(200)))
        finishing = asyncio.ensure_future(md.finish())
        await pilot.pause(0.05)
        assert not finishing.done()
        await md.remove()
        await asyncio.wait_for(finishing, 2)


async def test_control_characters_never_reach_the_screen():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(StreamingMarkdown)
        md.feed("a\x1b[2Jb\x1b]52;c;SGk=\x07c\x9b31md")
        await md.finish()
        await pilot.pause()
        assert md.text == "a[2Jb]52;c;SGk=c31md"
        assert drawn(md)[0] == "a[2Jb]52;c;SGk=c31md"


def test_the_shared_parser_markdown_sets_every_attribute_rich_sets():
    from rich.markdown import Markdown

    # Its __init__ skips Rich's on purpose: a Rich release that adds an attribute shows here first.
    assert set(vars(streaming_markdown._markdown("x", dark=True))) == set(vars(Markdown("x")))
