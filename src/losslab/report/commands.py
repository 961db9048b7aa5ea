"""The ``losslab report`` and ``losslab compare`` subcommands (registered by ``losslab.cli``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from losslab.errors import BadInput
from losslab.report.rundir import (
    FORMATS,
    TABLE_FORMATS,
    figure_files,
    load_summary,
    regenerate,
)

REPORT_HELP = """\
Regenerate a study's report from RUN_DIR/summary.json and RUN_DIR/figures (no run
store needed), list the studies in a store, or replay a finished study into
TensorBoard / MLflow (read from the store: --db, default RUN_DIR/../losslab.db).

  losslab report runs/seed-1d                      report.html again
  losslab report runs/seed-1d --format md          report.md, figures by relative path
  losslab report runs/seed-1d --format csv         members.csv and ranking.csv
  losslab report --db runs/losslab.db              the studies in a store
  losslab report runs/seed-1d --tensorboard tb/    one TensorBoard run per member
  losslab report runs/seed-1d --mlflow sqlite:///runs/mlflow.db
"""

COMPARE_HELP = """\
Two studies' ranking tables side by side on the metrics they share. A study is a
run directory holding summary.json, or a study name or id in the run store
(--db, default runs/losslab.db).

  losslab compare runs/seed-1d runs/seed-1d-wide --metric w1 --out compare.md
"""


def add_report_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``compare`` to the ``losslab`` subparsers."""
    raw = argparse.RawDescriptionHelpFormatter
    rep = sub.add_parser(
        "report",
        help="regenerate, list or export reports",
        description=REPORT_HELP,
        formatter_class=raw,
    )
    rep.add_argument("run_dir", nargs="?", help="a study's output folder (its --out)")
    rep.add_argument(
        "--format", choices=FORMATS + TABLE_FORMATS,
        help="html (default), md (GitHub Markdown), or csv / parquet: members.<fmt> (one row "
        "per member: loss, label, dataset, seed, status, every final metric, cost) and "
        "ranking.<fmt> (mean, 95%% CI and p per metric and loss)",
    )
    rep.add_argument("--db", help="SQLite run store (default: RUN_DIR/../losslab.db)")
    rep.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files here")
    rep.add_argument("--mlflow", metavar="URI", help="log to this MLflow tracking URI")
    rep.set_defaults(func=cmd_report)
    cmp = sub.add_parser(
        "compare", help="two studies side by side", description=COMPARE_HELP, formatter_class=raw
    )
    cmp.add_argument("study_a", help="run directory, or study name / id in the store")
    cmp.add_argument("study_b", help="run directory, or study name / id in the store")
    cmp.add_argument("--db", help="SQLite run store for names and ids (default: runs/losslab.db)")
    cmp.add_argument("--metric", help="only this metric (default: every shared metric)")
    cmp.add_argument("--out", metavar="FILE", help="also write FILE.md or FILE.html")
    cmp.set_defaults(func=cmd_compare)


def _list_studies(db: Path) -> int:
    from losslab.study.store import RunStore

    store = RunStore(db, readonly=True)  # refuses anything that is not a losslab store
    try:
        studies = store.studies()
    finally:
        store.close()
    rows = [
        [
            str(s["id"]),
            s["name"],
            s["out_dir"],
            str(s["members"]),
            "no"
            if s["finished"] is None
            else time.strftime("%Y-%m-%d %H:%M", time.localtime(s["finished"])),
        ]
        for s in studies
    ]
    head = ["id", "name", "out_dir", "members", "finished"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if not rows:
        print(f"(no study in {db})")
    return 0


def _export(args: argparse.Namespace) -> None:
    from losslab.report.exports import export_mlflow, export_tensorboard, open_finished_study

    run_dir = Path(args.run_dir)
    store, study_id = open_finished_study(run_dir, args.db)
    try:
        if args.tensorboard:
            runs = export_tensorboard(store, study_id, args.tensorboard)
            print(f"tensorboard: {len(runs)} runs in {args.tensorboard}")
        if args.mlflow:
            try:
                figures = figure_files(run_dir, load_summary(run_dir))
            except BadInput:  # exports read the store; figures are a bonus
                figures = sorted((run_dir / "figures").glob("*.png"))
            ids = export_mlflow(store, study_id, args.mlflow, figures)
            print(f"mlflow: {len(ids)} runs logged to {args.mlflow}")
    finally:
        store.close()


def cmd_report(args: argparse.Namespace) -> int:
    if args.run_dir is None:
        if args.db is None:
            raise BadInput("report: give RUN_DIR, or --db PATH to list the studies in a store")
        if args.tensorboard or args.mlflow or args.format:
            raise BadInput("report: --format, --tensorboard and --mlflow need RUN_DIR")
        return _list_studies(Path(args.db))
    exporting = bool(args.tensorboard or args.mlflow)
    if args.format in TABLE_FORMATS:
        from losslab.report.tables import write_tables

        for path in write_tables(args.run_dir, args.format):
            print(f"table: {path}")
    elif args.format or not exporting:
        print(f"report: {regenerate(args.run_dir, args.format or 'html')}")
    if exporting:
        _export(args)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from losslab.report.compare import compare

    print(compare(args.study_a, args.study_b, db=args.db, metric=args.metric, out=args.out), end="")
    if args.out:
        print(f"written: {args.out}")
    return 0


REPORT_COMMANDS = {"report": cmd_report, "compare": cmd_compare}
