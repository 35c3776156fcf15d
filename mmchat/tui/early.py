"""Start an async stream at once and read it later: a turn's request goes out while the
screen still mounts the widgets its answer is shown in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()  # the stream ended (with the error it raised, if any)


class EarlyStart(Generic[T]):
    """Reads `events` in a task from construction on, into a queue iterated later.

    Stopping the iteration (or `cancel()`, when it will never be iterated) cancels the
    reading task and waits for it, so the stream's own clean-up is done when it returns."""

    def __init__(self, events: AsyncIterator[T]) -> None:
        self._queue: asyncio.Queue[tuple[object, Exception | None]] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read(events))

    async def _read(self, events: AsyncIterator[T]) -> None:
        put = self._queue.put_nowait
        try:
            async for item in events:
                put((item, None))
        except Exception as exc:  # handed to the reader; cancellation is not caught
            put((_END, exc))
        else:
            put((_END, None))

    def cancel(self) -> None:
        self._reader.cancel()

    async def __aiter__(self) -> AsyncIterator[T]:
        try:
            while True:
                item, error = await self._queue.get()
                if item is _END:
                    if error is not None:
                        raise error
                    return
                yield item  # type: ignore[misc]
        finally:
            if not self._reader.done():
                self._reader.cancel()
                await asyncio.wait([self._reader])
