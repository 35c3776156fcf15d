"""Small helpers for driving a provider in tests."""

from __future__ import annotations

from typing import Any

from mmchat.providers import Provider
from mmchat.types import ChatMessage, ChatRequest, StreamEvent, TextDelta


def ask(text: str = "Hello", *, model: str = "test-model", system: str | None = None, **params: Any) -> ChatRequest:
    messages = ((ChatMessage("system", system),) if system else ()) + (ChatMessage("user", text),)
    return ChatRequest(model=model, messages=messages, params=params)


async def collect(provider: Provider, request: ChatRequest | None = None) -> list[StreamEvent]:
    return [event async for event in provider.stream(request or ask())]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))
