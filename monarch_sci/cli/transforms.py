"""`monarch-sci transforms check KIND N`: structure, parameters and error against numpy/scipy."""

from __future__ import annotations

import json

from ..transforms.check import CHECKS, check


def register(commands) -> None:
    parser = commands.add_parser("transforms", help="inspect the exact Monarch constructions of classical transforms")
    sub = parser.add_subparsers(dest="transforms_command", metavar="ACTION", required=True)
    checker = sub.add_parser("check", help="build KIND at size N and compare it with the numpy/scipy reference")
    checker.add_argument("kind", metavar="KIND", help=f"one of: {', '.join(sorted(CHECKS))}")
    checker.add_argument("n", metavar="N", type=int, help="transform size")
    checker.add_argument("--seed", type=int, default=0, help="seed for the random diagonals of fastfood/hd3/afdf/acdc")
    checker.add_argument("--json", action="store_true", help="print the result as JSON")
    checker.set_defaults(run=_run_check)


def _run_check(args) -> int:
    result = check(args.kind, args.n, seed=args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    ratio = result["parameters"] / result["dense_parameters"]
    print(f"{result['kind']}({result['n']})")
    print(f"  structure      {result['structure']}")
    print(f"  parameters     {result['parameters']:,} ({ratio:.1%} of dense {result['dense_parameters']:,})")
    print(f"  max abs error  {result['max_abs_error']:.2e} vs numpy/scipy (float64)")
    return 0
