"""`mmchat route`: test the routing rules by hand, without sending anything.

    mmchat route "PROMPT" [--json]     the decision for a prompt (or --prompt TEXT)
    mmchat route test CASES.yaml       expected models or tags per prompt; exit 1 on a miss
        --watch                        again on every save of the cases or the config file (Ctrl+C: exit 130)
    mmchat route replay CONVERSATION   which stored turns would change model now, and the cost
    mmchat route check                 load the rules; errors name the file, line and rule
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from mmchat.session.autoroute import AutoRoute
from mmchat.commands.prompt_input import read_prompt
from mmchat.commands.setup import build_catalog, load, open_store
from mmchat.config import ConfigError
from mmchat.format import cost as money
from mmchat.routing import RouterState, Turn
from mmchat.session.routing_report import decision_lines
from mmchat.yaml_nodes import read_text
from mmchat.sanitize import printable

ACTIONS = ("test", "replay", "check")
WATCH_EVERY_S = 0.5  # how often `route test --watch` looks at the files for a save


def run(args: argparse.Namespace) -> int:
    words = list(args.words)
    action = words[0] if words and args.prompt is None and words[0] in ACTIONS else None
    if args.watch:
        if action != "test":
            raise ConfigError("--watch goes with `mmchat route test CASES.yaml`")
        return _watch(args, _cases_path(words[1:]))
    config = load(args)
    catalog = build_catalog(config)
    from mmchat.model_lists import add_cached_lists, default_cache

    add_cached_lists(catalog, config, default_cache())
    if action == "check":
        return _check(config, catalog, words[1:])
    store = open_store()
    try:
        auto = AutoRoute(config, catalog, store)
        if action == "test":
            return _test(auto, _cases_path(words[1:]))
        if action == "replay":
            return _replay(auto, words[1:])
        prompt = read_prompt(args.prompt if args.prompt is not None else " ".join(words), "route")
        if prompt is None:
            return 2
        if not prompt.strip():
            raise ConfigError("no prompt: write `mmchat route \"PROMPT\"` (or pipe it on stdin)")
        if args.conversation is not None:
            store.conversation(args.conversation)  # a clear error for an unknown id
        decision = auto.decide(prompt, args.conversation, pin=args.pin, tags=args.tag)
        if args.json:
            print(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
        else:
            print("\n".join(printable(line) for line in decision_lines(decision)))
        return 0
    finally:
        store.close()


def _check(config: Any, catalog: Any, extra: list[str]) -> int:
    if extra:
        raise ConfigError("route check takes no arguments: it checks the routing section of the config")
    from mmchat.routing import load_routing

    rules = load_routing(config, catalog.models())  # raises ConfigError with file, line and rule
    where = f"the routing section of {config.source}" if config.routing is not None else "the built-in set"
    print(f"routing rules OK: {len(rules.rules)} rules from {where}, over {len(catalog.models())} models")
    return 0


# ---- route test -----------------------------------------------------------------------------


def _cases_path(extra: list[str]) -> Path:
    if len(extra) != 1:
        raise ConfigError("write `mmchat route test CASES.yaml` (one file)")
    return Path(extra[0])


def _test(auto: AutoRoute, path: Path) -> int:
    """Route each case of a cases file (format: mmchat/data/route_cases.yaml); exit 1 on a miss."""
    _, failed = _run_cases(auto, path)
    return 1 if failed else 0


def _run_cases(auto: AutoRoute, path: Path) -> tuple[int, int]:
    """Print each case's outcome, then the counts; returns (passed, failed)."""
    from mmchat.routing.cases import misses, parse_cases

    cases = parse_cases(read_text(path), path)  # ConfigError with the file, line and case
    tags_of = {m.address: m.tags for m in auto.catalog.models()}
    failed = 0
    for case in cases:
        state = replace(case.state, budget=auto.config.budget)
        decision = auto.route(case.turn, case.conversation.messages, state)
        problems = misses(case, decision, tags_of)
        if problems:
            failed += 1
            print(f"FAIL  {printable(case.name)} (line {case.line})")
            # misses() ends with the decision's why and notes: the decision's own lines say them.
            shown = [line for line in problems if not line.startswith(("why: ", "note: "))]
            print("\n".join("        " + printable(line) for line in shown))
            print("\n".join("        " + printable(line) for line in decision_lines(decision)))
        else:
            print(f"pass  {printable(case.name)}: {printable(decision.line())}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return len(cases) - failed, failed


def _watch(args: argparse.Namespace, cases: Path) -> int:
    """`route test CASES.yaml --watch`: run the cases, then again whenever the cases file or the
    config file is saved (their stamps polled every WATCH_EVERY_S), each run closed by a line
    with the time and the result. A broken file is one line (file:line: why) and the watch goes
    on; Ctrl+C ends it with 130, quietly."""
    from mmchat.session.autoroute import file_stamp

    store = open_store()
    config_path: Path | None = None  # known once the config was read (None: built from the environment)
    try:
        while True:
            files = [cases] if config_path is None else [cases, config_path]
            stamps = [file_stamp(path) for path in files]  # before the run: a save during it runs again
            result, found = _watch_run(args, cases, store)
            if config_path is None and found is not None:
                config_path = found
                files, stamps = [*files, found], [*stamps, file_stamp(found)]
                print(f"watching {printable(str(cases))} and {printable(str(found))} (Ctrl+C stops)")
            print(f"──── {time.strftime('%H:%M:%S')} · {result} ────", flush=True)
            while [file_stamp(path) for path in files] == stamps:
                time.sleep(WATCH_EVERY_S)
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()


def _watch_run(args: argparse.Namespace, cases: Path, store: Any) -> tuple[str, Path | None]:
    """One run of the watch: (its result, the config file read or found broken, if any)."""
    from mmchat.model_lists import add_cached_lists, default_cache

    config_path = None
    try:
        config = load(args)
        config_path = config.source
        catalog = build_catalog(config)
        add_cached_lists(catalog, config, default_cache())
        passed, failed = _run_cases(AutoRoute(config, catalog, store), cases)
    except ConfigError as exc:
        print(f"error: {printable(' '.join(str(exc).split()))}")
        if config_path is None and exc.path is not None and exc.path != cases:
            config_path = exc.path  # the config file is broken: its next save runs again
        return "error: fix the file and save it", config_path
    return f"{'FAILED' if failed else 'ok'}: {passed} passed, {failed} failed", config_path


# ---- route replay ---------------------------------------------------------------------------


def _replay(auto: AutoRoute, extra: list[str]) -> int:
    if len(extra) != 1 or not extra[0].isdigit():
        raise ConfigError("write `mmchat route replay CONVERSATION` (its number, see `mmchat history list`)")
    conversation_id = int(extra[0])
    store = auto.store
    store.conversation(conversation_id)  # LookupError: a one-line 'no conversation N'
    path = store.path(conversation_id)
    lock = store.privacy_lock(conversation_id)
    rows = [("turn", "prompt", "was", "now", "est. cost was", "est. cost now")]
    changed = 0
    total_was = total_now = 0.0
    unknown = False
    for index, message in enumerate(path):
        if message.role != "user":
            continue
        answer = next((m for m in path[index + 1:] if m.role == "assistant"), None)
        state = RouterState(locked=lock is not None and lock <= message.id, budget=auto.config.budget)
        decision = auto.route(Turn(message.content), path[:index], state)
        was = answer.model if answer else None
        costs = {c.model: c.cost_usd for c in decision.candidates}
        cost_was = costs.get(was or "") if was else None
        cost_now = costs.get(decision.model or "")
        if cost_was is None or cost_now is None:
            unknown = True
        else:
            total_was += cost_was
            total_now += cost_now
        if decision.model != was:
            changed += 1
        rows.append((
            str(sum(1 for m in path[: index + 1] if m.role == "user")),
            _preview(message.content),
            was or "—",
            (decision.model or "held") + ("" if decision.model == was else "  *"),
            "?" if cost_was is None else money(cost_was),
            "?" if cost_now is None else money(cost_now),
        ))
    if len(rows) == 1:
        print(f"conversation {conversation_id} has no turns to replay")
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(printable("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()))
    turns = len(rows) - 1
    summary = f"{changed} of {turns} turns would change model (*)"
    summary += f"; estimated cost {money(total_was)} → {money(total_now)} ({money(total_now - total_was) if total_now >= total_was else '-' + money(total_was - total_now)})"
    if unknown:
        summary += "; turns with an unknown price are left out of the sums"
    print(summary)
    return 0


def _preview(text: str, limit: int = 40) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
