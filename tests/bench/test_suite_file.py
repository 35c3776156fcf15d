"""Reading a suite file: every check form, the defaults, one-line errors with line and key, the sample suite."""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path

import pytest

from mmchat.bench.suite import Check, JudgeSpec, Turn
from mmchat.bench.suite_file import SuiteError, load_suite

SAMPLE = Path(__file__).resolve().parents[2] / "mmchat" / "data" / "bench_sample.yaml"


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> SuiteError:
    path = write(tmp_path, text)
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    assert isinstance(caught.value, ValueError)
    return caught.value


FULL = """
name: mine
judge: openai/gpt-4.1-mini
params: {temperature: 0.2, max_tokens: 300}
cases:
  - id: capital-fr
    category: facts
    system: Be terse.
    history:
      - {user: "Hi"}
      - {assistant: "Hello!"}
      - system: Answer in English.
    prompt: What is the capital of France? Answer in one word.
    params: {max_tokens: 50, stop: [END, "###"], seed: 7}
    checks:
      - contains: Paris
      - not_contains: [London, " Lyon "]
      - regex: '^\\s*Paris\\W*$'
      - equals: Paris
      - number: 42
      - {number: 3.14, tolerance: 0.01}
      - json: [name, age]
      - length: {min: 10, max: 400}
      - judge: "Is the explanation correct and clear?"
      - judge: {rubric: Better?, model: a/b, mode: pairwise, against: c/d}
      - {contains: Paris, case_sensitive: true}
      - judge: {rubric: Close to it?, pass: 8, reference: Paris.}
      - contains: 3.10
      - json: []
      - length: {max: 5}
  - prompt: Second
    private: true
"""


def test_every_check_form_and_the_case_fields(tmp_path: Path):
    path = write(tmp_path, FULL)
    suite = load_suite(path)

    assert (suite.name, suite.path, suite.judge_model) == ("mine", str(path), "openai/gpt-4.1-mini")
    assert suite.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert suite.params == {"temperature": 0.2, "max_tokens": 300}
    first, second = suite.cases
    assert (first.id, first.category, first.system, first.line) == ("capital-fr", "facts", "Be terse.", 5)
    assert first.prompt == "What is the capital of France? Answer in one word."
    assert first.history == (Turn("user", "Hi"), Turn("assistant", "Hello!"), Turn("system", "Answer in English."))
    assert first.params == {"max_tokens": 50, "stop": ["END", "###"], "seed": 7}
    assert not first.private and second.private
    assert (second.id, second.category, second.checks, second.params) == ("case-2", None, (), {})

    judge = "openai/gpt-4.1-mini"
    assert first.checks == (
        Check("contains", 15, text="Paris"),
        Check("not_contains", 16, text="London"),
        Check("not_contains", 16, text=" Lyon "),
        Check("regex", 17, pattern=r"^\s*Paris\W*$"),
        Check("equals", 18, text="Paris"),
        Check("number", 19, number=42.0),
        Check("number", 20, number=3.14, tolerance=0.01),
        Check("json", 21, keys=("name", "age")),
        Check("length", 22, min_chars=10, max_chars=400),
        Check("judge", 23, judge=JudgeSpec(judge, "Is the explanation correct and clear?")),
        Check("judge", 24, judge=JudgeSpec("a/b", "Better?", mode="pairwise", against="c/d")),
        Check("contains", 25, text="Paris", case_sensitive=True),
        Check("judge", 26, judge=JudgeSpec(judge, "Close to it?", pass_score=8.0, reference="Paris.")),
        Check("contains", 27, text="3.10"),
        Check("json", 28),
        Check("length", 29, max_chars=5),
    )


def test_the_name_defaults_to_the_file_stem(tmp_path: Path):
    suite = load_suite(write(tmp_path, "cases: [{prompt: hi}]", name="my-suite.yaml"))
    assert suite.name == "my-suite"
    assert suite.cases[0].id == "case-1"


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ("cases:\n  - prompt: hi\n    chekcs: []\n", 3, "cases[0].chekcs", "unknown key; did you mean 'checks'?"),
        ("nmae: x\ncases: [{prompt: hi}]\n", 1, "nmae", "unknown key; did you mean 'name'?"),
        (
            "cases:\n  - id: a\n    prompt: one\n  - id: a\n    prompt: two\n",
            4, "cases[1].id", "duplicate case id 'a' (also at line 2): make each id unique",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - regex: 'a(b'\n",
            4, "cases[0].checks[0].regex", "invalid regular expression: missing ), unterminated subpattern at position 1",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - judge: Is it right?\n",
            4, "cases[0].checks[0].judge",
            "no judge model: add `model: provider/model-id` here or `judge:` at the top of the suite",
        ),
        ("cases:\n  - prompt: '  '\n", 2, "cases[0].prompt", "must be non-empty text, not str '  '"),
        ("cases:\n  - id: a\n", 2, "cases[0].prompt", "missing: every case needs a prompt"),
        ("cases: []\n", 1, "cases", "the list is empty: add at least one case"),
        ("name: x\n", 1, "cases", "missing: a suite needs a `cases:` list with at least one case"),
        (
            "cases:\n  - prompt: hi\n    history:\n      - {user: a}\n      - {tool: b}\n",
            5, "cases[0].history[1].tool", "unknown key; valid keys are user, assistant, system",
        ),
        (
            "cases:\n  - prompt: hi\n    history:\n      - {user: a, assistant: b}\n",
            4, "cases[0].history[0]",
            "each item is one message: `user: ...`, `assistant: ...` or `system: ...`",
        ),
        ("cases:\n  - prompt: hi\n    checks:\n      - number: many\n", 4, "cases[0].checks[0].number", "must be a number, not str 'many'"),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - {number: 1, tolerance: -1}\n",
            4, "cases[0].checks[0].tolerance", "must be a number of at least 0, not -1",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - {number: 1, case_sensitive: true}\n",
            4, "cases[0].checks[0].case_sensitive",
            "does not apply to a number check; it goes with contains, not_contains, regex, equals",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - {contains: a, equals: b}\n",
            4, "cases[0].checks[0]", "a check names contains and equals: give exactly one of "
            "contains, not_contains, regex, equals, number, json, length, judge",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - contian: a\n",
            4, "cases[0].checks[0].contian", "unknown key; did you mean 'contains'?",
        ),
        (
            "cases:\n  - prompt: hi\n    checks:\n      - length: {min: 50, max: 10}\n",
            4, "cases[0].checks[0].length", "min (50) is above max (10)",
        ),
        (
            "judge: a/b\ncases:\n  - prompt: hi\n    checks:\n      - judge: {rubric: r, mode: pairwise}\n",
            5, "cases[0].checks[0].judge.against", "missing: a pairwise judge needs the model to compare with",
        ),
        (
            "judge: a/b\ncases:\n  - prompt: hi\n    checks:\n      - judge: {rubric: r, pass: 11}\n",
            5, "cases[0].checks[0].judge.pass", "must be a number from 1 to 10, not 11",
        ),
        (
            "judge: a/b\ncases:\n  - prompt: hi\n    checks:\n      - judge: {rubric: r, mode: ranked}\n",
            5, "cases[0].checks[0].judge.mode", "unknown value 'ranked'; use one of score, pairwise",
        ),
        ("judge: gpt-4o\ncases: [{prompt: hi}]\n", 1, "judge", "'gpt-4o' is not a model address: write provider/model-id"),
        (
            "params: {temprature: 0}\ncases: [{prompt: hi}]\n",
            1, "params.temprature", "unknown key; did you mean 'temperature'?",
        ),
        # The params are read as in the config, with its wording.
        ("params: {temperature: 3}\ncases: [{prompt: hi}]\n", 1, "params.temperature",
         "must be a number at least 0 and at most 2, not int 3"),
        ("cases:\n  - prompt: hi\n    params: {max_tokens: 0}\n", 3, "cases[0].params.max_tokens",
         "must be a positive whole number, not int 0"),
        ("cases:\n  - prompt: hi\n    private: yes please\n", 3, "cases[0].private", "must be true or false, not str 'yes please'"),
        ("cases:\n  - prompt: hi\n    category: All\n", 3, "cases[0].category",
         "'All' is the report's name for every case: choose another category"),
        ("cases:\n  - prompt: hi\n    category: uncategorised\n", 3, "cases[0].category",
         "'uncategorised' is the report's name for the cases without one: choose another category"),
        ("cases: {prompt: hi}\n", 1, "cases", "must be a list, not a mapping"),
        ("cases:\n  - prompt: [a, b]\n", 2, "cases[0].prompt", "must be non-empty text, not a list"),
    ],
)
def test_errors_name_the_line_and_key(tmp_path: Path, text: str, line: int, key: str, message: str):
    problem = error(tmp_path, text)
    assert str(problem) == f"{tmp_path / 'suite.yaml'}:{line}: {key}: {message}"
    assert (problem.line, problem.key, problem.message) == (line, key, message)


def test_file_level_errors(tmp_path: Path):
    empty = error(tmp_path, "")
    assert (empty.line, empty.key) == (None, None)
    assert str(empty) == f"{tmp_path / 'suite.yaml'}: the file is empty: write a `cases:` list (see the format in mmchat.bench.suite_file)"
    assert error(tmp_path, "cases: [\n").message.startswith("YAML syntax error")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("cases: [{prompt: caf\xe9}]".encode("latin-1"))
    with pytest.raises(SuiteError, match=r"latin1\.yaml: not UTF-8 text"):
        load_suite(bad)
    with pytest.raises(SuiteError, match=r"missing\.yaml: cannot read it"):
        load_suite(tmp_path / "missing.yaml")


def test_the_sample_suite_loads_with_its_spread():
    suite = load_suite(SAMPLE)
    categories = {case.category for case in suite.cases}
    assert len(suite.cases) >= 30
    assert {"code", "reasoning", "extraction", "facts", "writing"} <= categories
    other_languages = [case for case in suite.cases if re.match(r"(fr|de|es)-", case.id)]
    assert len({case.id[:2] for case in other_languages}) >= 2
    assert suite.judge_model == "local/qwen2.5-coder-1.5b"
    kinds = {check.kind for case in suite.cases for check in case.checks}
    assert kinds == {"contains", "not_contains", "regex", "equals", "number", "json", "length", "judge"}
    assert all(case.checks for case in suite.cases)
