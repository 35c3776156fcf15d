"""SteadyStatic: frequent updates that change nothing cost nothing; same-shaped ones skip the re-layout."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content

from mmchat.tui.widgets.steady import SteadyStatic


class OneWidget(App[None]):
    def compose(self) -> ComposeResult:
        yield SteadyStatic(id="steady")


async def test_updates_refresh_only_on_change_and_lay_out_only_on_a_new_shape() -> None:
    app = OneWidget()
    async with app.run_test() as pilot:
        widget = app.query_one(SteadyStatic)
        refreshes: list[bool] = []
        refresh = widget.refresh

        def spy(*args, layout: bool = False, **kwargs):
            refreshes.append(layout)
            return refresh(*args, layout=layout, **kwargs)

        widget.refresh = spy  # type: ignore[method-assign]
        widget.show_content(Content("TTFT  120 ms\nspeed  40 tok/s"))
        widget.show_content(Content("TTFT  120 ms\nspeed  40 tok/s"))  # unchanged: nothing
        assert refreshes == [True]
        widget.show_content(Content("TTFT  130 ms\nspeed  41 tok/s"))  # same shape: repaint only
        assert refreshes == [True, False]
        widget.show_content(Content.styled("TTFT  130 ms\nspeed  41 tok/s", "bold"))  # a style is a change
        assert refreshes == [True, False, False]
        widget.show_content(Content("TTFT  130 ms\nspeed  41 tok/s\ncost  $0.01"))  # a new line: re-layout
        assert refreshes == [True, False, False, True]
        widget.show_content(Content("TTFT  130 ms\nspeed  41 tok/s\ncost  $0.0123456"))  # the widest line
        widget.show_content(Content("TTFT  130 ms\nspeed  41 tok/s\ncost  $0.012345６"))  # as long, one cell wider
        assert refreshes == [True, False, False, True, True, True]
        await pilot.pause()
        assert str(widget.render()).endswith("cost  $0.012345６")
