"""How well auto-route judges: the labelled set of benchmarks/routing_set/ routed under two catalogs.

    .venv/bin/python -m benchmarks.routing_quality            # every case, both catalogs
    .venv/bin/python -m benchmarks.routing_quality --misses   # also each miss with its decision
    .venv/bin/python -m benchmarks.routing_quality --set benchmarks/routing_holdout   # another folder of cases

Nothing is sent: each case's prompt goes through `Router.decide` (token counts
from tiktoken, as the engine counts them) and the chosen model is checked
against the models a careful person would accept (benchmarks/routing_set/
groups.yaml). Prints accuracy per category and catalog, a confusion table
(category x the group of the chosen model), secrets recall (private cases kept
local with their kind found) and look-alike precision (look-alikes not taken
for private data), and PASS/MISS against the targets; exit status 1 on a MISS.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from mmchat.catalog import Catalog
from mmchat.config import parse_config
from mmchat.routing import Conversation, Decision, Router, RouterState, Turn, load_routing
from mmchat.tokens import count_text

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "benchmarks" / "routing_set"
CATALOGS = {"four": SET / "four_models.yaml", "example": ROOT / "config.example.yaml"}
CATEGORIES = ("light", "everyday", "creative", "code", "reasoning", "long", "private", "lookalike")
TARGETS = {"overall": 0.95, "secrets recall": 1.0, "look-alike precision": 0.95}

_FILLER = (
    "Section {n}. The supplier shall deliver the goods listed in schedule {n} within thirty days of each order; "
    "late delivery of more than {m} days entitles the buyer to a credit of {m} percent of the order value. "
    "Measured latency of the service at {n}:00 was {m} ms at the median and {k} ms at the 99th percentile.\n"
)


@dataclass(frozen=True)
class Case:
    source: str  # file:index
    prompt: str
    category: str
    lang: str
    secret: str | None
    accept: dict[str, tuple[str, ...]]  # catalog -> group names or model addresses
    pad_tokens: int


@dataclass(frozen=True)
class Outcome:
    case: Case
    catalog: str
    decision: Decision
    accepted: frozenset[str]

    @property
    def passed(self) -> bool:
        d = self.decision
        if d.model not in self.accepted:
            return False
        if self.case.category == "private":
            kinds = {*d.signals.secrets, *d.signals.personal}
            return d.private and (self.case.secret is None or self.case.secret in kinds)
        if self.case.category == "lookalike":
            return not d.private
        return True


def load_cases(folder: Path = SET) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name in ("groups.yaml", "four_models.yaml"):
            continue
        data = yaml.safe_load(path.read_text())
        for i, raw in enumerate(data["cases"]):
            where = f"{path.name}:{i}"
            if raw["category"] not in CATEGORIES:
                raise ValueError(f"{where}: unknown category {raw['category']!r}")
            cases.append(Case(
                where, str(raw["prompt"]), raw["category"], raw.get("lang", "en"), raw.get("secret"),
                {name: tuple(v) for name, v in raw["accept"].items()}, int(raw.get("pad_tokens", 0)),
            ))
    return cases


@lru_cache(maxsize=None)
def padding(tokens: int) -> str:
    """A generated document of about `tokens` tokens (a contract and a log, in turns)."""
    parts, n = [], 0
    per = count_text(_FILLER.format(n=1000, m=10, k=100)).tokens
    while n * per < tokens:
        parts.append(_FILLER.format(n=n, m=n % 17 + 3, k=n % 300 + 120))
        n += 1
    return "".join(parts)


def router_for(catalog: str) -> Router:
    path = CATALOGS[catalog]
    config = parse_config(path.read_text(), path, env={})
    models = Catalog.build(config).models()
    return Router(models, load_routing(config, models))


def groups() -> dict[str, dict[str, tuple[str, ...]]]:
    data = yaml.safe_load((SET / "groups.yaml").read_text())
    return {catalog: {name: tuple(models) for name, models in named.items()} for catalog, named in data.items()}


def accepted(case: Case, catalog: str, named: dict[str, tuple[str, ...]]) -> frozenset[str]:
    models: set[str] = set()
    for item in case.accept[catalog]:
        models.update(named.get(item, (item,)))
    return frozenset(models)


def evaluate(cases: Iterable[Case], catalogs: Iterable[str] = tuple(CATALOGS)) -> list[Outcome]:
    named = groups()
    outcomes = []
    cases = list(cases)
    for catalog in catalogs:
        router = router_for(catalog)
        for case in cases:
            prompt = case.prompt if not case.pad_tokens else f"{case.prompt}\n\n{padding(case.pad_tokens)}"
            decision = router.decide(Turn(prompt), Conversation(), {}, RouterState(), count=lambda t: count_text(t).tokens)
            outcomes.append(Outcome(case, catalog, decision, accepted(case, catalog, named[catalog])))
    return outcomes


def figures(outcomes: list[Outcome]) -> dict[str, float | None]:
    """The target figures: overall accuracy (both catalogs), secrets recall, look-alike precision
    (None when the set has no case for one)."""
    private = [o for o in outcomes if o.case.category == "private"]
    lookalike = [o for o in outcomes if o.case.category == "lookalike"]
    return {
        "overall": _share(o.passed for o in outcomes),
        "secrets recall": _share(o.decision.private and _kind_found(o) for o in private),
        "look-alike precision": _share(not o.decision.private for o in lookalike),
    }


def _kind_found(o: Outcome) -> bool:
    return o.case.secret is None or o.case.secret in {*o.decision.signals.secrets, *o.decision.signals.personal}


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def group_of(model: str | None, named: dict[str, tuple[str, ...]]) -> str:
    """The confusion table's column for a chosen model: the model itself in a small catalog, else
    the most specific group holding it (the smallest)."""
    if model is None:
        return "held"
    if len({m for models in named.values() for m in models}) <= 6:
        return model
    holding = [name for name, models in named.items() if model in models]
    return min(holding, key=lambda name: len(named[name])) if holding else model


def report(outcomes: list[Outcome], show_misses: bool) -> int:
    named = groups()
    for catalog in dict.fromkeys(o.catalog for o in outcomes):
        mine = [o for o in outcomes if o.catalog == catalog]
        print(f"\n== catalog '{catalog}' ({CATALOGS[catalog].relative_to(ROOT)}): {len(mine)} cases")
        print(f"  {'category':<11} {'cases':>5} {'right':>6} {'accuracy':>9}")
        by_category: dict[str, list[Outcome]] = defaultdict(list)
        for o in mine:
            by_category[o.case.category].append(o)
        for category in CATEGORIES:
            rows = by_category.get(category, [])
            if rows:
                right = sum(o.passed for o in rows)
                print(f"  {category:<11} {len(rows):>5} {right:>6} {right / len(rows):>8.1%}")
        right = sum(o.passed for o in mine)
        print(f"  {'all':<11} {len(mine):>5} {right:>6} {right / len(mine):>8.1%}")
        _confusion(mine, named[catalog])
    print("\n== languages (both catalogs)")
    by_lang: dict[str, list[bool]] = defaultdict(list)
    for o in outcomes:
        by_lang[o.case.lang].append(o.passed)
    print("  " + "  ".join(f"{lang} {sum(v)}/{len(v)}" for lang, v in sorted(by_lang.items())))
    if show_misses:
        _misses(outcomes)
    results = figures(outcomes)
    private = [o for o in outcomes if o.case.category == "private"]
    print()
    if private:  # for information: local whatever kind was named (recall also needs the labelled kind)
        print(f"{'private kept local':<22} {_share(o.decision.private for o in private):8.1%}")
    failed = False
    for name, value in results.items():
        ok = value is not None and value >= TARGETS[name]
        failed |= not ok
        shown = "no cases" if value is None else f"{value:.1%}"
        print(f"{name:<22} {shown:>8}   target >= {TARGETS[name]:.0%}   {'PASS' if ok else 'MISS'}")
    return 1 if failed else 0


def _confusion(outcomes: list[Outcome], named: dict[str, tuple[str, ...]]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        table[o.case.category][group_of(o.decision.model, named)] += 1
    columns = sorted({c for counts in table.values() for c in counts})
    width = max(8, *(len(c) for c in columns))
    print("  confusion: category x the chosen model (its group in a large catalog)")
    print(f"  {'':<11}" + "".join(f"{c:>{width + 1}}" for c in columns))
    for category in CATEGORIES:
        if category in table:
            print(f"  {category:<11}" + "".join(f"{table[category].get(c, 0) or '.':>{width + 1}}" for c in columns))


def _misses(outcomes: list[Outcome]) -> None:
    print("\n== misses")
    for o in outcomes:
        if o.passed:
            continue
        d = o.decision
        s = d.signals
        prompt = o.case.prompt.replace("\n", "⏎")[:110]
        print(f"- [{o.catalog}] {o.case.source} {o.case.category}: {prompt!r}")
        print(f"    got {d.model} ({d.why}); private={d.private} {list(d.private_reasons)}")
        print(f"    signals: code={s.has_code} {list(s.code_languages)} complexity={s.complexity} math={s.math} "
              f"reasoning={list(s.reasoning)} lang={s.language} rules={list(d.rules)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="print every miss with its decision")
    parser.add_argument("--catalog", choices=tuple(CATALOGS), action="append", help="only this catalog")
    parser.add_argument("--set", type=Path, default=SET, help="the folder of case files (default: %(default)s)")
    args = parser.parse_args()
    cases = load_cases(args.set)
    print(f"routing quality: {len(cases)} labelled cases from {args.set}/")
    return report(evaluate(cases, args.catalog or tuple(CATALOGS)), args.misses)


if __name__ == "__main__":
    sys.exit(main())
