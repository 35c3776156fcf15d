"""The judge's requests (rubric, prompt, reference, answers) and the reading of its verdicts."""

from __future__ import annotations

import pytest

from mmchat.bench.judge import pairwise_messages, pairwise_passes, parse_pairwise, parse_score, score_messages
from mmchat.bench.suite import Case, JudgeSpec, Turn

CASE = Case(
    id="explain", prompt="Explain why the sky is blue.", line=0,
    system="Answer for a child.", history=(Turn("user", "Hi"), Turn("assistant", "Hello!")),
)


def test_score_messages_hold_the_rubric_prompt_and_answer():
    spec = JudgeSpec("a/judge", "Is the physics right?")
    system, user = score_messages(spec, CASE, "Rayleigh scattering of sunlight.")
    assert (system.role, user.role) == ("system", "user")
    assert "ignore length" in system.content
    for part in ("Is the physics right?", "Explain why the sky is blue.", "Rayleigh scattering of sunlight.",
                 "Answer for a child.", "[assistant] Hello!", "SCORE: N"):
        assert part in user.content
    assert "Reference" not in user.content
    # The parts come in order: the task, the rubric, the answer.
    content = user.content
    assert content.index("sky is blue") < content.index("physics right") < content.index("Rayleigh")


def test_a_reference_is_shown_when_given():
    spec = JudgeSpec("a/judge", "As good as the reference?", reference="Blue light scatters most.")
    (_, user) = score_messages(spec, Case(id="c", prompt="Why blue?", line=0), "Because.")
    assert "Blue light scatters most." in user.content
    assert user.content.index("Blue light scatters") < user.content.index("Because.")
    assert "comparing with the reference answer" in user.content


def test_pairwise_messages_show_both_answers_in_order():
    spec = JudgeSpec("a/judge", "Which is clearer?", mode="pairwise", against="b/other")
    system, user = pairwise_messages(spec, CASE, "FIRST ANSWER", "SECOND ANSWER")
    assert system.role == "system"
    assert "Which is clearer?" in user.content and "Explain why the sky is blue." in user.content
    assert user.content.index("Answer 1\n<<<\nFIRST ANSWER") < user.content.index("Answer 2\n<<<\nSECOND ANSWER")
    assert "WINNER: tie" in user.content


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Good work.\nSCORE: 8", 8.0),
        ("Fine.\nScore: 8/10", 8.0),
        ("**SCORE: 9**", 9.0),
        ("**Score:** 7.5", 7.5),
        ("### Final score: 6 / 10.", 6.0),
        ("SCORE: 3\nOn reflection...\nSCORE: 5", 5.0),  # the last line wins
        ("score = [4]", 4.0),
        ("I would give it a score: 8 maybe", None),  # not a verdict line, nor the reply's close
        ("It is clear and correct. The final score would be 10.", 10.0),  # what a small judge writes
        ("Polite and on topic; it receives a score of 9 out of 10.", 9.0),
        ("The score is 7", 7.0),
        ("A score of 9 is too kind: it misses the point.", None),  # a score, but not the reply's close
        ("The score is 12.", None),
        ("SCORE: 11", None),
        ("SCORE: 0", None),
        ("No verdict here.", None),
        ("", None),
    ],
)
def test_parse_score(text: str, score: float | None):
    assert parse_score(text) == score


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Reasons.\nWINNER: 1", "first"),
        ("**Winner: 2**", "second"),
        ("winner: TIE.", "tie"),
        ("WINNER: Answer 2", "second"),
        ("WINNER: 1\nHmm, no.\nWINNER: 2", "second"),
        ("WINNER: 3", None),
        ("The winner is clearly 1", None),
    ],
)
def test_parse_pairwise(text: str, verdict: str | None):
    assert parse_pairwise(text) == verdict


# Order 1 shows the answer under test first; order 2 shows it second.
@pytest.mark.parametrize(
    ("order1", "order2", "passes"),
    [
        ("first", "second", True),  # wins both
        ("first", "tie", True),  # wins one, ties the other
        ("tie", "second", True),
        ("tie", "tie", False),
        ("first", "first", False),  # position bias: the first answer always won
        ("second", "second", False),
        ("second", "first", False),  # loses both
        ("second", "tie", False),
        (None, "second", None),
        ("first", None, None),
    ],
)
def test_pairwise_passes(order1: str | None, order2: str | None, passes: bool | None):
    assert pairwise_passes(order1, order2) is passes
