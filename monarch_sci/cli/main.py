"""Entry point of the `monarch-sci` command."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import MonarchError
from . import bench as bench_cmd
from . import data as data_cmd
from . import fno as fno_cmd
from . import mri as mri_cmd
from . import quickstart as quickstart_cmd
from . import transforms as transforms_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monarch-sci", description="Monarch structured matrices for scientific machine learning."
    )
    parser.add_argument("--version", action="version", version=f"monarch-sci {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    quickstart_cmd.register(commands)
    transforms_cmd.register(commands)
    data_cmd.register(commands)
    fno_cmd.register(commands)
    bench_cmd.register(commands)
    mri_cmd.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except MonarchError as error:
        print(f"monarch-sci: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
