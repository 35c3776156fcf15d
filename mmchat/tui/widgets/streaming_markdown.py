"""Markdown that grows as an answer streams in, at a cost that stays flat.

The text is split into top-level blocks (paragraph, list, fence, table, …).
A finished block is rendered once and appended to one leaf widget that shows
every finished block; it is never rendered again while the width and the
theme stay the same. Only the open (last) block is re-parsed and re-rendered,
at most once per frame however many deltas arrived in between. When text
arrives faster than it can be drawn, finished blocks wait in a backlog that is
rendered in slices of RENDER_SLICE_S, the event loop running in between (keys
echo, the screen paints), and frames come at a slower pace until it is drawn.

A block keeps its height; its rendered lines are kept only while they are
among the HOT_LINES most recently drawn (a block scrolled back into view is
rendered again). Long conversations thus hold few objects, which keeps both
memory and Python's garbage-collection pauses small.

Model text is shown as text: control characters are removed first, Rich
markup means nothing here, HTML stays literal and links are not clickable.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from bisect import bisect_right
from collections import OrderedDict, deque
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from mmchat.sanitize import printable

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from rich.console import RenderableType

FRAME_S = 1 / 30  # the fastest the screen is updated while text streams in
BEHIND_FRAME_S = 1 / 12  # the pace while blocks wait in the backlog: fewer, fuller frames
RENDER_SLICE_S = 0.004  # finished blocks are rendered in slices this long (at least one block each)
RENDER_GAP_S = 0.016  # between two slices: keys, painting and the stream get the loop at least 4/5 of the time
SPLIT_CHARS = 8_000  # streamed text split into blocks per frame at most (a flood is taken in slices)
BUSY_SHARE = 0.5  # a frame's work may take at most this share of the time until the next
HOT_LINES = 500  # rendered lines kept, most recently drawn first
CODE_PIECE_LINES = 24  # a longer code block is drawn in pieces of about this many lines

RenderKey = tuple[int, bool]  # (width, dark theme)


# The Markdown parser and renderer are imported on first use: the first screen does not wait for them.


def _new_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return _new_parser()


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    """The same rules without the inline ones: enough to find the blocks, in two thirds of the time."""
    return _new_parser().disable(["inline", "text_join"])


@lru_cache(maxsize=1)
def _markdown_class() -> type:
    from rich.markdown import Markdown

    class SafeMarkdown(Markdown):
        """Rich's Markdown renderable, parsed with HTML disabled (so it shows as text).

        Rich's own __init__ builds a new parser each time (a quarter of a
        paragraph's rendering time): this sets the same attributes with one shared parser.
        """

        def __init__(self, source: str, *, dark: bool) -> None:  # noqa: super().__init__ skipped on purpose
            self.markup = source
            self.parsed = _parser().parse(source)
            self.code_theme = self.inline_code_theme = "monokai" if dark else "default"
            self.justify = None
            self.style = "none"
            self.hyperlinks = False
            self.inline_code_lexer = None

    return SafeMarkdown


def _markdown(source: str, *, dark: bool) -> RenderableType:
    return _markdown_class()(source, dark=dark)


WARM_UP_LANGUAGES = ("python", "bash", "json", "javascript")

# Held by the warm-up thread, and by the UI thread while it parses or renders (which may import a
# lexer): with Python 3.11, two threads importing modules of one package can fail (gh-83065).
_LOADING = threading.Lock()


def warm_up() -> None:
    """Load the Markdown renderer and the code highlighting of common languages
    (a lexer's first use compiles its rules, ~30 ms each). Run it off the UI thread."""
    from rich.console import Console

    console = Console(width=80, file=open(os.devnull, "w"), color_system="truecolor")  # noqa: SIM115
    with _LOADING, console.file:
        for dark in (True, False):
            for language in WARM_UP_LANGUAGES:
                console.print(_markdown(f"*a*\n\n```{language}\nx = 1\n```\n", dark=dark))


def _tops(source: str) -> list[Token]:
    """The opening token of each top-level block of `source`."""
    with _LOADING:
        tokens = _block_parser().parse(source)
    return [t for t in tokens if t.level == 0 and t.map is not None and t.nesting >= 0]


def code_pieces(token: Token) -> list[str]:
    """A fenced code block cut into pieces of about CODE_PIECE_LINES lines, each a fence of its
    own; [] when it is short. A piece ends with a line that is not blank (Rich strips blank
    lines at a block's end, not at its start); the next starts at a statement, its first
    non-blank line not indented (the highlighter is then most likely between two constructs),
    or, failing one for twice as long, anywhere. Only complete lines decide a cut, so cuts
    never move as the block grows."""
    lines = token.content.splitlines(keepends=True)
    cuts, last = [0], 0
    for j in range(CODE_PIECE_LINES, len(lines)):
        size = j - last
        if size < CODE_PIECE_LINES or not lines[j - 1].strip() or not lines[j].endswith("\n"):
            continue
        first = next((lines[k] for k in range(j, len(lines)) if lines[k].strip()), "")
        if not first.endswith("\n"):
            continue  # the next statement is not known yet
        if first[0] in " \t" and size < 2 * CODE_PIECE_LINES:
            continue
        cuts.append(j)
        last = j
    if len(cuts) == 1:
        return []
    opening, closing = f"{token.markup}{token.info}\n", f"{token.markup}\n"
    return [opening + "".join(lines[a:b]) + closing for a, b in zip(cuts, [*cuts[1:], len(lines)])]


# Rendered before a block, then dropped: the blank line Rich puts between two blocks of one
# document (or not, for a list that brings its own) comes out exactly as in the whole document.
_BEFORE = "\u200b\n\n"


class _HotLines:
    """The blocks whose rendered lines are kept, least recently used first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._blocks: OrderedDict[Block, None] = OrderedDict()

    def touch(self, block: Block) -> None:
        if block in self._blocks:
            self._blocks.move_to_end(block)
            return
        self._blocks[block] = None
        self.total += block.height
        while self.total > self.limit and len(self._blocks) > 1:  # the newest, `block`, stays
            self.drop(next(iter(self._blocks)))

    def drop(self, block: Block) -> None:
        if block in self._blocks:
            del self._blocks[block]
            self.total -= block.height
        block.lines_ = None


HOT = _HotLines(HOT_LINES)


Line = list[Segment]  # one rendered line, padded to the width (a Strip is made only to draw it)


class Block:
    """One top-level block: its source, its height at the last key, and (while hot) its lines.

    Its lines start with the space Rich leaves after the block before, unless it is `alone`
    (the first block, or one after a thematic break, which Rich follows with no blank line).
    A piece of a long code block (see code_pieces) leaves out the padding line above it
    (`joins_above`) or below it (`joins_below`) where it meets the next piece.
    """

    __slots__ = ("source", "alone", "joins_above", "joins_below", "key", "height", "lines_", "renders")

    def __init__(self, source: str, *, alone: bool = True, joins_above: bool = False, joins_below: bool = False) -> None:
        self.source = source
        self.alone = alone
        self.joins_above = joins_above
        self.joins_below = joins_below
        self.key: RenderKey | None = None
        self.height = 0
        self.lines_: list[Line] | None = None
        self.renders = 0

    def same(self, other: Block | None) -> bool:
        """Whether `other` draws exactly what this block draws (so its lines can be reused)."""
        return other is not None and (other.source, other.alone, other.joins_above, other.joins_below) == (
            self.source, self.alone, self.joins_above, self.joins_below
        )  # fmt: skip

    def lines(self, widget: Widget, key: RenderKey) -> list[Line]:
        """The rendered lines at `key` (rendered now unless they are still kept)."""
        if self.key != key or self.lines_ is None:
            HOT.drop(self)
            width, dark = key
            options = widget.app.console_options.update(highlight=False, width=width, height=None)
            source = self.source if self.alone else _BEFORE + self.source
            with _LOADING:
                segments = widget.app.console.render(_markdown(source, dark=dark), options)
                lines = list(Segment.split_and_crop_lines(segments, width, pad=True))
            top = (0 if self.alone else 1) + self.joins_above
            self.lines_ = lines[top : len(lines) - self.joins_below]
            self.key, self.height = key, len(self.lines_)
            self.renders += 1
        HOT.touch(self)
        return self.lines_

    def measure(self, widget: Widget, key: RenderKey) -> int:
        if self.key != key:
            self.lines(widget, key)
        return self.height


class MarkdownLeaf(Widget):
    """Blocks drawn one after another. Adding a block measures only that block;
    drawing a line renders at most its block."""

    DEFAULT_CSS = """
    MarkdownLeaf { width: 1fr; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[Block] = []
        self._key: RenderKey | None = None
        self._starts: list[int] = []  # the first line of each block at _key
        self._height = 0
        self._style = Style()

    @property
    def sources(self) -> list[str]:
        return [block.source for block in self.blocks]

    @property
    def source(self) -> str:
        return "".join(self.sources)

    @property
    def renders(self) -> int:
        """How many times this leaf's blocks were rendered."""
        return sum(block.renders for block in self.blocks)

    def key(self, width: int) -> RenderKey:
        return (width, self.app.current_theme.dark)

    def set_blocks(self, blocks: list[Block]) -> None:
        self.blocks = list(blocks)
        self._key = None
        self.display = bool(blocks)
        self.refresh(layout=True)

    def add(self, blocks: list[Block]) -> None:
        """Append finished blocks (already measured at this leaf's key, they cost nothing more)."""
        if not blocks:
            return
        if self._key is not None:
            for block in blocks:
                self._append(block, self._key)
        self.blocks += blocks
        self.display = True
        self.refresh(layout=True)

    def _append(self, block: Block, key: RenderKey) -> None:
        self._starts.append(self._height)
        self._height += block.measure(self, key)

    def _measure(self, width: int) -> None:
        key = self.key(width)
        if self._key != key:
            self._key, self._starts, self._height = key, [], 0
            for block in self.blocks:
                self._append(block, key)

    def lines(self, width: int) -> list[Strip]:
        """Every line (renders every block: for tests and small leaves, not for drawing)."""
        if width <= 0:
            return []
        self._measure(width)
        assert self._key is not None
        return [Strip(line, width) for block in self.blocks for line in block.lines(self, self._key)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width <= 0:
            return 0
        self._measure(width)
        return self._height

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once per drawing, not per line: the style, and the key (which reads the app's theme).
        self._style = self.rich_style
        if self.size.width > 0:
            self._measure(self.size.width)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width <= 0 or self._key is None:
            return Strip.blank(width, self._style)
        at = bisect_right(self._starts, y) - 1
        if at < 0:
            return Strip.blank(width, self._style)
        block = self.blocks[at]
        lines = block.lines(self, self._key)  # type: ignore[arg-type]
        row = y - self._starts[at]
        if row >= len(lines):
            return Strip.blank(width, self._style)
        # Not Strip.apply_style: it would keep the styled copy in a cache of every line drawn.
        return Strip(Segment.apply_style(lines[row], self._style), width)


class StreamingMarkdown(Widget):
    """Feed text with `feed`; await `finish` once the answer is complete."""

    DEFAULT_CSS = """
    StreamingMarkdown { height: auto; layout: vertical; margin: 0 0 1 0; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._pieces: list[str] = []  # everything fed so far
        self._pending: list[str] = []  # fed but not yet split into blocks
        self._tail = ""  # the source of the open block (and anything after it)
        self._backlog: deque[Block] = deque()  # finished blocks not rendered yet
        self._ready: list[Block] = []  # finished blocks rendered, shown on the next frame
        self._open_block: Block | None = None
        self._next_alone = True  # whether the next block follows nothing (or a thematic break)
        self._pieces_sent = 0  # pieces of the open code block already in the backlog
        self.done = MarkdownLeaf()  # every finished block on screen
        self.open = MarkdownLeaf()  # the block still being written
        self._scheduled = False
        self._rendering = False
        self._finished = False
        self._drained = asyncio.Event()
        self._delay = FRAME_S

    def compose(self) -> ComposeResult:
        self.done.display = self.open.display = False
        yield self.done
        yield self.open

    @property
    def text(self) -> str:
        """All the text fed so far, after sanitising."""
        return "".join(self._pieces)

    @property
    def _behind(self) -> bool:
        """Whether finished blocks are still waiting to be shown."""
        return bool(self._pending or self._backlog or self._ready)

    def feed(self, text: str) -> None:
        """Add streamed text; it reaches the screen on the next frame."""
        text = printable(text)
        if not text or self._finished:
            return
        self._pieces.append(text)
        self._pending.append(text)
        self._schedule()

    async def finish(self) -> None:
        """Close the last block and return once everything fed is on screen: nothing changes after this."""
        if self._finished:
            return
        self._finished = True
        self._update()
        if self._behind:
            self._schedule()
            await self._drained.wait()

    def on_unmount(self) -> None:
        self._drained.set()  # nobody waits for a widget that is gone

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.set_timer(self._delay, self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        started = time.perf_counter()
        self._update()
        # Slow frames (say, a huge open code block) are spaced out, so the
        # interface keeps at least half of its time for keys and painting.
        pace = BEHIND_FRAME_S if self._behind else FRAME_S
        self._delay = max(pace, (time.perf_counter() - started) / BUSY_SHARE)
        if self._behind:
            self._schedule()

    def _update(self) -> None:
        """A frame: split what was fed into blocks, show the blocks rendered since the last
        frame, and the open block once every block before it is shown."""
        width = self.done.size.width or self.size.width
        key = self.done.key(width) if width > 0 else None
        self._split(final=self._finished, limit=SPLIT_CHARS if key else None)
        if key is None:  # not laid out yet (an answer read from the store): the layout measures it all
            self._ready += self._backlog
            self._backlog.clear()
        elif self._backlog and not self._rendering:
            self._rendering = True
            self._render_slice()
        self.done.add(self._ready)
        self._ready = []
        opening = self._open_block
        if self._behind or opening is None:
            if self.open.display:
                self.open.set_blocks([])  # an open block shows again once the blocks before it do
        elif self.open.blocks != [opening]:
            if key is not None:
                opening.measure(self, key)
            self.open.set_blocks([opening])
        if self._finished and not self._behind:
            self._drained.set()

    def _render_slice(self) -> None:
        """Render backlog blocks for at most RENDER_SLICE_S, then let the event loop run
        (keys, painting) before the next slice; frames show what is rendered."""
        width = self.done.size.width or self.size.width
        if width <= 0 or not self._backlog or not self.is_attached:
            self._rendering = False
            return
        key = self.done.key(width)
        deadline = time.perf_counter() + RENDER_SLICE_S
        while self._backlog:
            block = self._backlog.popleft()
            block.measure(self, key)
            self._ready.append(block)
            if time.perf_counter() >= deadline:
                break
        if self._backlog:
            self.set_timer(RENDER_GAP_S, self._render_slice)
        else:
            self._rendering = False

    def _split(self, *, final: bool, limit: int | None) -> None:
        """Move the finished blocks of what was fed to the backlog; keep the open one in `_open_block`.
        With `limit`, take at most that many new characters (the rest waits for the next frame)."""
        new = "".join(self._pending)
        self._pending.clear()
        if limit is not None and len(new) > limit:
            new, rest = new[:limit], new[limit:]
            self._pending.append(rest)
        final = final and not self._pending
        if not new and not (final and self._open_block is not None):
            return
        self._tail += new
        lines = self._tail.splitlines(keepends=True)
        tops = _tops(self._tail)
        starts = [t.map[0] for t in tops]  # type: ignore[index]
        sources = ["".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)])]
        count = len(sources) if final else len(sources) - 1
        previous, self._open_block = self._open_block, None
        for source, token in zip(sources[:count], tops):
            first, *rest = self._blocks(source, token, closed=True)
            self._backlog += [_adopt(first, previous), *rest]
            previous = None
            self._next_alone = token.type == "hr"
        if sources and not final:
            *pieces, opening = self._blocks(sources[-1], tops[-1], closed=False)
            self._backlog += pieces
            self._open_block = _adopt(opening, previous)
        elif previous is not None:
            HOT.drop(previous)  # the open block was finished above, or is gone
        self._tail = "".join(lines[starts[-1] :]) if starts and not final else ""

    def _blocks(self, source: str, token: Token, *, closed: bool) -> list[Block]:
        """The blocks drawing `source`: one, or the pieces of a long code block not sent yet
        (with `closed` False the last piece is the open one, kept for the next frame)."""
        pieces = code_pieces(token) if token.type == "fence" else []
        if not pieces:
            return [Block(source, alone=self._next_alone)]
        last = len(pieces) - 1
        blocks = [
            Block(piece, alone=self._next_alone if i == 0 else True, joins_above=i > 0, joins_below=i < last)
            for i, piece in enumerate(pieces[self._pieces_sent :], start=self._pieces_sent)
        ]
        self._pieces_sent = 0 if closed else last
        return blocks


def _adopt(block: Block, previous: Block | None) -> Block:
    """`block`, or `previous` (the open block of the last frame) when it draws the same thing,
    so its rendered lines are reused; a `previous` not reused is a draft, never drawn again."""
    if previous is not None:
        if block.same(previous):
            return previous
        HOT.drop(previous)
    return block
