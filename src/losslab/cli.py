"""The ``losslab`` command line.

Exit codes (DESIGN.md): 0 success, 2 bad input with a one-line message and no
traceback, 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from losslab.errors import BadInput

DESCRIPTION = """\
losslab answers: which loss function fits my data, and why?

  losslab run CONFIG      run a study: every loss x seed trained on the same data,
                          same networks, same budget; writes summary.json, figures
                          and report.html, and keeps every number in a SQLite store
  losslab list            the registered losses

Example:
  losslab run examples/seed-1d.toml --out runs/seed-1d
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise BadInput(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="losslab",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run a study from a TOML config",
        description="Train every (loss, seed) member of a study and report the comparison.\n\n"
        "Members that share shapes train together as one ensemble, so 48 small GANs\n"
        "cost about as much as a few. Each member's randomness comes from its own\n"
        "streams, so results do not depend on how members are grouped.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("config", help="study config (TOML); see examples/")
    run.add_argument("--out", help="output folder (default: runs/<study name>)")
    run.add_argument("--seeds", type=_positive_int, help="override study.seeds")
    run.add_argument("--steps", type=_positive_int, help="override train.steps (generator steps)")
    run.add_argument("--db", help="SQLite run store (default: <out>/../losslab.db)")
    run.add_argument(
        "--resume", action="store_true", help="keep ensembles already stored for this study"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    lst = sub.add_parser("list", help="list registered losses")
    lst.add_argument("--family", help="only this family (e.g. adversarial)")
    lst.add_argument("--names", action="store_true", help="names only, one a line")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from losslab.study.runner import run_study

    result = run_study(
        args.config,
        out=args.out,
        db=args.db,
        seeds=args.seeds,
        steps=args.steps,
        resume=args.resume,
        progress=not args.quiet,
    )
    summary = result.summary
    statuses = [m["status"] for m in summary["members"]]
    print(
        f"{summary['study']}: {len(statuses)} members "
        f"({statuses.count('ok')} ok, {statuses.count('diverged')} diverged, "
        f"{statuses.count('failed')} failed)"
    )
    best = [r for r in summary["ranking"] if r["rank"] == 1]
    for r in best:
        lo, hi = r["ci95"]
        ci = f" [{lo:.4g}, {hi:.4g}]" if lo is not None and hi is not None else ""
        print(f"  best {r['metric']}: {r['loss']} {r['mean']:.4g}{ci}")
    print(f"report: {result.out_dir / 'report.html'}  store: {result.db_path}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from losslab.losses import all_losses

    specs = all_losses(args.family)
    if args.family and not specs:
        raise BadInput(f"no losses in family {args.family!r}")
    for spec in specs:
        print(spec.name if args.names else f"{spec.name:20s} {spec.family:14s} {spec.card.why}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"run": _cmd_run, "list": _cmd_list}[args.command](args)
    except BadInput as exc:
        print(f"losslab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("losslab: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
