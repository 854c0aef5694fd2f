"""`monarch-sci bench`: the benchmark suite (Monarch apply vs bmm, compile, dense, FFT), JSON output."""

from __future__ import annotations

import sys


def register(commands) -> None:
    from ..bench.suite import build_parser

    parser = commands.add_parser("bench", help="time Monarch apply against bmm, torch.compile, dense and torch.fft")
    build_parser(parser)
    parser.set_defaults(run=_run)


def _run(args) -> int:
    from ..bench.suite import execute

    return execute(args, " ".join(["monarch-sci", *sys.argv[1:]]))
