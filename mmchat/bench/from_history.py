"""A suite built from the user's stored prompts (`mmchat bench --from-history`), and a suite written back as YAML.

Each case keeps the conversation its prompt followed (the stored lineage: complete turns
with text, the last HISTORY_TURNS of them), so a follow-up such as "shorten it" is asked
with what it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmchat.bench.suite import Case, Check, JudgeSpec, Suite, Turn
from mmchat.bench.suite_file import DEFAULT_PASS_SCORE
from mmchat.routing.decision import Decision
from mmchat.store import Store, StoredMessage

REFERENCE_RUBRIC = "The answer is as correct and complete as the reference answer."
# Search rows read per case wanted: answers match the query too, and repeated prompts are dropped.
_ROWS_PER_CASE = 4
# Messages of history a case keeps at most: six exchanges hold what a follow-up usually refers
# to, while every model (and every repeat) is sent the whole history, so its cost stays bounded.
HISTORY_TURNS = 12


@dataclass(frozen=True)
class _Conversation:
    """What the cases of one stored conversation read from it, read once."""

    path: set[int]  # the ids of the messages the conversation follows now
    answers: dict[int | None, list[StoredMessage]]  # by the prompt they answer, oldest first
    lock: int | None  # the privacy lock: the message from which it is private

    @classmethod
    def read(cls, store: Store, conversation_id: int) -> _Conversation:
        return cls(
            path={m.id for m in store.path(conversation_id)},
            answers=store.answers_by_prompt(conversation_id),
            lock=store.privacy_lock(conversation_id),
        )


def suite_from_history(store: Store, query: str, *, limit: int = 50, judge_model: str | None = None) -> Suite:
    """Up to `limit` stored prompts matching `query` (full-text search, best match first), each
    asked once, as cases `history-<message id>` without checks.

    A case keeps the conversation before its prompt, along the path it took (the prompt's
    lineage, not alternatives): a stored system message as its system text, and as history
    the user and assistant messages with text that completed (an answer that failed or was
    cut short is left out), the last HISTORY_TURNS of them, starting with a user message.
    Prompts asked again with the same history (and system text) are one case, the best match.

    Each case's category is the intent its answer's routing decision read; with `judge_model`,
    a prompt whose answer the conversation kept (the one on its path, complete) gets a judge
    check scoring a new answer against that one. A case is private when its conversation is
    under the privacy lock at or before the prompt, or a router marked its prompt or a prompt
    before it private (the whole lineage, turns cut by the bound included). No match: a suite
    without cases."""
    cases: list[Case] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...], str]] = set()
    conversations: dict[int, _Conversation] = {}
    for message, _ in store.search(query, limit * _ROWS_PER_CASE):
        prompt = message.content.strip()
        if message.role != "user" or not prompt:
            continue
        above = store.lineage(message.id)[:-1]
        system, history = _system(above), _history(above)
        key = (_same(system or ""), tuple((turn.role, _same(turn.content)) for turn in history), _same(prompt))
        if key in seen:
            continue
        seen.add(key)
        if message.conversation_id not in conversations:
            conversations[message.conversation_id] = _Conversation.read(store, message.conversation_id)
        conversation = conversations[message.conversation_id]
        cases.append(_case(message, prompt, above, conversation, judge_model, system=system, history=history))
        if len(cases) == limit:
            break
    return Suite(name=f"history: {' '.join(query.split())}", path=None, cases=tuple(cases), judge_model=judge_model)


def _same(text: str) -> str:
    """The text as compared for duplicates: spacing and case ignored."""
    return " ".join(text.split()).casefold()


def _system(above: list[StoredMessage]) -> str | None:
    texts = [m.content.strip() for m in above if m.role == "system" and m.content.strip()]
    return "\n\n".join(texts) or None


def _history(above: list[StoredMessage]) -> tuple[Turn, ...]:
    """The last HISTORY_TURNS complete user and assistant messages with text, from a user message."""
    turns = [
        Turn(m.role, m.content.strip())
        for m in above
        if m.role in ("user", "assistant") and m.status == "complete" and m.content.strip()
    ][-HISTORY_TURNS:]
    first_user = next((i for i, turn in enumerate(turns) if turn.role == "user"), len(turns))
    return tuple(turns[first_user:])


def _case(
    message: StoredMessage, prompt: str, above: list[StoredMessage], conversation: _Conversation,
    judge_model: str | None, *, system: str | None, history: tuple[Turn, ...],
) -> Case:
    answers = conversation.answers.get(message.id, [])
    kept = next((a for a in answers if a.id in conversation.path), None)
    decisions = [
        d for a in ([kept] if kept else []) + answers if (d := Decision.from_dict(a.decision, prompt)) is not None
    ]
    checks: tuple[Check, ...] = ()
    if judge_model and kept is not None and kept.status == "complete" and kept.content.strip():
        spec = JudgeSpec(model=judge_model, rubric=REFERENCE_RUBRIC, reference=kept.content.strip())
        checks = (Check("judge", 0, judge=spec),)
    return Case(
        id=f"history-{message.id}",
        prompt=prompt,
        line=0,
        category=(decisions[0].signals.intent or None) if decisions else None,
        history=history,
        system=system,
        checks=checks,
        private=_private(message, above, conversation) or any(d.private for d in decisions),
    )


def _private(message: StoredMessage, above: list[StoredMessage], conversation: _Conversation) -> bool:
    """Whether the conversation up to the prompt was private: under the lock, or a prompt before
    it marked private by its router (any of its answers' decisions, kept or not)."""
    # The lock holds from a message on, and every message above the prompt was stored before it,
    # so a history turn under the lock puts the prompt under it too.
    if conversation.lock is not None and message.id >= conversation.lock:
        return True
    earlier = [a for m in above if m.role == "user" for a in conversation.answers.get(m.id, [])]
    return any((d := Decision.from_dict(a.decision)) is not None and d.private for a in earlier)


def dump_suite(suite: Suite) -> str:
    """`suite` as a suite file's YAML (the format of mmchat.bench.suite_file); reading it back
    gives the same suite, but for where it was read from (lines, path, checksum)."""
    import yaml

    data: dict[str, Any] = {"name": suite.name}
    if suite.judge_model:
        data["judge"] = suite.judge_model
    if suite.params:
        data["params"] = dict(suite.params)
    data["cases"] = [_case_data(case, suite.judge_model) for case in suite.cases]
    return yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100)


def _case_data(case: Case, judge_model: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": case.id}
    if case.category:
        data["category"] = case.category
    if case.private:
        data["private"] = True
    if case.system:
        data["system"] = case.system
    if case.history:
        data["history"] = [{turn.role: turn.content} for turn in case.history]
    data["prompt"] = case.prompt
    if case.params:
        data["params"] = dict(case.params)
    if case.checks:
        data["checks"] = [_check_data(check, judge_model) for check in case.checks]
    return data


def _check_data(check: Check, judge_model: str | None) -> dict[str, Any]:
    if check.kind in ("contains", "not_contains", "equals", "regex"):
        data: dict[str, Any] = {check.kind: check.pattern if check.kind == "regex" else check.text}
        if check.case_sensitive:
            data["case_sensitive"] = True
        return data
    if check.kind == "number":
        return {"number": check.number, **({"tolerance": check.tolerance} if check.tolerance else {})}
    if check.kind == "json":
        return {"json": list(check.keys)}
    if check.kind == "length":
        bounds = {"min": check.min_chars, "max": check.max_chars}
        return {"length": {k: v for k, v in bounds.items() if v is not None}}
    assert check.judge is not None
    return {"judge": _judge_data(check.judge, judge_model)}


def _judge_data(spec: JudgeSpec, judge_model: str | None) -> str | dict[str, Any]:
    data: dict[str, Any] = {"rubric": spec.rubric}
    if spec.model != judge_model:
        data["model"] = spec.model
    if spec.mode != "score":
        data["mode"] = spec.mode
    if spec.pass_score != DEFAULT_PASS_SCORE:
        data["pass"] = spec.pass_score
    if spec.against:
        data["against"] = spec.against
    if spec.reference:
        data["reference"] = spec.reference
    return spec.rubric if len(data) == 1 else data


def _text_representer(dumper: Any, text: str) -> Any:
    """Text over several lines as a `|` block, so a prompt reads as it was written."""
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _dumper() -> Any:
    """PyYAML's safe dumper writing text over several lines as a block (imported on use)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, _text_representer)
    return Dumper

