"""A bench suite as records: cases, their checks, and the suite's defaults.

Read from a YAML file by `suite_file.load_suite` (the format is documented there)
or built from stored prompts by `from_history`. Plain data: nothing here reads
files or calls models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECK_KINDS = ("contains", "not_contains", "regex", "equals", "number", "json", "length", "judge")
JUDGE_MODES = ("score", "pairwise")
# The report's names for every case and for the cases without a category: no case's category.
ALL_CASES, UNCATEGORISED = "all", "uncategorised"


@dataclass(frozen=True)
class JudgeSpec:
    """A judge model grading an answer against a rubric.

    'score': the judge gives a score from 1 to 10; the check passes at `pass_score` or
    above. 'pairwise': the judge compares the answer with `against`'s answer to the same
    case, twice with the positions swapped (to cancel position bias); the check passes
    when the answer wins both, or wins one and ties the other."""

    model: str  # the judge's address
    rubric: str
    mode: str = "score"  # one of JUDGE_MODES
    pass_score: float = 7.0
    against: str | None = None  # pairwise: the model whose answer is the reference
    reference: str | None = None  # a reference answer shown to the judge (from history: the kept answer)


@dataclass(frozen=True)
class Check:
    """One check of an answer. Which fields matter depends on `kind`:

    contains / not_contains: `text` (case-insensitive unless `case_sensitive`);
    regex: `pattern` (Python syntax, searched; `case_sensitive` as above);
    equals: `text` (the whole answer, stripped; case as above);
    number: `number` within `tolerance` (absolute): the answer's last number;
    json: the answer (or its first fenced block) parses as JSON, an object holding `keys`;
    length: `min_chars` ≤ len(answer) ≤ `max_chars` (either may be None);
    judge: `judge`."""

    kind: str  # one of CHECK_KINDS
    line: int  # where the check is written in its file (0 when built, not read)
    text: str | None = None
    pattern: str | None = None
    case_sensitive: bool = False
    number: float | None = None
    tolerance: float = 0.0
    keys: tuple[str, ...] = ()
    min_chars: int | None = None
    max_chars: int | None = None
    judge: JudgeSpec | None = None


@dataclass(frozen=True)
class Turn:
    """A message of a case's conversation before its prompt."""

    role: str  # user | assistant | system
    content: str


@dataclass(frozen=True)
class Case:
    id: str  # unique in its suite
    prompt: str  # the message the models answer
    line: int  # where the case starts in its file (0 when built)
    category: str | None = None  # code, reasoning, extraction, facts, writing, … (free text)
    history: tuple[Turn, ...] = ()  # a conversation before the prompt
    system: str | None = None
    checks: tuple[Check, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens…
    # Runs on local models only: written `private: true`, or a stored prompt that was private
    # (its conversation under the privacy lock, or a decision marked it or a turn before it private).
    private: bool = False


@dataclass(frozen=True)
class Suite:
    name: str
    path: str | None  # the file it was read from
    cases: tuple[Case, ...]
    sha256: str = ""  # of the file's bytes: a resumed run checks the suite did not change
    params: dict[str, Any] = field(default_factory=dict)  # defaults for every case
    judge_model: str | None = None  # the default judge of judge checks
