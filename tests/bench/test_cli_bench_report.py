"""`mmchat bench report`: a run written into a real bench store file, reported by the real command."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mmchat.store import Store
from tests.bench.report_helpers import small_results
from tests.bench.test_report_html import parse
from tests.cli_helpers import mmchat


def write_run(store: Store, *, flip: bool = False) -> int:
    """The small hand-checked run (tests/bench/report_helpers.py); `flip`: lab/cheap's c4 passes."""
    run_id = store.create_bench_run(suite_name="small", suite_path="small.yaml", suite_sha256="0" * 64,
                                    models=["lab/cheap", "lab/dear"], repeat=2, estimated_cost_usd=0.1,
                                    max_cost_usd=None, params={})
    for r in small_results():
        passed = True if flip and r.model == "lab/cheap" and r.case_id == "c4" else r.passed
        store.add_bench_result(
            run_id, case_id=r.case_id, category=r.category, model=r.model, attempt=r.attempt, status=r.status,
            passed=passed, checks=(), answer_id=None, text="", error=r.error, ttft_ms=r.ttft_ms,
            latency_ms=r.latency_ms, input_tokens=r.input_tokens, output_tokens=r.output_tokens, cost_usd=r.cost_usd,
        )
    store.set_bench_run_status(run_id, "done")
    return run_id


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home whose bench store holds run 1 (the small run) and run 2 (the same, lab/cheap passing c4)."""
    store = Store(tmp_path / "data" / "bench.db")
    try:
        assert write_run(store) == 1
        assert write_run(store, flip=True) == 2
    finally:
        store.close()
    return tmp_path


def test_markdown_to_stdout(home: Path):
    done = mmchat(home, "bench", "report", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Bench run 1\n")
    assert "lab/dear: 9/10 passed (90 %, 60–98 %), $0.0090 per answer — the cheapest at 0.9" in done.stdout
    assert "| lab/cheap | 70 % (7/10) |" in done.stdout


def test_json_against_another_run(home: Path):
    done = mmchat(home, "bench", "report", "2", "--against", "1", "--bar", "0.8", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["format"] == "mmchat.bench-report/1" and data["bar"] == 0.8 and data["run"]["id"] == 2
    assert data["models"][0]["passes"] == 9  # lab/cheap: 7 + c4's two attempts
    assert data["changes"] == [
        {"case": "c4", "category": None, "model": "lab/cheap", "before": [0, 2], "after": [2, 2], "fixed": True}
    ]


def test_html_to_a_private_file(home: Path):
    out = home / "report.html"
    done = mmchat(home, "bench", "report", "1", "--format", "html", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    html = out.read_text()
    parse(html)  # every element closed, in order
    assert "<svg" in html and "lab/dear" in html and "http" not in html


def test_csv_to_stdout(home: Path):
    done = mmchat(home, "bench", "report", "1", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("category,model,cases,answers,passes,pass_rate")
    assert len(done.stdout.splitlines()) == 7  # the header; all, code, uncategorised × 2 models


@pytest.mark.parametrize("args", [("9",), ("1", "--against", "9")])
def test_an_unknown_run(home: Path, args):
    done = mmchat(home, "bench", "report", *args)
    assert done.returncode == 2
    assert done.stderr == "mmchat: no bench run 9 (mmchat bench list shows them)\n"
    assert done.stdout == ""


def test_no_bench_store_yet(tmp_path: Path):
    done = mmchat(tmp_path, "bench", "report", "1")
    assert done.returncode == 2
    assert done.stderr == "mmchat: no bench run 1 (mmchat bench list shows them)\n"
    assert not (tmp_path / "data" / "bench.db").exists()


def test_model_text_is_made_printable(tmp_path: Path):
    store = Store(tmp_path / "data" / "bench.db")
    try:
        run_id = store.create_bench_run(suite_name="esc", suite_path=None, suite_sha256="", models=["m\x1b[2J"],
                                        repeat=1, estimated_cost_usd=None, max_cost_usd=None, params={})
        store.add_bench_result(run_id, case_id="c", category=None, model="m\x1b[2J", attempt=0,
                               status="complete", passed=True, checks=(), answer_id=None, text="", error=None,
                               ttft_ms=1.0, latency_ms=2.0, input_tokens=1, output_tokens=1, cost_usd=0.0)
    finally:
        store.close()
    md = mmchat(tmp_path, "bench", "report", str(run_id))
    assert md.returncode == 0, md.stderr
    assert "\x1b" not in md.stdout and "m[2J" in md.stdout
    js = mmchat(tmp_path, "bench", "report", str(run_id), "--format", "json")
    assert "\x1b" not in js.stdout and json.loads(js.stdout)["models"][0]["model"] == "m\x1b[2J"
