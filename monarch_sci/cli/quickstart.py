"""`monarch-sci quickstart`: the main job on an embedded default, in minutes on a laptop CPU.

    monarch-sci quickstart                      # about 3 minutes on 2 CPU cores
    monarch-sci quickstart --quick              # seconds: the same path on a tiny problem (smoke test)
    monarch-sci quickstart --out runs/qs --device cuda

What it runs: ``monarch_sci.pde.experiments.quickstart``. Ctrl-C keeps finished data chunks and the
last checkpoint; the same command again continues where it stopped.
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser(
        "quickstart",
        help="the main job on an embedded default: small Navier-Stokes data, FNO vs Monarch-NO, a table and plots",
        description="Generate a small Navier-Stokes data set, train FNO and Monarch-NO on it with the same budget "
        "and print one table (about 3 minutes on 2 CPU cores). Rerun the same command to continue an "
        "interrupted run.",
    )
    parser.add_argument("--out", help="output directory (default runs/quickstart; with --quick runs/quickstart-quick)")
    parser.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu, cuda or cuda:N")
    parser.add_argument("--quick", action="store_true", help="a seconds-long smoke variant on a tiny problem")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="torch CPU threads for training (default 1: the fastest for these small models on a 2-core machine)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--no-plots", action="store_true", help="no PNG plots")
    parser.set_defaults(run=_run)


def _run(args) -> int:
    from ..pde.experiments.quickstart import VARIANTS, quickstart

    out = Path(args.out or VARIANTS["quick" if args.quick else "default"]["out"])
    try:
        summary = quickstart(out, device=args.device, quick=args.quick, threads=args.threads,
                             progress=not args.no_progress, plots=not args.no_plots, command=_command())
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished data chunks and checkpoints are kept in {out}; "
              f"run the same command again to continue", file=sys.stderr)
        return 130
    if summary["status"] != "finished":
        print(f"interrupted: checkpoints are kept in {out}; run the same command again to continue")
        return 3
    return 0


def _command() -> str:
    return " ".join(["monarch-sci", *sys.argv[1:]]) if sys.argv and "monarch" in sys.argv[0] else ""
