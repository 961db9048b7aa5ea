"""The ``losslab`` command line.

Exit codes (DESIGN.md): 0 success, 2 bad input with a one-line message and no
traceback, 1 internal error.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from losslab.errors import BadInput

DESCRIPTION = """\
losslab answers: which loss function fits my data, and why?

  losslab run CONFIG      run a study: every loss x seed trained on the same data,
                          same networks, same budget; writes summary.json, figures
                          and report.html, and keeps every number in a SQLite store
  losslab list            the registered losses: name, family, knobs, why
  losslab explain NAME    one loss in full: formula, derivation, what it optimises,
                          who uses it and why, pros, cons, knobs, references, example
  losslab docs            the catalogue as static HTML pages (math renders offline)
  losslab report RUN_DIR  regenerate report.html (or --format md), list a store's
                          studies (--db), export to --tensorboard DIR / --mlflow URI
  losslab compare A B     two studies' rankings side by side (--out x.md|x.html)
  losslab recommend DATA  which loss fits my data: profile it, race the candidate
                          losses within a time budget, recommend with the evidence

Examples:
  losslab run examples/seed-1d.toml --out runs/seed-1d
  losslab explain wgan-gp
  losslab docs --out docs/site
  losslab recommend data.csv --task classify --target label --budget 60
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


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _add_plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE",
        help="load a plug-in loss file (.py) or installed module first; repeatable "
        "(see `Add your own loss` in the README)",
    )


def _add_threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads", type=_positive_int, metavar="N",
        help="torch threads (default: chosen from the network sizes and the cores free; "
        "see losslab.threads)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="losslab",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true",
        help="let an internal error show its full traceback (also LOSSLAB_DEBUG=1; "
        "accepted anywhere on the line)",
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
    run.add_argument("--db", help="SQLite run store (default: <out>/../losslab.db: one "
                     "store shared by the runs beside --out, so report/compare find them)")
    run.add_argument(
        "--resume", action="store_true", help="keep ensembles already stored for this study"
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a finished study already stored for this --out (otherwise refused)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--executor",
        choices=("in-process", "pool", "ray"),
        default="in-process",
        help="where ensembles train: in this process (default), a local process pool, "
        "or Ray; the results are the same",
    )
    run.add_argument(
        "--workers", type=_positive_int, help="--executor pool: processes (default: one per core)"
    )
    run.add_argument(
        "--address", help="--executor ray: cluster address (default: $RAY_ADDRESS, else local)"
    )
    run.add_argument("--device", choices=("cpu", "cuda"), help="override train.device")
    _add_threads_option(run)
    _add_plugin_option(run)
    run.add_argument(
        "--tune",
        type=_non_negative_int,
        metavar="N",
        help="tune every loss with N trials (its knobs, lr, beta1, n_critic) before judging "
        "it; overrides [tune].trials, 0 = compare at the defaults only. Trial 1 is the "
        "defaults; the defaults and each best setting are retrained on fresh seeds",
    )
    run.add_argument(
        "--sampler",
        choices=("random", "qmc", "tpe"),
        help="how trials are proposed (Optuna): random (default; what tuning curves assume), "
        "qmc (scrambled Sobol) or tpe; overrides [tune].sampler",
    )

    lst = sub.add_parser(
        "list",
        help="list registered losses",
        description="The registered losses: name, family, knobs (defaults) and why to use it.",
        epilog="Examples:\n  losslab list\n  losslab list --family adversarial\n"
        "  losslab list --names          # one name a line, for scripts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lst.add_argument("--family", help="only this family (e.g. adversarial)")
    lst.add_argument("--names", action="store_true", help="names only, one a line")
    _add_plugin_option(lst)

    explain = sub.add_parser(
        "explain",
        help="explain one loss in full",
        description="One loss card: formula (LaTeX), what it optimises, the derivation step\n"
        "by step, who uses it and why, pros, cons, hyper-parameters, references and a\n"
        "runnable example.",
        epilog="Examples:\n  losslab explain minimax-bce\n"
        "  losslab explain wgan-gp --format md > wgan-gp.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("name", help="a registered loss (see `losslab list`)")
    explain.add_argument(
        "--format", choices=("text", "md"), default="text", help="text (default) or Markdown"
    )
    _add_plugin_option(explain)

    docs = sub.add_parser(
        "docs",
        help="build the catalogue as static HTML",
        description="Write the catalogue as static HTML generated from the loss cards:\n"
        "index.html, one page per family, and guide.html (data characteristics ->\n"
        "candidate losses, with the example studies' results from runs/<study>/ when\n"
        "they exist). Math is MathML: the pages open from disk, with no network.",
        epilog="Example:\n  losslab docs --out docs/site   # then open docs/site/index.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    docs.add_argument("--out", default="docs/site", help="output folder (default: docs/site)")
    _add_plugin_option(docs)
    _add_probe_and_reproduce(sub)
    _add_recommend(sub)
    from losslab.report.commands import add_report_commands  # report, compare

    add_report_commands(sub)
    return parser


def _add_probe_and_reproduce(sub: argparse._SubParsersAction) -> None:
    probe = sub.add_parser(
        "probe",
        help="diagnostic experiments on a study config (vanishing gradients)",
        description="losslab probe vanishing CONFIG: the optimal-discriminator probe of\n"
        "Arjovsky & Bottou (2017, Figs. 2-3). The generator after 0 and after N training\n"
        "steps is frozen; a fresh discriminator trains against it; the generator's gradient\n"
        "norm under the minimax cost log(1 - D(G(z))) and under -log D(G(z)) is logged\n"
        "against discriminator iterations, for several seeds, on a log scale.",
        epilog="Example:\n  losslab probe vanishing examples/seed-1d.toml --after 0,500 "
        "--d-iters 2000 --out runs/probe",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    probe.add_argument("experiment", choices=["vanishing"], help="which probe")
    probe.add_argument("config", help="study config (TOML); its data and networks are used")
    probe.add_argument("--after", default="0,1000",
                       help="generator ages in training steps, comma-separated (default 0,1000)")
    probe.add_argument("--d-iters", type=_positive_int, default=4000,
                       help="discriminator iterations against the frozen generator (default 4000)")
    probe.add_argument("--loss", help="loss that trains the generator (default: the first)")
    probe.add_argument("--seeds", type=_positive_int, help="override study.seeds")
    probe.add_argument("--out", default="runs/probe-vanishing", help="output folder")
    probe.add_argument("--quiet", action="store_true", help="no progress bar")
    probe.set_defaults(func=_cmd_probe)

    rep = sub.add_parser(
        "reproduce",
        help="rerun a published experiment and print ours beside the paper's",
        description="Rerun a published experiment with its protocol and print our numbers\n"
        "beside the published ones (mean +- standard error over seeds; a figure's shape as\n"
        "text beside ours), with the budget used, and where the converged result is\n"
        "recorded (docs/reproductions.md#NAME). Available (--list: one line each):\n"
        "  pacgan-ring, pacgan-grid    PacGAN (Lin et al. 2018) Table 1, plain GAN row:\n"
        "                              modes, high-quality samples, reverse KL\n"
        "  arjovsky-bottou-vanishing   Arjovsky & Bottou 2017, Figs. 2-3: generator gradient\n"
        "                              norm of the minimax and -log D costs against\n"
        "                              discriminator iterations, for three generator ages\n"
        "                              (MLPs on the 8x8 digits substitute for DCGAN/LSUN)",
        epilog="Examples:\n  losslab reproduce --list\n"
        "  losslab reproduce pacgan-ring --out runs/pacgan-ring\n"
        "  losslab reproduce pacgan-ring --out runs/pacgan-ring --so-far   # a long run, so far\n"
        "  losslab reproduce arjovsky-bottou-vanishing --out runs/ab",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("name", nargs="?",
                     help="pacgan-ring, pacgan-grid or arjovsky-bottou-vanishing")
    rep.add_argument("--list", action="store_true",
                     help="list the reproductions: what, default budget, where recorded")
    rep.add_argument("--steps", type=_positive_int,
                     help="pacgan-*: generator steps (the paper: 400,000; default 1000, cut "
                     "for time); arjovsky-bottou-vanishing: the oldest generator age (default "
                     "2500; the ages are steps/25, 10 steps/25 and steps, the paper's 1, 10, 25 "
                     "epochs)")
    rep.add_argument("--d-iters", type=_positive_int,
                     help="arjovsky-bottou-vanishing: discriminator iterations against each "
                     "frozen generator (default and the paper: 4000)")
    rep.add_argument("--eval-every", type=_positive_int,
                     help="pacgan-*: measure the metrics every N steps (default: steps/20), "
                     "which draws the metrics-against-steps curve used to judge the plateau")
    rep.add_argument("--seeds", type=_positive_int,
                     help="override the seeds (pacgan-*: the paper's 10; "
                     "arjovsky-bottou-vanishing: 3)")
    rep.add_argument("--out", help="output folder (default: runs/<name>)")
    rep.add_argument("--db", help="pacgan-*: SQLite run store (default: <out>/../losslab.db: "
                     "one store shared by the runs beside --out)")
    rep.add_argument("--overwrite", action="store_true",
                     help="pacgan-*: replace an earlier finished reproduction in --out")
    rep.add_argument("--resume", action="store_true", default=None,
                     help="pacgan-*: continue a killed run in --out from its checkpoints "
                     "(a run is checkpointed as it trains)")
    rep.add_argument("--so-far", action="store_true", default=None,
                     help="pacgan-*: train nothing; print what an unfinished (running or "
                     "killed) run in --out has measured so far: the metrics at each "
                     "checkpoint, the plateau verdicts, figures/plateau-so-far.png")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.set_defaults(func=_cmd_reproduce)


def _add_recommend(sub: argparse._SubParsersAction) -> None:
    rec = sub.add_parser(
        "recommend",
        help="which loss fits my data: profile it, race the candidates, recommend",
        description="Profile DATA (scale, skewness, kurtosis, modes by a BIC-chosen Gaussian\n"
        "mixture, bounded/discrete columns; class balance and overlap, outliers and\n"
        "heteroscedasticity for supervised tasks), choose candidate losses by documented\n"
        "rules over that profile, race them by successive halving over candidates x seeds\n"
        "on held-out rows within --budget seconds, and recommend one only where paired\n"
        "tests separate it (otherwise it says the tie). Writes profile.json, summary.json,\n"
        "table.csv and report.html to --out.\n\n"
        "DATA: CSV/TSV (a header line, or none if the first line is all numbers),\n"
        "NPY/NPZ or Parquet.",
        epilog="Examples:\n"
        "  losslab recommend ring.csv --task generate --budget 120\n"
        "  losslab recommend wine.csv --task classify --target target --out runs/wine\n"
        "  losslab recommend houses.parquet --task regress --target price \\\n"
        "      --columns rooms,area,age --drop-invalid --budget 60",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rec.add_argument("data", help="the data file (.csv .tsv .txt .npy .npz .parquet .pq)")
    rec.add_argument("--task", required=True, choices=("generate", "classify", "regress"),
                     help="generate: model the rows' distribution; classify / regress: "
                     "predict --target from the other columns")
    rec.add_argument("--target", help="the column to predict (classify, regress)")
    rec.add_argument("--columns", help="comma-separated feature columns to use (default: all "
                     "but the target)")
    rec.add_argument("--budget", type=float, default=None,
                     help="seconds for the whole command, start-up and imports included "
                     "(default 120; generate needs minutes for a deep race)")
    rec.add_argument("--out", help="output folder (default: runs/recommend-<file name>)")
    rec.add_argument("--seed", type=int, default=0, help="study seed (default 0)")
    rec.add_argument("--drop-invalid", action="store_true",
                     help="drop rows with NaN, infinite or missing values instead of failing")
    rec.add_argument("--drop-constant", action="store_true",
                     help="drop constant columns instead of failing")
    rec.add_argument("--schedule",
                     help="replay a race exactly: steps x seeds per round, e.g. 100x2,800x3 "
                     "(printed at the end of every run); the budget is then not planned")
    rec.add_argument("--tune", type=_positive_int, default=3, metavar="N",
                     help="settings per candidate tried in the first round: its defaults "
                     "and N-1 draws of its learning rate (x0.1..x10) and main knob; each "
                     "candidate goes on with its best (default 3; 1 = defaults only)")
    rec.add_argument("--losses", metavar="A,B,...",
                     help="race these losses instead of the rules' choice (at least 2; "
                     "`losslab list` shows the names)")
    rec.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_threads_option(rec)
    rec.set_defaults(func=_cmd_recommend)


def _cmd_recommend(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from losslab.study.recommend import DEFAULT_BUDGET, recommend
    from losslab.threads import process_age  # read at the call: tests may replace it

    started = time.perf_counter() - process_age()  # the budget covers start-up too

    columns = None
    if args.columns is not None:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        if not columns:
            raise BadInput(f"--columns {args.columns!r}: expected comma-separated column names")
    schedule = None
    if args.schedule:
        try:
            schedule = [tuple(int(v) for v in part.lower().split("x"))
                        for part in args.schedule.split(",")]
        except ValueError:
            raise BadInput(f"--schedule {args.schedule!r}: expected STEPSxSEEDS,...") from None
        if any(len(p) != 2 or min(p) < 1 for p in schedule):
            raise BadInput(f"--schedule {args.schedule!r}: expected positive STEPSxSEEDS,...")
    out = args.out or f"runs/recommend-{Path(args.data).stem}"
    budget = DEFAULT_BUDGET if args.budget is None else args.budget

    def show(profile) -> None:
        print("\n".join(profile.lines()), flush=True)

    result = recommend(
        args.data, args.task, target=args.target, columns=columns, budget=budget, out=out,
        seed=args.seed, drop_invalid=args.drop_invalid, drop_constant=args.drop_constant,
        schedule=schedule, tune=args.tune, progress=not args.quiet, on_profile=show,
        threads=args.threads, started=started,
        losses=None if args.losses is None else args.losses.split(","),
    )
    print()
    print(result.text())
    print(f"report: {Path(out) / 'report.html'}  numbers: {Path(out) / 'summary.json'}  "
          f"replay: --tune {args.tune} --schedule "
          + ",".join(f"{t}x{s}" for t, s in result.race.schedule))
    return 0


def _cmd_probe(args: argparse.Namespace) -> int:
    from losslab.study.probe import run_probe

    try:
        after = [int(a) for a in args.after.split(",")]
    except ValueError:
        raise BadInput(f"--after {args.after!r}: expected comma-separated step counts") from None
    if any(a < 0 for a in after):
        raise BadInput(f"--after {args.after!r}: step counts must be >= 0")
    summary = run_probe(args.config, args.out, after, args.d_iters, args.loss, args.seeds,
                        progress=not args.quiet)
    for r in summary["results"]:
        orders = [o for o in r["orders_fallen"] if o is not None]
        print(f"generator after {r['generator_steps']:>6} steps, {r['cost']:18s}: norm fell "
              f"{min(orders):.1f} to {max(orders):.1f} orders of magnitude from its peak over "
              f"{summary['d_iters']} discriminator iterations")
    print(f"figure: {args.out}/figures/probe_vanishing.png  numbers: {args.out}/summary.json")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from losslab.study.reproduce import REPRODUCTIONS, format_list, run_reproduction

    if args.list:
        print(format_list())
        return 0
    if args.name is None:
        raise BadInput(f"losslab reproduce: give a reproduction NAME or --list "
                       f"(known: {', '.join(REPRODUCTIONS)})")
    out = args.out or f"runs/{args.name}"
    print(run_reproduction(args.name, out, args.steps, args.seeds, args.db,
                           progress=not args.quiet, overwrite=args.overwrite,
                           eval_every=args.eval_every, d_iters=args.d_iters,
                           resume=args.resume, so_far=args.so_far))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    _check_raw_counts(args)
    from losslab.study.config import load_study_config

    # validated before the runner's imports (plotting, POT, Optuna): bad input is
    # refused in about the time torch takes to import
    config = load_study_config(
        args.config, args.seeds, args.steps, args.device, args.tune, args.sampler
    )
    from losslab.study.runner import run_study

    result = run_study(
        args.config,
        config=config,
        out=args.out,
        db=args.db,
        seeds=args.seeds,
        steps=args.steps,
        resume=args.resume,
        progress=not args.quiet,
        executor=args.executor,
        workers=args.workers,
        address=args.address,
        device=args.device,
        overwrite=args.overwrite,
        tune=args.tune,
        sampler=args.sampler,
        threads=args.threads,
    )
    summary = result.summary
    statuses = [m["status"] for m in summary["members"]]
    print(
        f"{summary['study']}: {len(statuses)} members "
        f"({statuses.count('ok')} ok, {statuses.count('not-converged')} not converged, "
        f"{statuses.count('diverged')} diverged, {statuses.count('failed')} failed)"
    )
    best = [r for r in summary["ranking"] if r["rank"] == 1]
    tuned = "tuning_info" in summary
    for r in best:
        lo, hi = r["ci95"]
        ci = f" [{lo:.4g}, {hi:.4g}]" if lo is not None and hi is not None else ""
        stage = f" ({r['stage']})" if tuned else ""
        print(f"  best {r['metric']}{stage}: {r['loss']} {r['mean']:.4g}{ci}")
    if tuned:
        print(summary["tuning_info"]["sentence"])
    print(f"report: {result.out_dir / 'report.html'}  store: {result.db_path}")
    return 0


def _check_raw_counts(args: argparse.Namespace) -> None:
    """A study too large to plan is refused before torch is imported (seconds on a cold
    start); the config file's other problems are reported by full validation."""
    import tomllib
    from pathlib import Path

    from losslab.study.bounds import check_raw_counts

    try:
        raw = tomllib.loads(Path(args.config).read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    for section, key, value in (("study", "seeds", args.seeds), ("tune", "trials", args.tune)):
        table = raw.setdefault(section, {})
        if value is not None and isinstance(table, dict):
            table[key] = value
    if all(isinstance(raw.get(k), dict) for k in ("study", "tune")):
        check_raw_counts(raw, args.config)


def _cmd_list(args: argparse.Namespace) -> int:
    import shutil

    from losslab.catalogue import list_table
    from losslab.losses import all_losses

    specs = all_losses(args.family)
    if args.family is not None and not specs:
        known = ", ".join(dict.fromkeys(s.family for s in all_losses()))
        raise BadInput(f"no loss family {args.family!r} (known: {known})")
    if args.names:
        print("\n".join(spec.name for spec in specs))
    else:
        print(list_table(specs, width=shutil.get_terminal_size((110, 24)).columns), end="")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from losslab.catalogue import render_markdown, render_text
    from losslab.losses import get_loss
    from losslab.plugins import plugin_source

    spec = get_loss(args.name)  # a misspelt name: BadInput with the closest matches
    print(render_markdown(spec) if args.format == "md" else render_text(spec), end="")
    source = plugin_source(spec.name)
    if source is not None:
        print(f"\n(plug-in loss, registered by {source})")
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from losslab.catalogue import build_docs
    from losslab.outputs import check_out_dir

    pages = build_docs(check_out_dir(Path(args.out)))
    print(pages[0])
    return 0


def _one_line(text: object, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# OSErrors that mean "this path cannot be used" (the user's to fix: exit 2)
_PATH_ERRORS = {
    errno.EACCES, errno.EPERM, errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EROFS,
    errno.EEXIST, errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTEMPTY,
}
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _describe(exc: Exception) -> tuple[int, str]:
    """The exit code and the one line for an error that escaped a command."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno in _FULL:
        where = f" writing {exc.filename}" if exc.filename else ""
        return 1, f"losslab: error: the disk is full{where} ({_one_line(exc.strerror or exc)})"
    if isinstance(exc, OSError) and exc.filename is not None:
        code = 2 if exc.errno in _PATH_ERRORS else 1
        what = _one_line(exc.strerror or exc)
        return code, f"losslab: error: {exc.filename}: {what}"
    if isinstance(exc, sqlite3.DatabaseError):
        text = _one_line(exc)
        if "full" in text:
            return 1, f"losslab: error: the run store's disk is full ({text})"
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            return 1, f"losslab: error: the run store is busy ({text}); try again"
        return 2, f"losslab: error: the run store is damaged or not a losslab store ({text})"
    return 1, (
        f"losslab: internal error: {type(exc).__name__}: {_one_line(exc)} "
        "(run with --debug for the traceback)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit codes (DESIGN.md): 0 success; 2 bad input, one line naming
    it; 1 an internal error, one line with a hint; 130 interrupted. ``--debug`` (anywhere
    on the line, or ``LOSSLAB_DEBUG=1``) lets an internal error raise with its traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("LOSSLAB_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        commands = {"run": _cmd_run, "list": _cmd_list, "explain": _cmd_explain, "docs": _cmd_docs}
        func = getattr(args, "func", None) or commands[args.command]
        if getattr(args, "plugin", None):
            from losslab.plugins import load_plugins

            load_plugins(args.plugin)
        return func(args)
    except BadInput as exc:
        print(f"losslab: error: {_one_line(exc, 2000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = "; rerun with --resume to continue" if command == "run" else ""
        print(f"losslab: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        code, line = _describe(exc)
        print(line, file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
