"""`mmchat bench report RUN [--against RUN] [--bar 0.9] [--format md|csv|json|html] [-o FILE]`."""

from __future__ import annotations

import argparse
import sys

from mmchat import export
from mmchat.bench import report as bench_report
from mmchat.bench.report_html import to_html
from mmchat.commands.setup import read_bench_run
from mmchat.sanitize import printable, printable_json


def _no_run(run_id: int) -> int:
    print(f"mmchat: no bench run {run_id} (mmchat bench list shows them)", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    read = read_bench_run(args.run)
    if read is None:
        return _no_run(args.run)
    bench_run, results = read
    changes = None
    if args.against is not None:
        against = read_bench_run(args.against)
        if against is None:
            return _no_run(args.against)
        changes = bench_report.compare_runs(against[1], results)
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
