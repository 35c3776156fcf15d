"""How long discovering local model servers takes, and what it adds to `mmchat models`.

    .venv/bin/python -m benchmarks.discovery            # 15 probes of each case, 7 runs of each command
    .venv/bin/python -m benchmarks.discovery --quick    # 5 and 3

The probe (mmchat.providers.discovery.discover, its default timeout) on loopback ports:

  refused   4 ports with nothing listening
  servers   servers answering like Ollama (6 models, one /api/show each), LM Studio,
            llama.cpp's server and vLLM (tests/servers/local.py, in threads of this process)
  silent    the same 4 and a port that accepts and never answers: the probe's bound

`mmchat models` (the real command, a subprocess, with a private home) with
discovery probing 4 refused ports and with --no-discovery, runs interleaved:
the difference is what discovery adds to the listing when nothing answers.

Targets: refused under 20 ms; servers under 150 ms; silent under the timeout + 50 ms;
`mmchat models` slower by under 50 ms. Exit status 1 on any MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks.server_process import ROOT
from mmchat.providers.discovery import DEFAULT_TIMEOUT, discover
from tests.servers.local import (
    LlamaCppServer,
    LMStudioServer,
    LocalModel,
    OllamaLocalServer,
    OllamaModel,
    VLLMServer,
)
from tests.servers.sockets import closed_port, silent_port

TARGET_REFUSED_S = 0.020
TARGET_SERVERS_S = 0.150
TARGET_SILENT_S = DEFAULT_TIMEOUT + 0.050
TARGET_ADDED_S = 0.050

OLLAMA = [
    OllamaModel("llama3.2:latest", num_ctx=8192),
    OllamaModel("qwen3:0.6b", loaded=16384),
    OllamaModel("mistral:7b"),
    OllamaModel("gemma3:4b"),
    OllamaModel("deepseek-r1:8b"),
    OllamaModel("nomic-embed-text:latest", family="nomic-bert", capabilities=("embedding",)),
]
LMSTUDIO = [LocalModel("qwen/qwen3-4b", loaded=4096), LocalModel("text-embedding-nomic-embed-text-v1.5", type="embedding")]


def probe_times(ports: list[int], runs: int) -> tuple[list[float], int]:
    """Seconds per discover() call over `ports`, and how many servers the last one found."""

    async def timed() -> tuple[float, int]:
        started = time.perf_counter()
        found = await discover(ports)
        return time.perf_counter() - started, len(found)

    times, found = [], 0
    for _ in range(runs):
        elapsed, found = asyncio.run(timed())
        times.append(elapsed)
    return times, found


def command_times(runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of `mmchat models` with discovery (4 refused ports) and with --no-discovery, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        config = home / "config.yaml"
        ports = ", ".join(str(closed_port()) for _ in range(4))
        config.write_text(
            "providers:\n  bench:\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n"
            f"models:\n  bench/model: {{context: 8192}}\ndiscovery:\n  ports: [{ports}]\n"
        )
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": str(home), "MMCHAT_CONFIG": str(config),
            "MMCHAT_DATA_DIR": str(home / "data"), "MMCHAT_CACHE_DIR": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "xdg"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        on, off = [], []
        for _ in range(runs):
            for extra, times in (((), on), (("--no-discovery",), off)):
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "mmchat", "models", *extra], cwd=ROOT, env=env, capture_output=True,
                    text=True, timeout=60,
                )
                times.append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise RuntimeError(f"mmchat models failed: {done.stderr.strip()}")
        return on, off


def verdict(value: float, target: float) -> str:
    return "ok" if value < target else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    probes, commands = (5, 3) if args.quick else (15, 7)
    misses = 0

    def report(name: str, times: list[float], target: float, note: str) -> None:
        nonlocal misses
        median, worst = statistics.median(times), max(times)
        misses += verdict(worst, target) != "ok"
        print(f"{name:<8} median {median * 1000:6.1f} ms  max {worst * 1000:6.1f} ms  "
              f"target < {target * 1000:.0f} ms  {verdict(worst, target):<4}  {note}")

    print(f"discover(), timeout {DEFAULT_TIMEOUT:g} s, {probes} probes each")
    times, found = probe_times([closed_port() for _ in range(4)], probes)
    report("refused", times, TARGET_REFUSED_S, f"{found} found")
    with ExitStack() as stack:
        servers = [
            stack.enter_context(OllamaLocalServer(OLLAMA)),
            stack.enter_context(LMStudioServer(LMSTUDIO)),
            stack.enter_context(LlamaCppServer()),
            stack.enter_context(VLLMServer()),
        ]
        ports = [s.port for s in servers]
        times, found = probe_times(ports, probes)
        report("servers", times, TARGET_SERVERS_S, f"{found} found")
        silent = stack.enter_context(silent_port())
        times, found = probe_times([*ports, silent], probes)
        report("silent", times, TARGET_SILENT_S, f"{found} found, the silent one given up")

    print(f"\nmmchat models, {commands} runs each, interleaved")
    on, off = command_times(commands)
    added = statistics.median(on) - statistics.median(off)
    print(f"discovery on   median {statistics.median(on) * 1000:6.1f} ms")
    print(f"--no-discovery median {statistics.median(off) * 1000:6.1f} ms")
    print(f"added          {added * 1000:6.1f} ms  target < {TARGET_ADDED_S * 1000:.0f} ms  "
          f"{verdict(added, TARGET_ADDED_S)}")
    misses += verdict(added, TARGET_ADDED_S) != "ok"
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
