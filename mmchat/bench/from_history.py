"""A suite built from the user's stored prompts (`mmchat bench --from-history`), and a suite written back as YAML."""

from __future__ import annotations

from typing import Any

from mmchat.bench.suite import Case, Check, JudgeSpec, Suite
from mmchat.bench.suite_file import DEFAULT_PASS_SCORE
from mmchat.routing.decision import Decision
from mmchat.store import Store, StoredMessage

REFERENCE_RUBRIC = "The answer is as correct and complete as the reference answer."
# Search rows read per case wanted: answers match the query too, and repeated prompts are dropped.
_ROWS_PER_CASE = 4


def suite_from_history(store: Store, query: str, *, limit: int = 50, judge_model: str | None = None) -> Suite:
    """Up to `limit` stored prompts matching `query` (full-text search, best match first), each
    asked once, as cases `history-<message id>` without checks. Each case's category is the
    intent its answer's routing decision read; with `judge_model`, a prompt whose answer the
    conversation kept (the one on its path, complete) gets a judge check scoring a new answer
    against that one. A prompt of a conversation under the privacy lock, or one its router
    marked private, is a private case. No match: a suite without cases."""
    cases: list[Case] = []
    seen: set[str] = set()
    paths: dict[int, set[int]] = {}
    for message, _ in store.search(query, limit * _ROWS_PER_CASE):
        prompt = message.content.strip()
        same = " ".join(prompt.split()).casefold()
        if message.role != "user" or not prompt or same in seen:
            continue
        seen.add(same)
        if message.conversation_id not in paths:
            paths[message.conversation_id] = {m.id for m in store.path(message.conversation_id)}
        cases.append(_case(store, message, prompt, paths[message.conversation_id], judge_model))
        if len(cases) == limit:
            break
    return Suite(name=f"history: {' '.join(query.split())}", path=None, cases=tuple(cases), judge_model=judge_model)


def _case(store: Store, message: StoredMessage, prompt: str, path: set[int], judge_model: str | None) -> Case:
    answers = [m for m in store.children(message.id) if m.role == "assistant"]
    kept = next((a for a in answers if a.id in path), None)
    decisions = [
        d for a in ([kept] if kept else []) + answers if (d := Decision.from_dict(a.decision, prompt)) is not None
    ]
    lock = store.privacy_lock(message.conversation_id)
    checks: tuple[Check, ...] = ()
    if judge_model and kept is not None and kept.status == "complete" and kept.content.strip():
        spec = JudgeSpec(model=judge_model, rubric=REFERENCE_RUBRIC, reference=kept.content.strip())
        checks = (Check("judge", 0, judge=spec),)
    return Case(
        id=f"history-{message.id}",
        prompt=prompt,
        line=0,
        category=(decisions[0].signals.intent or None) if decisions else None,
        checks=checks,
        private=(lock is not None and message.id >= lock) or any(d.private for d in decisions),
    )


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

