"""Markdown that grows as an answer streams in, at a cost that stays flat.

The text is split into top-level blocks (paragraph, list, fence, table, …).
Only the open (last) block is re-parsed and re-rendered, at most once per
frame however many deltas arrived in between. A finished block becomes a
leaf widget that is never rendered again; every SEAL_AFTER finished leaves
are merged into one sealed leaf, so the number of widgets (and Textual's
layout work, which visits every widget on each change) stays small.

Model text is shown as text: control characters are removed first, Rich
markup means nothing here, HTML stays literal and links are not clickable.
"""

from __future__ import annotations

import asyncio
import time
from functools import lru_cache

from markdown_it import MarkdownIt
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from mmchat.sanitize import printable

FRAME_S = 1 / 30  # the fastest the open block is re-rendered
BUSY_SHARE = 0.5  # a render may take at most this share of the time between two frames
SEAL_AFTER = 16  # finished leaves merged into one sealed leaf


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


class _Markdown(RichMarkdown):
    """Rich's Markdown renderable, parsed with HTML disabled (so it shows as text)."""

    def __init__(self, source: str, *, dark: bool) -> None:
        super().__init__("", code_theme="monokai" if dark else "default", hyperlinks=False)
        self.markup = source
        self.parsed = _parser().parse(source)


def block_starts(source: str) -> list[int]:
    """The line index where each top-level Markdown block of `source` starts."""
    return [t.map[0] for t in _parser().parse(source) if t.level == 0 and t.map is not None]


class MarkdownLeaf(Widget):
    """Finished blocks (or the open block) drawn from lines rendered once per width and theme.

    Sealing concatenates the lines its leaves already rendered: nothing is
    rendered again until the width or the theme changes.
    """

    DEFAULT_CSS = """
    MarkdownLeaf { width: 1fr; height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, sources: list[str], rendered: tuple[tuple[int, bool], list[Strip]] | None = None) -> None:
        super().__init__()
        self.sources = sources
        self._rendered = rendered  # ((width, dark), lines)
        self.renders = 0  # how many times the sources were rendered (sealing reuses lines)

    @property
    def source(self) -> str:
        return "".join(self.sources)

    def show(self, source: str) -> None:
        """Show `source` as this leaf's one block (the open block while it streams)."""
        if self.sources != [source]:
            self.sources = [source]
            self._rendered = None
            self.refresh(layout=True)

    def lines(self, width: int) -> list[Strip]:
        if width <= 0:
            return []
        dark = self.app.current_theme.dark
        if self._rendered is None or self._rendered[0] != (width, dark):
            self._rendered = ((width, dark), self._render_sources(width, dark))
        return self._rendered[1]

    def _render_sources(self, width: int, dark: bool) -> list[Strip]:
        self.renders += 1
        console = self.app.console
        options = self.app.console_options.update(highlight=False, width=width, height=None)
        lines: list[Strip] = []
        for i, source in enumerate(self.sources):
            if i:
                lines.append(Strip.blank(width))
            segments = console.render(_Markdown(source, dark=dark), options)
            lines += [Strip(line) for line in Segment.split_and_crop_lines(segments, width, pad=True)]
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self.lines(width)
        if y >= len(lines):
            return Strip.blank(width, self.rich_style)
        return lines[y].apply_style(self.rich_style)

    @classmethod
    def sealed(cls, leaves: list[MarkdownLeaf]) -> MarkdownLeaf:
        """One leaf showing `leaves`, reusing the lines they rendered when they agree on width and theme."""
        sources = [s for leaf in leaves for s in leaf.sources]
        keys = {leaf._rendered[0] if leaf._rendered else None for leaf in leaves}
        rendered = None
        if len(keys) == 1 and None not in keys:
            key = keys.pop()
            lines: list[Strip] = []
            for i, leaf in enumerate(leaves):
                if i:
                    lines.append(Strip.blank(key[0]))
                lines += leaf._rendered[1]  # type: ignore[index]
            rendered = (key, lines)
        return cls(sources, rendered)


class StreamingMarkdown(Widget):
    """Feed text with `feed`; await `finish` once the answer is complete."""

    DEFAULT_CSS = """
    StreamingMarkdown { height: auto; layout: vertical; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._pieces: list[str] = []  # everything fed so far
        self._pending: list[str] = []  # fed but not yet on screen
        self._tail = ""  # the source of the open block (and anything after it)
        self._open: MarkdownLeaf | None = None
        self._loose: list[MarkdownLeaf] = []  # finished leaves not yet sealed
        self._scheduled = False
        self._finished = False
        self._lock = asyncio.Lock()
        self._delay = FRAME_S

    @property
    def text(self) -> str:
        """All the text fed so far, after sanitising."""
        return "".join(self._pieces)

    def feed(self, text: str) -> None:
        """Add streamed text; it reaches the screen on the next frame."""
        text = printable(text)
        if not text or self._finished:
            return
        self._pieces.append(text)
        self._pending.append(text)
        if not self._scheduled:
            self._scheduled = True
            self.set_timer(self._delay, self._flush)

    async def finish(self) -> None:
        """Show what is pending and close the last block: nothing changes after this."""
        if self._finished:
            return
        self._finished = True
        async with self._lock:
            await self._render_blocks(final=True)

    async def _flush(self) -> None:
        async with self._lock:
            self._scheduled = False
            if self._finished or not self._pending:
                return
            started = time.perf_counter()
            await self._render_blocks(final=False)
            # A slow render (say, a huge open code block) spaces frames out, so the
            # UI keeps at least half of its time for keys and painting.
            self._delay = max(FRAME_S, (time.perf_counter() - started) / BUSY_SHARE)

    async def _render_blocks(self, *, final: bool) -> None:
        self._tail += "".join(self._pending)
        self._pending.clear()
        lines = self._tail.splitlines(keepends=True)
        starts = block_starts(self._tail)
        sources = ["".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)])]
        done, still_open = (sources, None) if final else (sources[:-1], sources[-1] if sources else None)
        with self.app.batch_update():
            mounts: list[MarkdownLeaf] = []
            if done and self._open is not None:
                self._open.show(done[0])  # the open block is finished: its leaf stays as it is
                self._loose.append(self._open)
                self._open = None
                done = done[1:]
            for source in done:
                leaf = MarkdownLeaf([source])
                self._loose.append(leaf)
                mounts.append(leaf)
            if still_open is not None:
                if self._open is None:
                    self._open = MarkdownLeaf([still_open])
                    mounts.append(self._open)
                else:
                    self._open.show(still_open)
            elif final and self._open is not None:
                await self._open.remove()
                self._open = None
            if mounts:
                await self.mount_all(mounts, before=self._open if self._open in self.children else None)
            if len(self._loose) >= SEAL_AFTER or (final and len(self._loose) > 1):
                await self._seal()
        self._tail = "".join(lines[starts[-1]:]) if starts and not final else ""

    async def _seal(self) -> None:
        """Merge the loose finished leaves into one (each block is rendered once more, then never)."""
        loose, self._loose = self._loose, []
        sealed = MarkdownLeaf.sealed(loose)
        await self.mount(sealed, before=loose[0])
        await self.remove_children(loose)
