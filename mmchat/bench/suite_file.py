"""A bench suite file: the format, and `load_suite`, which reads one into a `Suite`.

The format (YAML, UTF-8)::

    name: sample                  # optional; default: the file's name without .yaml
    judge: openai/gpt-4.1-mini    # optional; the judge model of judge checks that name none
    params: {temperature: 0}      # optional; defaults for every case
    cases:                        # at least one
      - id: capital-fr            # optional, unique; default: case-N (N counts cases from 1)
        category: facts           # optional free text; the report groups results by it
        private: true             # optional; run this case on local models only
        system: Be terse.         # optional system message
        history:                  # optional conversation before the prompt, oldest first
          - user: Hi
          - assistant: Hello! How can I help?
        prompt: What is the capital of France? Answer in one word.
        params: {max_tokens: 50}  # optional; each key here replaces the suite's
        checks:                   # optional; the answer passes when every check passes
          - contains: Paris
          - not_contains: [London, Lyon]
          - regex: '^\\W*Paris\\W*$'
          - equals: Paris
          - number: 42
          - {number: 3.14, tolerance: 0.01}
          - json: [name, age]
          - length: {min: 10, max: 400}
          - judge: Is the explanation correct and clear?
          - judge: {rubric: "...", model: a/b, mode: pairwise, against: c/d}

Cases
    `prompt` is the message every model answers. `history` items each hold one
    key, `user`, `assistant` or `system`. `params` are generation parameters:
    `temperature` (0 to 2), `top_p` (0 to 1), `max_tokens` (a whole number of
    at least 1), `seed` (a whole number) and `stop` (a text or a list); a case's
    `params` are the case's own, the runner lays them over the suite's. A case
    without checks passes whenever its answer completes.

Checks (each item names one kind, with the modifiers that kind takes)
    contains: TEXT | [TEXT, ...]      the answer holds the text (a list: each text; one
                                      check per text)
    not_contains: TEXT | [TEXT, ...]  the answer holds none of them
    regex: PATTERN                    Python's `re` syntax, searched anywhere in the answer
                                      (anchor it with ^ and $); quote it with '...' in YAML
    equals: TEXT                      the whole answer, spaces around it removed
    number: N                         the last number in the answer is N; with
                                      `tolerance: T` it may be off by T. A number may
                                      have a leading minus, a decimal point, and commas
                                      between groups of three digits ("1,234.5"); any
                                      other comma ends a number ("3,5" reads as 3 and 5)
    json: [KEY, ...] | KEY            the answer is JSON (or its first fenced block
                                      tagged json or untagged is); with keys, an object
                                      holding each; `json: []` asks only for valid JSON
    length: {min: N, max: N}          the answer's length in characters, spaces around it
                                      not counted (either bound alone)
    judge: RUBRIC                     a judge model scores the answer from 1 to 10 against
                                      the rubric; it passes at 7
    judge: {rubric, model, mode, pass, against, reference}
        model     the judge (default: the suite's `judge:`); a judge check needs one
        mode      score (default) or pairwise
        pass      score mode: the lowest passing score, 1 to 10 (default 7)
        against   pairwise mode (required there): the model whose answer to the same
                  case this one is compared with, twice with the positions swapped; it
                  passes when it wins both or wins one and ties the other
        reference a reference answer shown to the judge

    contains, not_contains, regex and equals ignore case unless
    `case_sensitive: true` is beside them: `{contains: Paris, case_sensitive: true}`.

Numbers and dates written as checked text (`contains: 3.10`) are taken as written. Any
problem with the file is one line, `FILE:LINE: KEY: what is wrong`, where KEY is
a dotted path such as `cases[2].checks[0].regex` (list positions count from 0).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmchat.bench.suite import ALL_CASES, CHECK_KINDS, JUDGE_MODES, UNCATEGORISED, Case, Check, JudgeSpec, Suite, Turn
from mmchat.yaml_nodes import ConfigError, FileError, NodeReader, compose, suggest

SUITE_KEYS = ("name", "judge", "params", "cases")
CASE_KEYS = ("id", "category", "private", "system", "history", "prompt", "params", "checks")
HISTORY_ROLES = ("user", "assistant", "system")
JUDGE_KEYS = ("rubric", "model", "mode", "pass", "against", "reference")
LENGTH_KEYS = ("min", "max")
TEXT_KINDS = ("contains", "not_contains", "regex", "equals")
# Keys a check may hold beside its kind, and the kinds that take them.
MODIFIERS = {"case_sensitive": TEXT_KINDS, "tolerance": ("number",)}
DEFAULT_PASS_SCORE = 7.0


class SuiteError(FileError, ValueError):
    """A suite file that cannot be run: '<file>:<line>: <key>: <what to fix>'."""


def load_suite(path: Path) -> Suite:
    """The suite in the file at `path` (raises SuiteError naming the file, line and key)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"cannot read it ({exc.strerror})", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SuiteError("not UTF-8 text: save the file as UTF-8", path=path) from None
    try:
        return _Reader(path).suite(compose(text, path), hashlib.sha256(data).hexdigest())
    except ConfigError as exc:
        raise SuiteError(exc.message, path=exc.path, line=exc.line, key=exc.key) from None


def _line(node: Any) -> int:
    return node.start_mark.line + 1


class _Reader(NodeReader):
    def fields(self, node: Any, key: str | None, allowed: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
        """name → (key node, value node)."""
        return {name: (knode, vnode) for name, knode, vnode in self.mapping(node, key, allowed)}

    def get(self, fields: dict[str, tuple[Any, Any]], name: str, key: str | None,
            read: Callable[[Any, str], Any], default: Any = None) -> Any:
        """`read(value node, dotted key)` of the field `name`, or `default` when it is not given."""
        return read(fields[name][1], f"{key}.{name}" if key else name) if name in fields else default

    def suite(self, root: Any, sha256: str) -> Suite:
        if root is None:
            self.fail(None, None, f"the file is empty: write a `cases:` list (see the format in {__name__})")
        fields = self.fields(root, None, SUITE_KEYS)
        judge = self.get(fields, "judge", None, self.address)
        if "cases" not in fields:
            self.fail(root, "cases", "missing: a suite needs a `cases:` list with at least one case")
        items = self.sequence(fields["cases"][1], "cases")
        if not items:
            self.fail(fields["cases"][1], "cases", "the list is empty: add at least one case")
        seen: dict[str, int] = {}
        cases = tuple(self.case(node, f"cases[{i}]", i + 1, judge, seen) for i, node in enumerate(items))
        assert self.path is not None
        return Suite(
            name=self.get(fields, "name", None, self.text, self.path.stem),
            path=str(self.path),
            cases=cases,
            sha256=sha256,
            params=self.get(fields, "params", None, self.params, {}),
            judge_model=judge,
        )

    def case(self, node: Any, key: str, number: int, judge: str | None, seen: dict[str, int]) -> Case:
        fields = self.fields(node, key, CASE_KEYS)
        case_id = self.get(fields, "id", key, self.text, f"case-{number}")
        if case_id in seen:
            where = fields["id"][1] if "id" in fields else node
            message = f"duplicate case id '{case_id}' (also at line {seen[case_id]}): make each id unique"
            self.fail(where, f"{key}.id", message)
        seen[case_id] = _line(node)
        if "prompt" not in fields:
            self.fail(node, f"{key}.prompt", "missing: every case needs a prompt")
        checks = self.get(fields, "checks", key, self.sequence, [])
        return Case(
            id=case_id,
            prompt=self.text(fields["prompt"][1], f"{key}.prompt"),
            line=_line(node),
            category=self.get(fields, "category", key, self.category),
            history=self.get(fields, "history", key, self.history, ()),
            system=self.get(fields, "system", key, self.text),
            checks=tuple(
                check for i, item in enumerate(checks) for check in self.check(item, f"{key}.checks[{i}]", judge)
            ),
            params=self.get(fields, "params", key, self.params, {}),
            private=self.get(fields, "private", key, self.flag, False),
        )

    def category(self, node: Any, key: str) -> str:
        name = self.text(node, key)
        reserved = {ALL_CASES: "every case", UNCATEGORISED: "the cases without one"}.get(name.strip().casefold())
        if reserved:
            self.fail(node, key, f"'{name}' is the report's name for {reserved}: choose another category")
        return name

    def history(self, node: Any, key: str) -> tuple[Turn, ...]:
        turns = []
        for i, item in enumerate(self.sequence(node, key)):
            entries = self.mapping(item, f"{key}[{i}]", HISTORY_ROLES)
            if len(entries) != 1:
                message = "each item is one message: `user: ...`, `assistant: ...` or `system: ...`"
                self.fail(item, f"{key}[{i}]", message)
            role, _, vnode = entries[0]
            turns.append(Turn(role=role, content=self.text(vnode, f"{key}[{i}].{role}")))
        return tuple(turns)

    def check(self, node: Any, key: str, judge: str | None) -> list[Check]:
        allowed = CHECK_KINDS + tuple(MODIFIERS)
        fields = self.fields(node, key, allowed)
        kinds = [name for name in fields if name in CHECK_KINDS]
        if len(kinds) != 1:
            named = f"names {' and '.join(kinds)}" if kinds else "names no kind"
            self.fail(node, key, f"a check {named}: give exactly one of {', '.join(CHECK_KINDS)}")
        kind = kinds[0]
        for name in fields:
            if name in MODIFIERS and kind not in MODIFIERS[name]:
                goes_with = ", ".join(MODIFIERS[name])
                self.fail(fields[name][0], f"{key}.{name}", f"does not apply to a {kind} check; it goes with {goes_with}")
        line = _line(node)
        dotted = f"{key}.{kind}"
        vnode = fields[kind][1]
        sensitive = self.get(fields, "case_sensitive", key, self.flag, False)
        if kind in ("contains", "not_contains"):
            return [Check(kind, line, text=text, case_sensitive=sensitive) for text in self.literals(vnode, dotted)]
        if kind == "equals":
            return [Check(kind, line, text=self.literal(vnode, dotted), case_sensitive=sensitive)]
        if kind == "regex":
            return [Check(kind, line, pattern=self.pattern(vnode, dotted, sensitive), case_sensitive=sensitive)]
        if kind == "number":
            tolerance = self.get(fields, "tolerance", key, lambda n, k: self.check_number(n, k, low=0.0), 0.0)
            return [Check(kind, line, number=self.check_number(vnode, dotted), tolerance=tolerance)]
        if kind == "json":
            return [Check(kind, line, keys=self.keys(vnode, dotted))]
        if kind == "length":
            low, high = self.length(vnode, dotted)
            return [Check(kind, line, min_chars=low, max_chars=high)]
        return [Check(kind, line, judge=self.judge(vnode, dotted, judge))]

    def literal(self, node: Any, key: str) -> str:
        """Text to look for, spaces kept (`contains: " is "`); a number or a date as written
        (`3.10`, `2024-03-15`), not as YAML reads it (3.1, a date)."""
        value = self.value(node)
        if isinstance(node, self._yaml.ScalarNode) and not isinstance(value, (str, bool, type(None))):
            return str(node.value).strip()
        self.text(node, key)  # fails unless non-empty text
        return str(value)

    def literals(self, node: Any, key: str) -> list[str]:
        if isinstance(node, self._yaml.SequenceNode):
            if not node.value:
                self.fail(node, key, "must not be an empty list")
            return [self.literal(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        return [self.literal(node, key)]

    def pattern(self, node: Any, key: str, case_sensitive: bool) -> str:
        pattern = self.literal(node, key)
        try:
            re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)
        except re.error as exc:
            self.fail(node, key, f"invalid regular expression: {exc.msg} at position {exc.pos}")
        return pattern

    def check_number(self, node: Any, key: str, *, low: float = -math.inf, high: float = math.inf) -> float:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(node, key, f"must be a number, not {self.kind(node)}")
        if not low <= value <= high:
            span = f"from {low:g} to {high:g}" if math.isfinite(high) else f"of at least {low:g}"
            self.fail(node, key, f"must be a number {span}, not {value!r}")
        return float(value)

    def keys(self, node: Any, key: str) -> tuple[str, ...]:
        if isinstance(node, self._yaml.SequenceNode):
            names = [self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        else:
            names = [self.text(node, key)]
        if len(set(names)) != len(names):
            self.fail(node, key, "a key is listed twice: list each once")
        return tuple(names)

    def length(self, node: Any, key: str) -> tuple[int | None, int | None]:
        fields = self.fields(node, key, LENGTH_KEYS)
        if not fields:
            self.fail(node, key, "give `min:`, `max:` or both (characters)")
        low = self.count(fields["min"][1], f"{key}.min") if "min" in fields else None
        high = self.count(fields["max"][1], f"{key}.max") if "max" in fields else None
        if low is not None and high is not None and low > high:
            self.fail(node, key, f"min ({low}) is above max ({high})")
        return low, high

    def judge(self, node: Any, key: str, default_model: str | None) -> JudgeSpec:
        if isinstance(node, self._yaml.MappingNode):
            fields = self.fields(node, key, JUDGE_KEYS)
            if "rubric" not in fields:
                self.fail(node, f"{key}.rubric", "missing: say what the judge should check")
            rubric = self.text(fields["rubric"][1], f"{key}.rubric")
        else:
            fields, rubric = {}, self.text(node, key)
        model = self.get(fields, "model", key, self.address, default_model)
        if model is None:
            self.fail(node, key, "no judge model: add `model: provider/model-id` here or `judge:` at the top of the suite")
        mode = self.get(fields, "mode", key, lambda n, k: self.choice(n, k, JUDGE_MODES), "score")
        if mode == "pairwise":
            if "against" not in fields:
                self.fail(node, f"{key}.against", "missing: a pairwise judge needs the model to compare with")
            if "pass" in fields:
                self.fail(fields["pass"][0], f"{key}.pass", "a pairwise judge has no score: remove it")
        elif "against" in fields:
            message = "only a pairwise judge compares: add `mode: pairwise` or remove it"
            self.fail(fields["against"][0], f"{key}.against", message)
        return JudgeSpec(
            model=model,
            rubric=rubric,
            mode=mode,
            pass_score=self.get(fields, "pass", key, lambda n, k: self.check_number(n, k, low=1, high=10), DEFAULT_PASS_SCORE),
            against=self.get(fields, "against", key, self.address),
            reference=self.get(fields, "reference", key, self.text),
        )

    def choice(self, node: Any, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(node, key)
        if value not in choices:
            self.fail(node, key, f"unknown value '{value}'; {suggest(value, choices, 'use one of')}")
        return value

    def address(self, node: Any, key: str) -> str:
        value = self.text(node, key)
        provider, _, model = value.partition("/")
        if not provider or not model:
            self.fail(node, key, f"'{value}' is not a model address: write provider/model-id")
        return value
