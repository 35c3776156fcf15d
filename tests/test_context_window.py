import pytest

from mmchat.engine.context_window import ContextTooSmall, PER_MESSAGE_OVERHEAD, fit_to_context
from mmchat.tokens import output_reserve
from mmchat.types import ChatMessage


def words(text: str) -> int:
    return len(text.split())


def convo(*contents: str) -> list[ChatMessage]:
    roles = ["user", "assistant"]
    return [ChatMessage(roles[i % 2], c) for i, c in enumerate(contents)]


def test_everything_fits_nothing_dropped():
    msgs = convo("one two", "three", "four")
    fit = fit_to_context(msgs, context=100, reserve=10, count=words)
    assert fit.messages == msgs and fit.dropped == 0
    assert fit.input_tokens == 4 + 3 * PER_MESSAGE_OVERHEAD


def test_unknown_context_keeps_everything():
    msgs = convo("a " * 1000, "b", "c")
    assert fit_to_context(msgs, context=None, reserve=0, count=words).dropped == 0


def test_drops_oldest_whole_turns_and_keeps_system():
    system = ChatMessage("system", "be brief")
    msgs = [system] + convo("w " * 20, "x " * 20, "y " * 20, "z " * 20, "newest question")
    # Budget fits system + the last two turns' worth but not the first turn.
    fit = fit_to_context(msgs, context=90, reserve=10, count=words)
    assert fit.messages[0] == system
    assert fit.messages[-1].content == "newest question"
    assert fit.dropped == 2
    # The first kept non-system message is a question, never an orphan answer.
    assert fit.messages[1].role == "user"


def test_orphan_answer_is_dropped_with_its_question():
    msgs = convo("q " * 30, "a " * 5, "q2", "a2", "newest")
    fit = fit_to_context(msgs, context=40, reserve=5, count=words)
    assert [m.content for m in fit.messages] == ["q2", "a2", "newest"]


def test_newest_message_too_large_is_a_clear_error():
    msgs = convo("old", "answer", "x " * 500)
    with pytest.raises(ContextTooSmall, match="context window"):
        fit_to_context(msgs, context=100, reserve=10, count=words)


def test_output_reserve():
    assert output_reserve(128_000, 16_384, None) == 16_384
    assert output_reserve(8_000, None, None) == 2_000
    assert output_reserve(8_000, 4_096, 500) == 500
