"""A suite from stored prompts (searched, deduplicated, kept answers as references), and a suite's YAML round trip."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mmchat.bench.from_history import HISTORY_TURNS, REFERENCE_RUBRIC, dump_suite, suite_from_history
from mmchat.bench.suite import Case, Check, JudgeSpec, Suite, Turn
from mmchat.bench.suite_file import load_suite
from mmchat.store import AnswerEnd, NewAnswer, Store

SAMPLE = Path(__file__).resolve().parents[2] / "mmchat" / "data" / "bench_sample.yaml"


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "data" / "mmchat.db")
    yield s
    s.close()


def decision(intent: str, *, private: bool = False) -> dict:
    """A stored decision as `Decision.to_dict` writes it, cut to what this reads."""
    return {"model": "lab/m", "mode": "auto", "private": private, "signals": {"intent": intent}}


def ask(store: Store, prompt: str, answers: list[tuple[str, str]], *, conversation_id: int | None = None,
        intent: str | None = None, private: bool = False, keep: int = 0) -> tuple[int, list[int]]:
    """A prompt with finished answers (text, status); the conversation follows answers[keep]."""
    stored = decision(intent or "", private=private) if intent or private else None
    new = [NewAnswer("lab", "lab/m", decision=stored) for _ in answers]
    started = store.start_turn(conversation_id, prompt, new)
    for answer_id, (text, status) in zip(started.answer_ids, answers):
        store.finish_answer(answer_id, AnswerEnd(content=text, status=status))
    store.choose_answer(started.answer_ids[keep])
    return started.user_message_id, list(started.answer_ids)


def test_matching_prompts_become_cases_with_kept_answers_as_references(store: Store):
    older_id, _ = ask(store, "  how do I SORT a list\nin python? ", [("sorted()", "complete")])
    # The same prompt again (the newer of two equal matches is kept).
    sort_id, _ = ask(store, "How do I sort a list in Python?", [("Use sorted(xs).", "complete"), ("Use xs.sort().", "complete")],
                     intent="code", keep=1)
    cut_id, _ = ask(store, "Sort a dict by value in Python", [("Use sorted(d.items(), key=...", "interrupted")])
    ask(store, "What is the weather like?", [("Python sort is stable.", "complete")])  # only the answer matches
    ask(store, "Bake a sourdough loaf", [("Mix flour...", "complete")])

    suite = suite_from_history(store, "python sort", judge_model="j/judge")

    assert suite.name == "history: python sort" and suite.judge_model == "j/judge" and suite.path is None
    by_id = {case.id: case for case in suite.cases}
    assert set(by_id) == {f"history-{sort_id}", f"history-{cut_id}"}
    assert f"history-{older_id}" not in by_id
    sort_case = by_id[f"history-{sort_id}"]
    assert sort_case.prompt == "How do I sort a list in Python?"
    assert sort_case.category == "code"
    spec = JudgeSpec("j/judge", REFERENCE_RUBRIC, reference="Use xs.sort().")  # the answer kept, not the first
    assert sort_case.checks == (Check("judge", 0, judge=spec),)
    assert not sort_case.private
    cut_case = by_id[f"history-{cut_id}"]
    assert (cut_case.category, cut_case.checks) == (None, ())  # no decision; the answer was cut short


def test_without_a_judge_model_cases_have_no_checks(store: Store):
    ask(store, "Explain Python generators", [("They yield.", "complete")], intent="code")
    (case,) = suite_from_history(store, "generators").cases
    assert case.checks == ()
    assert case.category == "code"


def test_an_answer_off_the_conversation_path_is_no_reference(store: Store):
    first_id, _ = ask(store, "Name a prime number", [("7", "complete")])
    cid = store.message(first_id).conversation_id
    # The prompt is edited: a new root the conversation follows, its answer still streaming.
    edited = store.add_message(cid, "user", "Name an even prime number", parent_id=None)
    store.add_message(cid, "assistant", "", status="pending", parent_id=edited)
    cases = {c.prompt: c for c in suite_from_history(store, "name prime", judge_model="j/judge").cases}
    assert cases["Name a prime number"].checks == ()
    assert cases["Name an even prime number"].checks == ()


def test_private_prompts_are_private_cases(store: Store):
    public_id, _ = ask(store, "Draft a budget memo", [("Memo.", "complete")])
    cid = store.message(public_id).conversation_id
    locked_id, _ = ask(store, "Draft a budget memo with my salary", [("Memo.", "complete")], conversation_id=cid)
    store.set_privacy_lock(cid, locked_id)
    started = store.start_turn(None, "Draft a budget memo for the team", [NewAnswer("lab", "lab/m", decision=decision("creative", private=True))])
    store.finish_answer(started.answer_ids[0], AnswerEnd(content="Memo.", status="complete"))

    private = {case.prompt: case.private for case in suite_from_history(store, "budget memo").cases}
    assert private == {
        "Draft a budget memo": False,  # before the lock
        "Draft a budget memo with my salary": True,
        "Draft a budget memo for the team": True,  # the router marked it private
    }


def test_the_limit_counts_cases_and_no_match_gives_no_cases(store: Store):
    for n in range(5):
        ask(store, f"Translate sentence {n} into German", [(f"Satz {n}", "complete")])
    assert len(suite_from_history(store, "translate", limit=3).cases) == 3
    assert suite_from_history(store, "nothing-like-this").cases == ()


def conversation_of(store: Store, message_id: int) -> int:
    return store.message(message_id).conversation_id


def test_a_follow_up_keeps_the_conversation_it_followed(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "system", "Answer in verse.")
    ask(store, "Write a haiku about rain", [("Drops on the roof", "complete"), ("Grey sky weeps", "complete")],
        conversation_id=cid, keep=1)
    ask(store, "Now one about\nsnow", [("White hush falls", "complete")], conversation_id=cid)
    follow_id, _ = ask(store, "Shorten it", [("Hush.", "complete")], conversation_id=cid)

    (case,) = suite_from_history(store, "shorten").cases
    assert case.id == f"history-{follow_id}" and case.prompt == "Shorten it"
    assert case.system == "Answer in verse."
    assert case.history == (  # the path taken: the kept answer, not its alternative
        Turn("user", "Write a haiku about rain"),
        Turn("assistant", "Grey sky weeps"),
        Turn("user", "Now one about\nsnow"),
        Turn("assistant", "White hush falls"),
    )
    first = {c.prompt: c for c in suite_from_history(store, "haiku rain").cases}["Write a haiku about rain"]
    assert (first.history, first.system) == ((), "Answer in verse.")


def test_an_answer_that_failed_is_left_out_of_the_history(store: Store):
    first_id, _ = ask(store, "Write a limerick about cats", [("There once was a ca", "interrupted")])
    cid = conversation_of(store, first_id)
    ask(store, "Try that again", [("", "error")], conversation_id=cid)
    ask(store, "Make it rhyme better", [("A cat with a hat...", "complete")], conversation_id=cid)

    (case,) = suite_from_history(store, "rhyme better").cases
    assert case.history == (Turn("user", "Write a limerick about cats"), Turn("user", "Try that again"))


def exchanges(store: Store, count: int, cid: int | None = None) -> tuple[int, list[Turn]]:
    """`count` complete exchanges in one conversation (a new one when None): its id and the turns."""
    turns: list[Turn] = []
    for n in range(count):
        prompt_id, _ = ask(store, f"Question {n}", [(f"Answer {n}", "complete")], conversation_id=cid)
        cid = conversation_of(store, prompt_id)
        turns += [Turn("user", f"Question {n}"), Turn("assistant", f"Answer {n}")]
    assert cid is not None
    return cid, turns


def test_a_long_history_keeps_its_last_messages(store: Store):
    cid, turns = exchanges(store, HISTORY_TURNS // 2 + 2)
    ask(store, "Summarise everything", [("Done.", "complete")], conversation_id=cid)
    (case,) = suite_from_history(store, "summarise").cases
    assert case.history == tuple(turns[-HISTORY_TURNS:])


def test_a_cut_history_starts_with_a_user_message(store: Store):
    cid, turns = exchanges(store, HISTORY_TURNS // 2 + 1)
    ask(store, "One more question", [("", "error")], conversation_id=cid)  # its answer is left out
    turns.append(Turn("user", "One more question"))
    ask(store, "Summarise everything", [("Done.", "complete")], conversation_id=cid)

    (case,) = suite_from_history(store, "summarise").cases
    assert turns[-HISTORY_TURNS].role == "assistant"  # where the bound alone would cut
    assert case.history == tuple(turns[-HISTORY_TURNS + 1:])
    assert case.history[0].role == "user"


def test_identical_follow_ups_are_cases_of_their_own_conversations(store: Store):
    cases_of = {}
    for topic in ("cats", "dogs", "Cats"):  # the third repeats the first (but for case)
        first_id, _ = ask(store, "Write a poem", [(f"A poem about {topic}.", "complete")])
        follow_id, _ = ask(store, "Shorten it", [("Short.", "complete")], conversation_id=conversation_of(store, first_id))
        cases_of[topic] = (first_id, follow_id)

    follow_ups = suite_from_history(store, "shorten").cases
    assert {case.id for case in follow_ups} == {f"history-{cases_of['Cats'][1]}", f"history-{cases_of['dogs'][1]}"}
    (first,) = suite_from_history(store, "poem").cases  # first prompts: one case, as before
    assert first.id == f"history-{cases_of['Cats'][0]}" and first.history == ()


def test_a_private_turn_before_the_prompt_makes_the_case_private(store: Store):
    public_id, _ = ask(store, "Plan a trip to Rome", [("Day 1...", "complete")])
    ask(store, "Add a day in Florence", [("Day 4...", "complete")], conversation_id=conversation_of(store, public_id))
    locked_id, _ = ask(store, "Plan a trip with my passport number", [("Day 1...", "complete")])
    locked = conversation_of(store, locked_id)
    store.set_privacy_lock(locked, locked_id)
    ask(store, "Add a day in Venice", [("Day 4...", "complete")], conversation_id=locked)
    # Marked private by its router, the lock lifted since: the decision still counts.
    marked_id, _ = ask(store, "Plan a trip for my medical visit", [("Day 1...", "complete")], private=True)
    ask(store, "Add a day in Milan", [("Day 4...", "complete")], conversation_id=conversation_of(store, marked_id))

    private = {case.prompt: case.private for case in suite_from_history(store, "add day").cases}
    assert private == {"Add a day in Florence": False, "Add a day in Venice": True, "Add a day in Milan": True}


def test_a_private_turn_cut_by_the_bound_still_makes_the_case_private(store: Store):
    first_id, _ = ask(store, "My salary is 50k, plan a budget", [("Budget...", "complete")], private=True)
    cid, _ = exchanges(store, HISTORY_TURNS // 2, conversation_of(store, first_id))
    ask(store, "Summarise everything", [("Done.", "complete")], conversation_id=cid)
    (case,) = suite_from_history(store, "summarise").cases
    assert Turn("user", "My salary is 50k, plan a budget") not in case.history
    assert case.private


def normalised(suite: Suite) -> Suite:
    """The suite without where it was read from: lines, path and checksum."""
    cases = tuple(
        replace(case, line=0, checks=tuple(replace(check, line=0) for check in case.checks)) for case in suite.cases
    )
    return replace(suite, path=None, sha256="", cases=cases)


def round_trip(suite: Suite, tmp_path: Path) -> Suite:
    path = tmp_path / "dumped.yaml"
    path.write_text(dump_suite(suite), encoding="utf-8")
    return load_suite(path)


def test_a_history_suite_round_trips_through_yaml(store: Store, tmp_path: Path):
    ask(store, "Write a Python function\nthat sorts: a list", [("def f(xs):\n    return sorted(xs)\n", "complete")], intent="code")
    ask(store, "Sort this: 3, 1, 2 'quoted' #not-a-comment", [("1, 2, 3", "complete")])
    suite = suite_from_history(store, "sort*", judge_model="j/judge")
    assert len(suite.cases) == 2

    text = dump_suite(suite)
    assert "prompt: |" in text  # a prompt over several lines reads as written
    loaded = round_trip(suite, tmp_path)
    assert loaded.name == suite.name
    assert normalised(loaded) == normalised(suite)


def test_a_suite_with_history_round_trips_through_a_file(store: Store, tmp_path: Path):
    cid = store.create_conversation()
    store.add_message(cid, "system", "Be terse.\nUse British spelling.")
    ask(store, "Write a Python function\nthat sorts: a list", [("def f(xs):\n    return sorted(xs)", "complete")],
        conversation_id=cid, intent="code")
    ask(store, "Now in Rust: 'quoted' #not-a-comment", [("fn f(xs: &mut Vec<i32>) { xs.sort() }", "complete")],
        conversation_id=cid, intent="code")
    suite = suite_from_history(store, "rust", judge_model="j/judge")
    (case,) = suite.cases
    assert len(case.history) == 2 and case.system

    loaded = round_trip(suite, tmp_path)
    assert normalised(loaded) == normalised(suite)


def test_every_check_form_round_trips(tmp_path: Path):
    suite = Suite(
        name="all forms", path=None, judge_model="j/judge", params={"temperature": 0.0, "stop": ["END"]},
        cases=(
            Case(id="a", prompt="One", line=0, category="facts", system="Be terse.", private=True,
                 history=(Turn("user", "Hi"), Turn("assistant", "Hello!\nHow can I help?")), params={"max_tokens": 50},
                 checks=(
                     Check("contains", 0, text=" 3.10 "),
                     Check("not_contains", 0, text="London", case_sensitive=True),
                     Check("regex", 0, pattern=r"^\s*Paris\W*$"),
                     Check("equals", 0, text="yes"),
                     Check("number", 0, number=42.0),
                     Check("number", 0, number=-3.5, tolerance=0.25),
                     Check("json", 0, keys=("name", "age")),
                     Check("json", 0),
                     Check("length", 0, min_chars=10),
                     Check("length", 0, min_chars=1, max_chars=9),
                     Check("judge", 0, judge=JudgeSpec("j/judge", "Clear?")),
                     Check("judge", 0, judge=JudgeSpec("other/judge", "Right?", pass_score=8.5, reference="R")),
                     Check("judge", 0, judge=JudgeSpec("j/judge", "Better?", mode="pairwise", against="c/d")),
                 )),
            Case(id="b", prompt="Two", line=0),
        ),
    )
    assert normalised(round_trip(suite, tmp_path)) == normalised(suite)


def test_the_sample_suite_round_trips(tmp_path: Path):
    sample = load_suite(SAMPLE)
    assert normalised(round_trip(sample, tmp_path)) == normalised(sample)
