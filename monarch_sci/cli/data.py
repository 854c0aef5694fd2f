"""`monarch-sci data`: generate recipes, list them, describe, convert and plot PDE data files."""

from __future__ import annotations

import json
import sys
import time

from ..errors import MonarchError


def register(commands) -> None:
    parser = commands.add_parser("data", help="PDE data sets: generate recipes, describe, convert and plot files")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    gen = sub.add_parser("generate", help="generate a recipe's data set into our HDF5 layout (resumable)")
    gen.add_argument("recipe", metavar="RECIPE", help="a recipe name (see `monarch-sci data recipes`) or a .json file")
    gen.add_argument("--out", help="output file (default out/RECIPE.h5); written as OUT.part until complete")
    gen.add_argument("--n", type=int, help="number of samples (default: the recipe's)")
    gen.add_argument("--seed", type=int, help="base seed; sample i uses (seed, i) (default: the recipe's)")
    gen.add_argument("--chunk", type=int, help="samples per solver batch and per commit to the file")
    gen.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    gen.add_argument(
        "--workers",
        default="auto",
        help="CPU processes solving chunks in parallel, one thread each (default auto: one per core; 1 on a GPU)",
    )
    gen.add_argument(
        "--set",
        dest="overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override recipe parameters, e.g. dt=5e-4 solver_grid=128 grf.tau=5 (values are JSON)",
    )
    gen.add_argument("--overwrite", action="store_true", help="delete an existing OUT or OUT.part first")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen.set_defaults(run=_run_generate)

    recipes = sub.add_parser("recipes", help="list the registered recipes")
    recipes.add_argument("--json", action="store_true", help="print every recipe as JSON")
    recipes.set_defaults(run=_run_recipes)

    info = sub.add_parser(
        "info", help="describe any supported data file (ours, FNO .mat, neuraloperator .pt, PDEBench)"
    )
    info.add_argument("file", metavar="FILE")
    info.add_argument("--format", help="skip detection: monarch, fno-mat, neuralop-pt or pdebench")
    info.add_argument("--json", action="store_true", help="print the description as JSON")
    info.set_defaults(run=_run_info)

    convert = sub.add_parser("convert", help="convert a supported file into our HDF5 layout")
    convert.add_argument("src", metavar="SRC")
    convert.add_argument("out", metavar="OUT")
    convert.add_argument("--format", help="skip detection: monarch, fno-mat, neuralop-pt or pdebench")
    convert.add_argument("--keys", help="map a/u/t to the source's names, e.g. a=coeff,u=sol")
    convert.add_argument("--overwrite", action="store_true")
    convert.set_defaults(run=_run_convert)

    plot = sub.add_parser("plot", help="energy spectrum and enstrophy of one 2-D trajectory (PNG + JSON)")
    plot.add_argument("file", metavar="FILE")
    plot.add_argument("--sample", type=int, default=0)
    plot.add_argument(
        "--out", help="PNG path (default FILE stem + _spectrum.png); a .json with the numbers goes next to it"
    )
    plot.set_defaults(run=_run_plot)


def parse_overrides(items: list[str]) -> dict:
    """["dt=5e-4", "grf.tau=5", "scheme=heun"] → {"dt": 5e-4, "grf": {"tau": 5}, "scheme": "heun"}."""
    params: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise MonarchError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *parents, leaf = key.split(".")
        target = params
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return params


def _positive_int(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise MonarchError(f"{option} expects a positive integer or 'auto', got {text!r}") from None


def _command() -> str:
    return " ".join(["monarch-sci", *sys.argv[1:]]) if sys.argv and "monarch" in sys.argv[0] else ""


def _run_generate(args) -> int:
    from ..pde.generate import generate

    out = args.out or f"out/{args.recipe.removesuffix('.json').split('/')[-1]}.h5"
    start = time.perf_counter()
    try:
        path = generate(
            args.recipe,
            out,
            n=args.n,
            seed=args.seed,
            chunk=args.chunk,
            params=parse_overrides(args.overrides),
            device=args.device,
            overwrite=args.overwrite,
            progress=not args.no_progress,
            command=_command(),
            workers=args.workers if args.workers == "auto" else _positive_int(args.workers, "--workers"),
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished chunks are kept in {out}.part; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(f"wrote {path} in {time.perf_counter() - start:.1f} s")
    return 0


def _run_recipes(args) -> int:
    from ..pde.recipes import available_recipes, get_recipe

    recipes = [get_recipe(name) for name in available_recipes()]
    if args.json:
        print(json.dumps([{k: v for k, v in vars(r).items()} for r in recipes], indent=2, default=list))
        return 0
    width = max(len(r.name) for r in recipes)
    for r in recipes:
        print(f"{r.name:<{width}}  {r.kind:<13} n={r.n:<5} {r.description}")
    return 0


def _run_info(args) -> int:
    from ..pde.formats import describe_file

    info = describe_file(args.file, format=args.format)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"{info['path']}: {info['format']} ({info['bytes'] / 1e6:.1f} MB)")
    if "matlab_version" in info:
        print(f"  MATLAB version {info['matlab_version']}")
    for key, spec in info["arrays"].items():
        print(f"  {key:<14} {spec.get('shape', '')} {spec.get('dtype', spec.get('type', ''))}")
    attrs = info.get("attrs")
    if attrs:
        done, total = attrs.get("completed"), attrs.get("n_samples")
        state = "complete" if done == total else f"INCOMPLETE: {done} of {total} samples"
        print(
            f"  {state}; kind {attrs.get('kind')}, recipe {attrs.get('recipe') or '-'}, seed {attrs.get('seed')}, grid {attrs.get('grid')}"
        )
        if attrs.get("params"):
            print(f"  params {json.dumps(attrs['params'])}")
        if attrs.get("source"):
            print(f"  converted from {attrs['source']} ({attrs.get('source_format')})")
        print(
            f"  created {attrs.get('created')} with monarch-sci {attrs.get('package_version')}, torch {attrs.get('torch_version')}"
        )
    return 0


def _run_convert(args) -> int:
    from ..pde.convert import convert

    keys = None
    if args.keys:
        keys = {}
        for item in args.keys.split(","):
            name, sep, key = item.partition("=")
            if not sep or name not in ("a", "u", "t"):
                raise MonarchError(f"--keys expects a=NAME,u=NAME[,t=NAME], got {args.keys!r}")
            keys[name] = key
    path = convert(args.src, args.out, format=args.format, keys=keys, overwrite=args.overwrite, command=_command())
    print(f"wrote {path}")
    return 0


def _run_plot(args) -> int:
    from pathlib import Path

    from ..pde.formats import load_data
    from ..pde.plots import plot_trajectory

    data = load_data(args.file)
    out = Path(args.out or Path(args.file).with_suffix("").as_posix() + "_spectrum.png")
    stats = plot_trajectory(data, out, sample=args.sample)
    record = {
        "command": _command() or f"monarch-sci data plot {args.file}",
        "file": args.file,
        "sample": args.sample,
        **stats,
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(
        f"wrote {out} and {out.with_suffix('.json')}; last frame: spectral slope {stats['slope_last']:.2f} on 2 <= k <= 10, E(1)/E(n/3) = 10^{stats['decades_last']:.1f}"
    )
    return 0
