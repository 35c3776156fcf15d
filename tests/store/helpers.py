"""Writing finished answers the way the engine does: pending first, then ended."""

from __future__ import annotations

from mmchat.store import AnswerEnd, NewAnswer, Store
from mmchat.types import Usage


def answer(store: Store, conversation_id: int, text: str, *, model: str = "openai/gpt-4o",
           status: str = "complete", **figures) -> int:
    """A finished answer under the conversation's head; `figures` are AnswerEnd's."""
    provider = model.split("/")[0]
    mid = store.add_message(
        conversation_id, "assistant", "", status="pending", provider=provider, model=model
    )
    store.finish_answer(mid, AnswerEnd(content=text, status=status, **figures))
    return mid


def turn(store: Store, conversation_id: int, cost: float | None, *, usage: bool = True, model: str = "lab/m",
         status: str = "complete", ttft: float | None = None, speed: float | None = None,
         output: int = 5, decision: dict | None = None) -> int:
    """A prompt and its finished answer; the answer's id."""
    started = store.start_turn(conversation_id, "q", [NewAnswer("lab", model, decision=decision)])
    (answer_id,) = started.answer_ids
    store.finish_answer(answer_id, AnswerEnd(
        content="a", status=status, usage=Usage(input_tokens=10, output_tokens=output) if usage else None,
        cost_usd=cost, ttft_ms=ttft, tokens_per_s=speed,
    ))
    return answer_id
