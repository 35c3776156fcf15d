"""`mmchat bench rule RUN`: a bench run's cheapest model meeting the bar, as routing rules.

One rule per kind of prompt the router tells apart (its intents: light, everyday,
creative, code, reasoning) that the run has a clear verdict for. The results are
grouped by the intent the router read in each case's prompt (stored with the
answer), so a suite's own category names (facts, extraction…) still make rules;
a result without a stored reading keeps its case's category, which gets no rule
unless it is an intent. `--category all` makes the overall verdict one rule over
every intent. A verdict on thin evidence gets no rule, and says why. The rules are shown first; on a terminal they are written
only once confirmed (`--yes` writes without asking), before the config's own
rules so they are tried first, and the edited file is loaded before it replaces
the old one.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from mmchat.bench.report import Verdict, summarize
from mmchat import format as fmt
from mmchat.bench.suite import ALL_CASES
from mmchat.config import ConfigError
from mmchat.config_edit import EditError, with_rules
from mmchat.export import write_private
from mmchat.commands.setup import open_bench_store
from mmchat.paths import default_config_path
from mmchat.routing.intent import INTENTS
from mmchat.sanitize import printable
from mmchat.store import BenchResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run(args: argparse.Namespace, run_id: int) -> int:
    store = open_bench_store()
    if store is None:
        return _say(f"no bench run {run_id} (mmchat bench list shows them)", EXIT_USAGE)
    with store:
        try:
            bench_run = store.bench_run(run_id)
        except LookupError:
            return _say(f"no bench run {run_id} (mmchat bench list shows them)", EXIT_USAGE)
        intents = store.bench_intents(run_id)
        results = [by_intent(r, intents.get(r.id, "")) for r in store.bench_results(run_id)]
    report = summarize(bench_run, results, bar=args.bar)
    category = args.category
    if category is not None and category != ALL_CASES and category not in INTENTS:
        return _say(f"--category {category}: use all or one of {', '.join(INTENTS)}", EXIT_USAGE)
    rules, skipped = rules_for(run_id, report.cheapest, args.bar, category)
    for line in skipped:
        print(f"mmchat: no rule for {printable(line)}", file=sys.stderr)
    if not rules:
        return _say("no rule to add: no category has a clear cheapest model meeting the bar", EXIT_FAILED)
    print("\n".join(_shown(rule) for rule in rules))
    target = args.config or default_config_path()
    if not args.yes:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return _say("not written: pass --yes to add these rules without a terminal to confirm", EXIT_FAILED)
        sys.stderr.write(f"add {'this rule' if len(rules) == 1 else f'these {len(rules)} rules'} to {target}? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return _say("not written", EXIT_FAILED)
    try:
        write_rules(target, rules)
    except (EditError, ConfigError, OSError) as exc:
        return _say(f"not written: {target}: {exc}", EXIT_FAILED)
    print(f"added {fmt.counted(len(rules), 'rule')} to {target}", file=sys.stderr)
    return EXIT_OK


def by_intent(result: BenchResult, intent: str) -> BenchResult:
    """The result filed under `intent` (the router's reading of its case's prompt, '' when
    its answer's stored decision does not say) when that is one the router tells apart."""
    return dataclasses.replace(result, category=intent) if intent in INTENTS else result


def rules_for(
    run_id: int, verdicts: dict[str | None, Verdict], bar: float, category: str | None
) -> tuple[list[str], list[str]]:
    """(the rules, each as YAML; why each other category got none)."""
    rules: list[str] = []
    skipped: list[str] = []
    wanted = [None] if category == ALL_CASES else [category] if category else [c for c in verdicts if c is not None]
    for name in wanted:
        verdict = verdicts.get(name)
        label = name or "all prompts"
        if verdict is None:
            skipped.append(f"{label}: the run has no case of it")
        elif name is not None and name not in INTENTS:
            skipped.append(f"{label}: not a kind of prompt the router tells apart ({', '.join(INTENTS)})")
        elif verdict.model is None or verdict.thin:
            skipped.append(f"{label}: {verdict.reason}")
        else:
            intents = f"[{', '.join(INTENTS)}]" if name is None else name
            rules.append(
                f"name: bench {run_id} {name or 'all'} (cheapest at {bar:g})\n"
                f"when: {{intent: {intents}}}\nthen: {{use: {verdict.model}}}"
            )
    return rules, skipped


def write_rules(path: Path, rules: list[str]) -> None:
    """Add `rules` to the config file at `path` (created when absent: a file without
    providers takes them from the environment, as before), after checking that the edited
    file loads; the file keeps its mode (0600 when new)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = with_rules(old, rules, path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, new, mode=mode, check=lambda temp: _check(temp, path))


def _check(temp: Path, path: Path) -> None:
    """Raise EditError (file:line, of `path`) when the edited file `temp` does not load, rules included."""
    from mmchat.catalog import Catalog
    from mmchat.config_load import load_config
    from mmchat.routing import load_routing

    try:
        config = load_config(temp)
        load_routing(config, Catalog.build(config).models())
    except ConfigError as exc:  # said of the file the user knows, not of the temporary one
        raise EditError(f"the edited file would not load: {str(exc).replace(str(temp), str(path))}") from None


def _shown(rule: str) -> str:
    lines = printable(rule).splitlines()
    return "\n".join(["- " + lines[0], *("  " + line for line in lines[1:])])


def _say(message: str, status: int) -> int:
    print(f"mmchat: {message}", file=sys.stderr)
    return status
