"""Each check kind deciding an answer, with its detail; the number and JSON extraction edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.bench.checks import evaluate, json_text, last_number
from mmchat.bench.suite import Check, JudgeSpec
from mmchat.bench.suite_file import load_suite
from mmchat.store.bench_records import CheckOutcome

SAMPLE = Path(__file__).resolve().parents[2] / "mmchat" / "data" / "bench_sample.yaml"


def outcome(check: Check, text: str) -> tuple[bool, str]:
    result = evaluate(check, text)
    assert isinstance(result, CheckOutcome) and result.kind == check.kind
    return result.passed, result.detail


@pytest.mark.parametrize(
    ("check", "text", "expected"),
    [
        (Check("contains", 0, text="Paris"), "It is paris.", (True, "found 'Paris'")),
        (Check("contains", 0, text="Paris"), "It is Rome.", (False, "missing 'Paris'")),
        (Check("contains", 0, text="Paris", case_sensitive=True), "It is paris.", (False, "missing 'Paris'")),
        (Check("not_contains", 0, text="London"), "Paris", (True, "no 'London'")),
        (Check("not_contains", 0, text="London"), "not LONDON", (False, "found 'London'")),
        (Check("regex", 0, pattern=r"^\W*paris\W*$"), "**Paris.**", (True, "matched '**Paris.**'")),
        (Check("regex", 0, pattern=r"^paris$", case_sensitive=True), "Paris", (False, "no match for /^paris$/")),
        (Check("equals", 0, text="Paris"), "  paris\n", (True, "equals 'Paris'")),
        (Check("equals", 0, text="Paris"), "Paris.", (False, "expected 'Paris', got 'Paris.'")),
        (Check("equals", 0, text="Na", case_sensitive=True), "NA", (False, "expected 'Na', got 'NA'")),
        (Check("number", 0, number=42), "The answer is 42.", (True, "last number 42, expected 42")),
        (Check("number", 0, number=42, tolerance=0.5), "about 41.5", (True, "last number 41.5, expected 42 ± 0.5")),
        (Check("number", 0, number=42, tolerance=0.4), "about 41.5", (False, "last number 41.5, expected 42 ± 0.4")),
        (Check("number", 0, number=42), "forty-two", (False, "no number, expected 42")),
        (Check("number", 0, number=0.3), "0.1 + 0.2 = 0.30000000000000004", (True, "last number 0.30000000000000004, expected 0.3")),
        (Check("json", 0, keys=("name", "age")), '{"name": "Ann", "age": 3}', (True, "JSON object with name, age")),
        (Check("json", 0, keys=("name", "age")), '{"name": "Ann"}', (False, "missing keys: age")),
        (Check("json", 0, keys=("name", "age")), "{}", (False, "missing keys: name, age")),
        (Check("json", 0, keys=("name",)), "Sure! Here it is.", (False, "invalid JSON: Expecting value at 1:1")),
        (Check("json", 0, keys=("name",)), '["name"]', (False, "JSON list, not an object")),
        (Check("json", 0), "[1, 2]", (True, "valid JSON")),
        (Check("json", 0), "{'a': 1}", (False, "invalid JSON: Expecting property name enclosed in double quotes at 1:2")),
        (Check("length", 0, min_chars=10, max_chars=400), "x" * 412, (False, "412 chars, max 400")),
        (Check("length", 0, min_chars=10), "  short \n", (False, "5 chars, min 10")),
        (Check("length", 0, max_chars=5), "\nhello\n", (True, "5 chars")),
    ],
)
def test_each_kind_passing_and_failing(check: Check, text: str, expected: tuple[bool, str]):
    assert outcome(check, text) == expected


def test_a_long_text_is_shortened_in_the_detail():
    passed, detail = outcome(Check("equals", 0, text="short"), "word " * 30)
    assert not passed
    assert detail == "expected 'short', got '" + ("word " * 8)[:39] + "…'"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("It costs $1,234.50 in total.", 1234.5),
        ("from 10 to -3", -3.0),
        ("(−7) with a Unicode minus", -7.0),
        ("pages 10-20", 20.0),  # a hyphen between numbers is not a minus
        ("The sequence 1,2,3", 3.0),  # commas not between groups of three separate numbers
        ("1,2345", 2345.0),
        ("3,5 Liter", 5.0),  # a decimal comma is not read as one
        ("**42**", 42.0),
        ("It is .5 of it", 0.5),
        ("version 1.2.3", 1.2),  # glued to a dot: not a new number
        ("gpt4 v2", None),  # glued to a word
        ("gpt4 scores 88% on v2", 88.0),
        ("10,080 minutes", 10080.0),
        ("no digits here", None),
    ],
)
def test_the_last_number(text: str, number: float | None):
    assert last_number(text) == number


def test_json_is_read_from_the_first_json_or_plain_fence():
    fenced = 'Here:\n```json\n{"a": 1}\n```\nand\n```\n{"b": 2}\n```'
    assert json_text(fenced) == '{"a": 1}'
    assert json_text('Code:\n```python\nx = 1\n```\n```\n{"b": 2}\n```') == '{"b": 2}'
    assert json_text('  {"c": 3}\n') == '{"c": 3}'
    assert outcome(Check("json", 0, keys=("a",)), fenced) == (True, "JSON object with a")
    assert outcome(Check("json", 0, keys=("a",)), "```JSON\n{\"a\": null}\n```") == (True, "JSON object with a")


def test_a_judge_check_is_not_decided_here():
    with pytest.raises(ValueError, match="judge"):
        evaluate(Check("judge", 0, judge=JudgeSpec("a/b", "ok?")), "text")


# A correct answer to each case of the sample suite: its checks other than judge must pass.
GOOD_ANSWERS = {
    "code-is-prime": "```python\ndef is_prime(n):\n    if n < 2:\n        return False\n"
    "    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n```",
    "code-celsius": "def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32",
    "code-js-sum": "const sum = (arr) => arr.reduce((a, b) => a + b, 0);",
    "code-sql-count": "SELECT COUNT(*) FROM orders;",
    "code-fix-largest": "def largest(xs): return max(xs)",
    "code-output-set": "3",
    "code-output-range": "55",
    "code-json-config": '{"host": "localhost", "port": 8080}',
    "reasoning-speed": "80",
    "reasoning-pencils": "$3.00",
    "reasoning-ages": "17",
    "reasoning-multiply": "391",
    "reasoning-minutes-week": "10,080",
    "reasoning-discount": "30",
    "reasoning-apples": "9",
    "reasoning-sequence": "42",
    "reasoning-syllogism": "Yes.",
    "extract-person": '{"name": "Maria Lopez", "age": 34}',
    "extract-place": '{"city": "Kyoto", "country": "Japan"}',
    "extract-invoice": '{"item": "USB cable", "quantity": 3, "unit_price": 4.50}',
    "extract-meeting": '{"date": "2024-03-15", "time": "14:30"}',
    "extract-languages": '{"languages": ["Python", "Go", "Rust"]}',
    "extract-contact": '```json\n{"email": "tom.baker@example.com", "phone": "+44 20 7946 0958"}\n```',
    "facts-capital-fr": "Paris",
    "facts-gold": "Au",
    "facts-sodium": "Na",
    "facts-planets": "8",
    "facts-austen": "Jane Austen",
    "facts-berlin-wall": "1989",
    "facts-ocean": "Pacific",
    "writing-haiku": "Crimson leaves drifting\nwhispers of the cooling wind\nthe year exhales slow",
    "writing-product": "Keep cold drinks cold for a full day with this steel bottle. "
    "It is leak-proof, light and built to last.",
    "writing-summary": "The city council voted on Tuesday to add 40 km of bike lanes over three years, "
    "paid for by a new parking fee.",
    "writing-decline": "Dear Ms Park,\n\nThank you for the invitation to Friday's meeting. Unfortunately "
    "I cannot attend, as I am away that day.\n\nBest regards,\nSam",
    "writing-recursion": "Recursion is when something is defined using a smaller version of itself, "
    "like opening a nesting doll to find a smaller doll inside until the tiniest one.",
    "fr-capitale-italie": "Rome",
    "fr-anniversaire": "Joyeux anniversaire, Claire, et plein de belles choses pour cette nouvelle année !",
    "de-buecher": "48",
    "de-fluss-wien": "Die Donau.",
    "de-person-json": '{"name": "Jonas Weber", "stadt": "Hamburg"}',
    "es-dias-semana": "7",
}


def test_correct_answers_pass_every_sample_check():
    suite = load_suite(SAMPLE)
    assert set(GOOD_ANSWERS) == {case.id for case in suite.cases}
    for case in suite.cases:
        for check in case.checks:
            if check.kind != "judge":
                result = evaluate(check, GOOD_ANSWERS[case.id])
                assert result.passed, f"{case.id}: {result.detail}"
