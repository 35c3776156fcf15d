"""mmchat's secret scan against detect-secrets, on the labelled cases of benchmarks/routing_set/secrets.yaml.

Needs detect-secrets, which is not a dependency of mmchat: install it in the venv for this
comparison only,

    .venv/bin/pip install detect-secrets
    .venv/bin/python -m benchmarks.secrets_compare           # ~30 s
    .venv/bin/python -m benchmarks.secrets_compare --quick

detect-secrets runs through its Python API as its own `scan --string` does: every plugin with
the default filters (detect_secrets.settings.default_settings), each line of a prompt given to
detect_secrets.core.scan.scan_line, and a result counted when its plugin calls it a secret
(format_scan_result says True: for the entropy plugins, over their entropy limit). mmchat runs
mmchat.routing.secrets.scan on the whole prompt. Printed for each:
- recall on the credential cases (any finding, and for mmchat the labelled kind found);
- recall on the personal-data cases (cards, IBANs, SSNs, emails ...);
- look-alikes with a false alarm (questions about key formats, placeholders, hashes, ids ...);
- median µs per 2,000-token prompt: the routing benchmark's prompt (prose and code, no secret)
  and the labelled cases joined into prompts of ~2,000 tokens.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import yaml

try:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings
except ImportError:
    sys.exit("benchmarks.secrets_compare needs detect-secrets: .venv/bin/pip install detect-secrets")

from benchmarks.routing import prompt_of
from mmchat.routing.code import find_code
from mmchat.routing.secrets import PERSONAL_KINDS, scan
from mmchat.tokens import count_text

CASES = Path(__file__).resolve().parent / "routing_set" / "secrets.yaml"

Detector = Callable[[str], set[str]]  # a prompt -> the kinds (or detect-secrets types) found


def mmchat_kinds(prompt: str) -> set[str]:
    return {f.kind for f in scan(prompt, prose=find_code(prompt).prose)}


def detect_secrets_types(prompt: str) -> set[str]:
    """The types detect-secrets reports as secrets, line by line (inside default_settings())."""
    plugins = get_mapping_from_secret_type_to_class()
    found = set()
    for line in prompt.split("\n"):
        for secret in scan_line(line):
            if plugins[secret.type]().format_scan_result(secret).startswith("True"):
                found.add(secret.type)
    return found


def load() -> list[dict]:
    return yaml.safe_load(CASES.read_text())["cases"]


def joined(cases: list[dict], tokens: int = 2000) -> Iterator[str]:
    """The cases' prompts joined into prompts of about `tokens` tokens each."""
    parts: list[str] = []
    for case in cases:
        parts.append(case["prompt"])
        if count_text("\n\n".join(parts)).tokens >= tokens:
            yield "\n\n".join(parts)
            parts = []


def median_us(detect: Detector, prompts: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        for prompt in prompts:
            start = time.perf_counter_ns()
            detect(prompt)
            times.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(times)


def share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} ({sum(flags) / len(flags):.1%})"


def report(name: str, detect: Detector, cases: list[dict], strict: bool, prompts: dict[str, list[str]],
           runs: int) -> None:
    secrets = [c for c in cases if c["category"] == "private" and c["secret"] not in PERSONAL_KINDS]
    personal = [c for c in cases if c["category"] == "private" and c["secret"] in PERSONAL_KINDS]
    lookalikes = [c for c in cases if c["category"] == "lookalike"]
    found = {id(c): detect(c["prompt"]) for c in cases}
    print(f"\n{name}")
    print(f"  credential cases found        {share([bool(found[id(c)]) for c in secrets])}")
    if strict:
        print(f"    with the labelled kind      {share([c['secret'] in found[id(c)] for c in secrets])}")
    print(f"  personal-data cases found     {share([bool(found[id(c)]) for c in personal])}")
    print(f"  look-alikes with a false alarm {share([bool(found[id(c)]) for c in lookalikes])}")
    for label, batch in prompts.items():
        print(f"  median µs per prompt, {label:<34} {median_us(detect, batch, runs):10.1f}")
    missed = [c["prompt"][:70].replace("\n", " ") for c in secrets + personal if not found[id(c)]]
    alarms = [f"{sorted(found[id(c)])} {c['prompt'][:60]!r}" for c in lookalikes if found[id(c)]]
    for line in missed[:8]:
        print(f"    missed: {line}")
    for line in alarms[:8]:
        print(f"    false alarm: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer timing runs")
    args = parser.parse_args()
    cases = load()
    prompts = {
        "benchmark prompt (2,116 tokens)": [prompt_of(2000)],
        "labelled cases (~2,000 tokens)": list(joined(cases)),
    }
    print(f"{len(cases)} labelled cases ({CASES.relative_to(CASES.parents[2])}); timing: "
          f"{len(prompts['labelled cases (~2,000 tokens)'])} joined prompts of the cases and the routing benchmark's")
    settings: AbstractContextManager[object] = default_settings()
    with settings:
        report("detect-secrets (every plugin, default filters)", detect_secrets_types, cases, False, prompts,
               3 if args.quick else 10)
    report("mmchat.routing.secrets.scan", mmchat_kinds, cases, True, prompts, 30 if args.quick else 200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
