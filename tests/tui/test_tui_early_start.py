"""EarlyStart: a turn's stream runs from the moment it is made, and stops cleanly."""

from __future__ import annotations

import asyncio

import pytest

from mmchat.tui.early import EarlyStart


class Stream:
    """An async stream that records when it started and whether its clean-up ran."""

    def __init__(self, items: list[int], *, fail: Exception | None = None, pause: float = 0.0) -> None:
        self.items, self.fail, self.pause = items, fail, pause
        self.started = False
        self.cleaned = False

    async def run(self):
        self.started = True
        try:
            for item in self.items:
                await asyncio.sleep(self.pause)
                yield item
            if self.fail is not None:
                raise self.fail
        finally:
            await asyncio.sleep(0)  # clean-up that awaits, as storing an interrupted answer may
            self.cleaned = True


async def test_the_stream_starts_before_it_is_read_and_yields_everything_in_order() -> None:
    stream = Stream([1, 2, 3])
    early = EarlyStart(stream.run())
    await asyncio.sleep(0.01)  # the caller is busy elsewhere (mounting widgets)
    assert stream.started
    assert [item async for item in early] == [1, 2, 3]
    assert stream.cleaned


async def test_an_error_of_the_stream_reaches_the_reader_after_the_items_before_it() -> None:
    stream = Stream([1], fail=ValueError("the provider said no"))
    seen = []
    with pytest.raises(ValueError, match="the provider said no"):
        async for item in EarlyStart(stream.run()):
            seen.append(item)
    assert seen == [1]


async def test_cancelling_the_reader_stops_the_stream_and_waits_for_its_clean_up() -> None:
    stream = Stream(list(range(1000)), pause=0.01)
    seen: list[int] = []

    async def read() -> None:
        async for item in EarlyStart(stream.run()):
            seen.append(item)

    task = asyncio.ensure_future(read())
    while len(seen) < 2:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.cleaned  # done by the time the reader's cancellation finished
    assert len(seen) < 1000


async def test_cancel_before_reading_stops_the_stream() -> None:
    stream = Stream(list(range(1000)), pause=0.01)
    early = EarlyStart(stream.run())
    await asyncio.sleep(0.02)
    early.cancel()
    await asyncio.sleep(0.02)
    assert stream.started and stream.cleaned
