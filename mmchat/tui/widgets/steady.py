"""Text that is updated often (the sidebar's live figures, the status line, the typing
preview) without re-laying out the screen each time."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static


class SteadyStatic(Static):
    """A Static whose `show` does nothing when the text and its styles are unchanged, and
    re-lays out the screen only when the text's shape (line count, widest line) changes."""

    _shown: tuple[str, tuple[object, ...]] | None = None
    _shape: tuple[int, int] | None = None

    def show_content(self, content: Content) -> None:
        shown = (content.plain, tuple(content.spans))
        if shown == self._shown:
            return
        lines = content.plain.split("\n")
        shape = (len(lines), max(cell_len(line) for line in lines))  # cells: wide characters count twice
        self.update(content, layout=shape != self._shape)
        self._shown, self._shape = shown, shape
