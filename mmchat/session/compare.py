"""A compare: one prompt to several models. What the chat and `mmchat compare` share.

`plan_compare` turns the models asked for into decisions the session can answer
(`Session.answer(plan.decisions)`): each model pinned for the prompt, within the
privacy lock (a private turn is compared among local models only; a cloud model
is left out with the reason), with the estimated cost of the whole compare.
`markers` ranks the ended answers (first token, finished first, cheapest,
longest) and `names_its_maker` flags an answer that names its own model or
vendor (a known bias in blind votes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mmchat.catalog import UnknownModel
from mmchat.config import COMPARE_MODELS
from mmchat.routing import Decision
from mmchat.session.session import Session
from mmchat.session.view import Figures, TurnView

MIN_MODELS, MAX_MODELS = COMPARE_MODELS


class CompareError(ValueError):
    """Why a compare cannot start, in one line that says what to change."""


class NothingToCompare(CompareError):
    """Fewer than two of the models may take the prompt: the privacy lock left the others out."""

    def __init__(self, able: list[str], left_out: list[LeftOut]) -> None:
        self.able, self.left_out = able, left_out
        said = "; ".join(f"{o.model} left out: {o.reason}" for o in left_out)
        super().__init__(f"nothing compared: {len(able)} of the models can take this prompt ({said})")


@dataclass(frozen=True)
class LeftOut:
    model: str
    reason: str


@dataclass(frozen=True)
class ComparePlan:
    prompt: str
    decisions: tuple[Decision, ...]  # one per model compared, each with its model
    left_out: tuple[LeftOut, ...]  # models asked for that the privacy lock refused

    @property
    def models(self) -> list[str]:
        return [d.model or "" for d in self.decisions]

    @property
    def estimated_cost(self) -> float:
        """The router's estimate for every answer together, in USD (the priced ones)."""
        return sum(c.cost_usd for d in self.decisions if (c := d.chosen) is not None and c.cost_usd is not None)

    @property
    def unpriced(self) -> list[str]:
        """The models compared whose price is unknown (not in the estimate)."""
        return [d.model or "" for d in self.decisions if (c := d.chosen) is None or c.cost_usd is None]

    def cost_line(self) -> str:
        """'estimated $0.0123 for 3 answers', and the models without a price."""
        from mmchat import format as fmt

        line = f"estimated {fmt.cost(self.estimated_cost)} for {len(self.decisions)} answers"
        if self.unpriced:
            line += f" (no price for {', '.join(self.unpriced)})"
        return line


def parse_models(text: str) -> list[str]:
    """'a, b,c' → ['a', 'b', 'c']."""
    return [part.strip() for part in text.split(",") if part.strip()]


# The decision for the compared prompt with a pin (None: the router's own choice).
Decide = Callable[[str | None], Decision]


@dataclass(frozen=True)
class CompareChoice:
    """Which models a compare asks for, before there is a prompt: these `models`, the config's
    compare set `set_name`, or the router's `top` candidates for the prompt; `blind` hides
    the models until the vote. CompareError: a `top` outside 2 to 6."""

    models: tuple[str, ...] = ()
    set_name: str | None = None
    top: int | None = None
    blind: bool = False

    def __post_init__(self) -> None:
        if self.top is not None and not MIN_MODELS <= self.top <= MAX_MODELS:
            raise CompareError(f"a compare takes {MIN_MODELS} to {MAX_MODELS} models, not the top {self.top}")

    def label(self) -> str:
        """'lab/a, lab/b', 'set code', 'top 3', with ' (blind)'."""
        what = f"set {self.set_name}" if self.set_name else f"top {self.top}" if self.top else ", ".join(self.models)
        return what + (" (blind)" if self.blind else "")


def resolve_models(session: Session, models: Sequence[str]) -> list[str]:
    """`models` (addresses as typed) as the catalog's addresses; CompareError: too few or too
    many, one unknown, or one named twice."""
    if not MIN_MODELS <= len(models) <= MAX_MODELS:
        raise CompareError(f"compare takes {MIN_MODELS} to {MAX_MODELS} models; {len(models)} given")
    try:
        resolved = [session.catalog.resolve(address).address for address in models]
    except UnknownModel as exc:
        raise CompareError(str(exc)) from None
    twice = sorted({m for m in resolved if resolved.count(m) > 1})
    if twice:
        raise CompareError(f"{', '.join(twice)} named twice: compare each model once")
    return resolved


def plan_compare(
    session: Session, prompt: str, conversation_id: int | None, choice: CompareChoice, decide: Decide | None = None
) -> ComparePlan:
    """Decisions for comparing `prompt` as `choice` asks: its models (resolved here), its set,
    or the router's top candidates for the prompt (within the privacy lock and the filters;
    fewer when fewer may take it), each pinned by `decide` (default: the session's, the
    conversation read once). Raises CompareError: too few or too many models, one unknown or
    named twice, an unknown set, or fewer than two left once the privacy lock has refused the
    cloud models of a private turn (NothingToCompare)."""
    decide = decide or session.decider(prompt, conversation_id)
    if choice.top is not None:
        models = [c.model for c in decide(None).candidates][: choice.top]
    elif choice.set_name is not None:
        models = compare_set(session, choice.set_name)
    else:
        models = list(choice.models)
    resolved = resolve_models(session, models)
    return _plan_from([decide(model) for model in resolved], resolved, prompt)


def _plan_from(pinned: Sequence[Decision], models: Sequence[str], prompt: str) -> ComparePlan:
    """The plan from each model's pinned decision (in the order of `models`); NothingToCompare
    when fewer than two may take the prompt."""
    decisions: list[Decision] = []
    left_out: list[LeftOut] = []
    for model, decision in zip(models, pinned):
        if decision.model == model:
            decisions.append(decision)
        else:  # only the privacy lock refuses a pin: a private turn goes to local models only
            reasons = "; ".join(decision.private_reasons) or "the conversation is locked"
            left_out.append(LeftOut(model, f"the turn is private ({reasons}) and it is not a local model"))
    if len(decisions) < MIN_MODELS:
        raise NothingToCompare([d.model or "" for d in decisions], left_out)
    return ComparePlan(prompt, tuple(decisions), tuple(left_out))


def compare_set(session: Session, name: str) -> list[str]:
    """The models of the config's compare set `name`; CompareError names the sets there are."""
    sets = session.config.compare_sets
    if name not in sets:
        known = ", ".join(sets) or "none: add compare_sets: {name: [provider/model, …]} to the config"
        raise CompareError(f"no compare set '{name}': the sets are {known}")
    return list(sets[name])


# -- after the answers --------------------------------------------------------------

# What each marker ranks an ended answer by (its figures, its length in characters), lowest best.
# Characters, not tokens, for the longest: each model counts tokens with its own tokenizer.
_MARKERS: tuple[tuple[str, Callable[[Figures, int], float | None]], ...] = (
    ("first token", lambda f, chars: f.ttft_ms),
    ("finished first", lambda f, chars: f.elapsed_ms),
    ("cheapest", lambda f, chars: f.cost_usd),
    ("longest", lambda f, chars: -chars),
)
MARKER_LABELS = tuple(label for label, _ in _MARKERS)


def markers(views: Sequence[TurnView]) -> list[list[str]]:
    """Each answer's markers, among the completed answers with the figure; a tie marks none
    (two free local models are not 'cheapest')."""
    marks: list[list[str]] = [[] for _ in views]
    done = [(i, v.figures(), len(v.text)) for i, v in enumerate(views) if v.status == "complete"]
    for label, key in _MARKERS:
        ranked = sorted((value, i) for i, figures, chars in done if (value := key(figures, chars)) is not None)
        if len(ranked) >= 2 and ranked[0][0] < ranked[1][0]:
            marks[ranked[0][1]].append(label)
    return marks


# Words that name a vendor's models: an answer naming its own model's vendor is flagged in a
# blind compare. A model belongs to a group when a word of the group is in its name.
VENDOR_WORDS: tuple[tuple[str, ...], ...] = (
    ("openai", "gpt", "chatgpt"),
    ("anthropic", "claude"),
    ("google", "gemini", "gemma", "deepmind"),
    ("meta", "llama"),
    ("alibaba", "qwen"),
    ("mistral", "mixtral", "codestral"),
    ("deepseek",),
    ("microsoft", "phi"),
    ("xai", "grok"),
)
# Parts of model names too common to tell anything: never matched on their own.
GENERIC_WORDS = frozenset({"mini", "nano", "small", "medium", "large", "base", "chat", "instruct", "latest",
                           "preview", "turbo", "pro", "flash", "lite", "coder", "vision", "model"})


def names_its_maker(model: str, text: str) -> bool:
    """Whether `text` names `model` (a part of its name after the provider) or its vendor, case aside."""
    name = model.rsplit("/", 1)[-1].lower()
    parts = {p for p in re.findall(r"[a-z]+", name) if len(p) >= 3 and p not in GENERIC_WORDS}
    words = set(parts)
    for group in VENDOR_WORDS:
        if any(word in parts or word in name for word in group if len(word) >= 4) or parts & set(group):
            words.update(group)
    if not words:
        return False
    pattern = r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, sorted(words))) + r")(?![a-z])"
    return re.search(pattern, text, re.IGNORECASE) is not None
