"""`mmchat bench report RUN [--against RUN] [--bar 0.9] [--format md|csv|json|html] [-o FILE]`."""

from __future__ import annotations

import argparse
import sys

from mmchat import export
from mmchat.bench import report as bench_report
from mmchat.bench.report_html import to_html
from mmchat.sanitize import printable, printable_json
from mmchat.paths import bench_database_path
from mmchat.store import Store



def _no_run(run_id: int) -> int:
    print(f"mmchat: no bench run {run_id} (mmchat bench list shows them)", file=sys.stderr)
    return 2


def _exists(store: Store, run_id: int) -> bool:
    try:
        store.bench_run(run_id)
    except LookupError:
        return False
    return True


def run(args: argparse.Namespace) -> int:
    path = bench_database_path()
    if not path.exists():  # reading a report creates no store
        return _no_run(args.run)
    from mmchat.keys import redact

    store = Store(path, redact=redact)
    try:
        for run_id in (args.run, args.against):
            if run_id is not None and not _exists(store, run_id):
                return _no_run(run_id)
        bench_run = store.bench_run(args.run)
        results = store.bench_results(args.run)
        changes = None
        if args.against is not None:
            changes = bench_report.compare_runs(store.bench_results(args.against), results)
    finally:
        store.close()
    report = bench_report.summarize(bench_run, results, bar=args.bar)
    renderers = {"md": bench_report.to_markdown, "json": bench_report.to_json, "html": to_html}
    text = bench_report.to_csv(report) if args.format == "csv" else renderers[args.format](report, changes)
    if args.output:
        export.write_private(args.output, text)
        print(f"wrote the report of bench run {args.run} to {args.output}")
    elif args.format == "json":  # JSON keeps its data: what printable() removes is escaped instead
        sys.stdout.write(printable_json(text))
    else:
        sys.stdout.write(printable(text))
    return 0
