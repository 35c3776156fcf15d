"""The signals of one turn, computed once: what rules and policies look at."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from mmchat.routing.code import find_code, normalise_language
from mmchat.routing.intent import read_intent
from mmchat.routing.inputs import Conversation, RouterState, Turn
from mmchat.routing.language import detect_language
from mmchat.routing.markers import answer_length, complexity, has_math, reasoning_markers, Words
from mmchat.routing.secrets import PERSONAL_KINDS, Finding, scan
from mmchat.routing.stored import Fields
from mmchat.routing.usertags import BUILTIN_TAGS, extract_tags

PER_MESSAGE_OVERHEAD = 4  # tokens of role and separators per message (as mmchat.engine.context_window counts)

Count = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token)."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class Signals:
    text: str  # the prompt to send: tags removed
    tokens: int  # of the prompt and its attachments
    history_tokens: int  # of the conversation before this turn
    has_code: bool  # code pasted or asked for in words
    code_languages: tuple[str, ...]
    intent: str  # light | everyday | creative | code | reasoning (mmchat.routing.intent)
    intent_why: str  # the evidence for it, in a few words
    math: bool
    reasoning: tuple[str, ...]  # the reasoning/multi-step markers found
    complexity: str  # simple | moderate | complex
    answer_length: str  # short | normal | long (what the prompt asks for)
    language: str  # ISO 639-1, 'und' when unknown
    attachments: tuple[str, ...]  # kinds
    turns: int  # user turns before this one
    secrets: tuple[str, ...]  # kinds of credentials found (never their values)
    personal: tuple[str, ...]  # kinds of personal data found: card, email ...
    findings: tuple[Finding, ...]  # each credential and piece of personal data: kind and line, never the value
    tags: tuple[str, ...]  # routing tags typed (#private ...) or given with the turn
    budget_left: float | None  # USD left of the tightest budget, None without limits
    budget_low: bool  # a budget is past its warn_at share

    @property
    def total_tokens(self) -> int:
        return self.tokens + self.history_tokens

    @cached_property
    def lower(self) -> str:
        """The text in lower case (made once, for every `contains` condition)."""
        return self.text.lower()

    def to_dict(self) -> dict[str, Any]:
        """Everything but the text (which is stored as the message itself)."""
        data = asdict(self)
        del data["text"], data["findings"]
        if self.budget_left is not None:
            data["budget_left"] = round(self.budget_left, 6)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], text: str = "") -> Signals:
        """Signals as `to_dict` stored them, by this version or an older one (`text` is the
        message itself; the findings are not stored). What was not stored reads empty: `intent`
        '' (stored before intents were read), `complexity` and `answer_length` '', `language` 'und'."""
        fields = Fields(data)
        return cls(
            text=text,
            tokens=fields.integer("tokens"),
            history_tokens=fields.integer("history_tokens"),
            has_code=fields.flag("has_code"),
            code_languages=fields.texts("code_languages"),
            intent=fields.text("intent"),
            intent_why=fields.text("intent_why"),
            math=fields.flag("math"),
            reasoning=fields.texts("reasoning"),
            complexity=fields.text("complexity"),
            answer_length=fields.text("answer_length"),
            language=fields.text("language") or "und",
            attachments=fields.texts("attachments"),
            turns=fields.integer("turns"),
            secrets=fields.texts("secrets"),
            personal=fields.texts("personal"),
            findings=(),
            tags=fields.texts("tags"),
            budget_left=fields.optional_number("budget_left"),
            budget_low=fields.flag("budget_low"),
        )


def compute_signals(
    turn: Turn,
    conversation: Conversation,
    state: RouterState,
    *,
    count: Count = approx_tokens,
    known_tags: frozenset[str] = BUILTIN_TAGS,
) -> Signals:
    code = find_code(turn.prompt)
    typed, text = extract_tags(turn.prompt, code.prose, known_tags)
    tags = tuple(sorted({*typed, *(t.lower().lstrip("#") for t in turn.tags)}))
    tokens = count(text) + sum(a.tokens for a in turn.attachments)
    if conversation.tokens is not None:
        history = conversation.tokens
    else:
        history = sum(count(m.content) + PER_MESSAGE_OVERHEAD for m in conversation.messages)
    prose = code.prose
    words = Words.of(prose)
    math_found = has_math(prose, words)
    reasoning = reasoning_markers(words)
    language = detect_language(prose, words.set)
    intent = read_intent(words, has_code=code.has_code, math=math_found, language=language)
    languages = set(code.languages)
    if intent.kind == "code" and not code.has_code:
        languages.update(normalise_language(name) for name in intent.code_languages)
    left, low = _budget(state)
    findings = _findings(turn, prose)
    return Signals(
        text=text,
        tokens=tokens,
        history_tokens=history,
        has_code=code.has_code or intent.kind == "code",
        code_languages=tuple(sorted(languages)),
        intent=intent.kind,
        intent_why=intent.why,
        math=math_found,
        reasoning=reasoning,
        complexity=complexity(words, tokens, intent=intent.kind, reasoning=len(reasoning)),
        answer_length=answer_length(words),
        language=language,
        attachments=tuple(sorted({a.kind for a in turn.attachments})),
        turns=conversation.turns,
        secrets=tuple(sorted({f.kind for f in findings if f.kind not in PERSONAL_KINDS})),
        personal=tuple(sorted({f.kind for f in findings if f.kind in PERSONAL_KINDS})),
        findings=findings,
        tags=tags,
        budget_left=left,
        budget_low=low,
    )


def _findings(turn: Turn, prose: str) -> tuple[Finding, ...]:
    """Credentials and personal data in the prompt (`prose` is it without its code) and in its text attachments."""
    found = list(scan(turn.prompt, prose=prose))
    for attachment in turn.attachments:
        if attachment.text:
            found += scan(attachment.text, source=attachment.name)
    return tuple(found)


def _budget(state: RouterState) -> tuple[float | None, bool]:
    budget = state.budget
    left: float | None = None
    low = False
    for limit, spent in ((budget.conversation, state.spent_conversation), (budget.day, state.spent_day)):
        if limit is None:
            continue
        remaining = max(0.0, limit - spent)
        left = remaining if left is None else min(left, remaining)
        low = low or spent >= budget.warn_at * limit
    return left, low
