"""The MRI experiments behind results/mri/README.md (CPU, 1 thread per process; run from the repository root).

    python results/mri/experiments.py data          # simulate the 320x320, 8-coil Shepp-Logan volumes (out/mri/sl320)
    python results/mri/experiments.py msense        # mSENSE vs SENSE: Poisson and fastMRI random masks at 2x, 4x, 8x
    python results/mri/experiments.py one-volume    # trained on one volume: mSENSE vs the fastMRI U-Net
    python results/mri/experiments.py unrolled      # unrolled-monarch vs unrolled-fft, equal networks and epochs
    python results/mri/experiments.py ablations     # which transforms learn, structure, transform lr, init, volumes, masks
    python results/mri/experiments.py analysis      # SENSE's error budget: background floor, noise, unaliasing
    python results/mri/experiments.py snr --snr 20  # mSENSE vs SENSE at Poisson 4x on data simulated at another SNR
    python results/mri/experiments.py figures       # PNGs from the saved reconstructions
    python results/mri/experiments.py tables        # the README's Markdown tables from the JSONs

Every stage writes results/mri/<stage>.json (numbers, settings, the equivalent `monarch-sci mri ...`
commands, versions) and keeps its training runs under out/mri/runs/<stage>/ (resumable: rerunning a stage
continues unfinished runs). Coil maps are ESPIRiT maps computed exactly as `mri recon` does, cached in
out/mri/maps. All metrics are fastMRI's volume metrics (``mri eval``) on the two test volumes.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monarch_sci import mri  # noqa: E402
from monarch_sci.mri.models import count_parameters  # noqa: E402
from monarch_sci.mri.training import Reconstructor, mask_spec, train_recon  # noqa: E402
from monarch_sci.mri.training_data import ReconSlices  # noqa: E402
from monarch_sci.mri.training_eval import evaluate_slices, mean_metrics  # noqa: E402
from monarch_sci.train import OptimizerSpec, TrainConfig  # noqa: E402
from monarch_sci.train.checkpoint import atomic_write_json  # noqa: E402

DATA = ROOT / "out" / "mri" / "sl320"
RUNS = ROOT / "out" / "mri" / "runs"
MAPS = ROOT / "out" / "mri" / "maps"
RESULTS = ROOT / "results" / "mri"
def simulate_args(snr: float = 40) -> list[str]:
    """`monarch-sci mri simulate` options of every experiment's data: image SNR in dB."""
    return ["--phantom", "shepp_logan", "--slices", "8", "--size", "320", "320", "--coils", "8", "--snr", f"{snr:g}",
            "--no-progress"]


SIM = simulate_args()
# fastMRI's center fractions (8x: 0.04); Poisson keeps a 0.08 calibration box at every acceleration
MASKS = [("poisson", 0.08, 2), ("poisson", 0.08, 4), ("poisson", 0.08, 8),
         ("random", 0.08, 2), ("random", 0.08, 4), ("random", 0.04, 8)]
SENSE_GRID = [(lam, k) for lam in (1e-3, 3e-3, 1e-2) for k in (10, 30)]
MSENSE_LR = 5e-5


def _run_cli(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "monarch_sci.cli.main", *argv], check=True, cwd=ROOT)


def stage_data(args) -> dict:
    _run_cli("mri", "simulate", str(DATA / "train"), "--volumes", "4", "--seed", "0", "--prefix", "train", *SIM)
    _run_cli("mri", "simulate", str(DATA / "test"), "--volumes", "2", "--seed", "100", "--prefix", "test", *SIM)
    return {"commands": [f"monarch-sci mri simulate {DATA / 'train'} --volumes 4 --seed 0 --prefix train {' '.join(SIM)}",
                         f"monarch-sci mri simulate {DATA / 'test'} --volumes 2 --seed 100 --prefix test {' '.join(SIM)}"]}


class Setting:
    """One mask configuration: the train / test datasets (maps computed once) and the tuned SENSE."""

    def __init__(self, mask: str, cf: float, acc: int, seed="fixed", volumes: int = 2, data: Path = DATA,
                 maps: Path = MAPS):
        self.mask, self.cf, self.acc, self.data, self.maps = mask, cf, acc, data, maps
        self.seed = 0 if seed == "fixed" else seed
        func = mri.create_mask(mask, [cf], [acc])
        self.spec = mask_spec(mask, [cf], [acc], self.seed)
        self.train = ReconSlices(data / "train", func, self.seed, volumes=volumes, cache_dir=maps)
        self.test = ReconSlices(data / "test", func, self.seed, cache_dir=maps)
        self.name = f"{mask}{acc}x"

    def sense(self, lam: float, k: int, tol: float = 0.0):
        return partial(mri.sense, lamda=lam, max_iter=k, tol=tol)

    def tune_sense(self) -> dict:
        """(λ, K) of the SENSE grid with the best mean PSNR on the training volumes."""
        scores = {f"{lam:g}/{k}": mean_metrics(evaluate_slices(self.sense(lam, k), self.train))["PSNR"] for lam, k in SENSE_GRID}
        best = max(scores, key=scores.get)
        lam, k = best.split("/")
        return {"lamda": float(lam), "iterations": int(k), "train_psnr": scores}

    def cli_flags(self) -> str:
        return f"--mask {self.mask} --acceleration {self.acc} --center-fraction {self.cf} --mask-seed {self.seed}"


def _evaluate(method, data: ReconSlices, keep_name: str | None = None) -> dict:
    if keep_name is None:
        return mean_metrics(evaluate_slices(method, data))
    evaluation, recons = evaluate_slices(method, data, keep=True)
    first = sorted(recons)[0]
    np.save(RUNS / "recons" / f"{keep_name}.npy", recons[first][len(recons[first]) // 2])
    return mean_metrics(evaluation)


def _train(stage: str, run: str, setting: Setting, model: str, options: dict, epochs: int, lr: float = 1e-3,
           transform_lr: float = MSENSE_LR, batch_size: int = 2, loss: str = "l1", data: ReconSlices | None = None) -> dict:
    data = data or setting.train
    config = TrainConfig(epochs=epochs, batch_size=batch_size, progress=False, loss_reduction="mean", seed=0)
    spec = OptimizerSpec(name="adam", lr=lr, weight_decay=0.0, transform_lr=transform_lr, schedule="cosine")
    command = (f"monarch-sci mri train {setting.data / 'train'} --model {model} --out {RUNS / stage / run} --volumes {data.num_volumes} "
               f"{setting.cli_flags()} --epochs {epochs} --batch-size {batch_size} --lr {lr} --transform-lr {transform_lr} "
               f"--loss {loss} --maps-cache {setting.maps} --threads 1 "
               + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items() if k not in ("share", "materialize")))
    start = time.perf_counter()
    result = train_recon(model, data, RUNS / stage / run, config, spec, options, loss=loss, mask=setting.spec,
                         plots=True, command=command)
    module = result.pop("module").eval()
    (RUNS / "recons").mkdir(parents=True, exist_ok=True)
    rec = Reconstructor(module, {"model": {"name": model, "shape": list(data.shape)}})
    test = _evaluate(rec, setting.test, keep_name=f"{stage}-{run}")
    return {"model": model, "options": options, "epochs": result["epochs"], "status": result["status"],
            "parameters": count_parameters(module), "seconds_per_epoch": result["seconds_per_epoch"],
            "train_seconds": result["seconds_total"], "wall_seconds": time.perf_counter() - start,
            "final_train_loss": result["history"][-1]["train_loss"], "test": test, "command": command,
            "run_dir": str(RUNS / stage / run)}


def _baselines(setting: Setting, stage: str) -> dict:
    (RUNS / "recons").mkdir(parents=True, exist_ok=True)
    tuned = setting.tune_sense()
    return {
        "zero-filled": _evaluate(lambda k, m, s: mri.zero_filled(k), setting.test, f"{stage}-{setting.name}-zero-filled"),
        "sense_default": _evaluate(setting.sense(1e-2, 50, 1e-6), setting.test, f"{stage}-{setting.name}-sense-default"),
        "sense_tuned": {**_evaluate(setting.sense(tuned["lamda"], tuned["iterations"]), setting.test,
                                    f"{stage}-{setting.name}-sense-tuned"), **tuned},
    }


def _gain(row: dict, base: dict) -> dict:
    return {"dPSNR": round(row["PSNR"] - base["PSNR"], 3), "dSSIM": round(row["SSIM"] - base["SSIM"], 4)}


def stage_msense(args) -> dict:
    rows = []
    for mask, cf, acc in MASKS:
        setting = Setting(mask, cf, acc)
        base = _baselines(setting, "msense")
        opts = {"learn": "inverse", "structure": "M", "lamda": base["sense_tuned"]["lamda"],
                "iterations": base["sense_tuned"]["iterations"]}
        row = _train("msense", setting.name, setting, "msense", opts, args.epochs)
        rows.append({"mask": mask, "center_fraction": cf, "acceleration": acc, **base, "msense": row,
                     "gain_vs_tuned_sense": _gain(row["test"], base["sense_tuned"]),
                     "gain_vs_default_sense": _gain(row["test"], base["sense_default"])})
        _save("msense_vs_sense", {"rows": rows}, args)
        print(f"{setting.name}: SENSE tuned {base['sense_tuned']['PSNR']:.2f} dB / {base['sense_tuned']['SSIM']:.4f}, "
              f"mSENSE {row['test']['PSNR']:.2f} dB / {row['test']['SSIM']:.4f}", flush=True)
    return {"rows": rows}


def stage_snr(args) -> dict:
    """mSENSE vs SENSE at Poisson 4x (the ablations' setting) on 2 + 2 volumes simulated at --snr dB."""
    name = f"snr{args.snr:g}"
    data = DATA.with_name(f"sl320-{name}")
    sim = simulate_args(args.snr)
    commands = [f"monarch-sci mri simulate {data / 'train'} --volumes 2 --seed 0 --prefix train {' '.join(sim)}",
                f"monarch-sci mri simulate {data / 'test'} --volumes 2 --seed 100 --prefix test {' '.join(sim)}"]
    if not (data / "test").exists():
        for command in commands:
            _run_cli(*command.split()[1:])
    setting = Setting("poisson", 0.08, 4, data=data, maps=MAPS / name)
    base = _baselines(setting, name)
    opts = {"learn": "inverse", "structure": "M", "lamda": base["sense_tuned"]["lamda"],
            "iterations": base["sense_tuned"]["iterations"]}
    row = _train(name, "msense", setting, "msense", opts, args.epochs)
    print(f"{name}: SENSE tuned {base['sense_tuned']['PSNR']:.2f} dB, mSENSE {row['test']['PSNR']:.2f} dB", flush=True)
    return {"snr_db": args.snr, "data": str(data), "simulate": commands, "mask": "poisson", "center_fraction": 0.08, "acceleration": 4,
            **base, "msense": row, "gain_vs_tuned_sense": _gain(row["test"], base["sense_tuned"]),
            "gain_vs_default_sense": _gain(row["test"], base["sense_default"])}


def stage_one_volume(args) -> dict:
    setting = Setting("poisson", 0.08, 4, volumes=1)
    base = _baselines(setting, "one-volume")
    opts = {"learn": "inverse", "structure": "M", "lamda": base["sense_tuned"]["lamda"], "iterations": base["sense_tuned"]["iterations"]}
    msense = _train("one-volume", "msense", setting, "msense", opts, args.epochs)
    unet = _train("one-volume", "unet", setting, "unet", {"chans": 32, "pools": 4}, args.unet_epochs, lr=1e-3)
    out = {"setting": setting.spec, "training_volumes": 1, **base, "msense": msense, "unet": unet,
           "msense_minus_unet": _gain(msense["test"], unet["test"]),
           "parameter_ratio_unet_over_msense_real": unet["parameters"]["total_real"] / msense["parameters"]["total_real"]}
    return out


def stage_unrolled(args) -> dict:
    setting = Setting("poisson", 0.08, 4)
    tuned = setting.tune_sense()
    # warm start: the tuned SENSE (its lamda and CG iterations), zero-initialized regularizers
    common = {"cascades": args.cascades, "chans": 8, "pools": 2, "lamda": tuned["lamda"], "init_iterations": tuned["iterations"]}
    fft = _train("unrolled", "fft-warm", setting, "unrolled-fft", common, args.epochs)
    # learn="inverse": the learned G enters every DC step (F stays the FFT); the warm start is the same exact
    # SENSE image as the FFT network's, or (the earlier protocol) mSENSE with the learned G
    monarch = {start: _train("unrolled", run, setting, "unrolled-monarch",
                             {**common, "learn": "inverse", "structure": "M", "warm_start": start}, args.epochs)
               for start, run in (("exact", "monarch-exact-start"), ("learned", "monarch-warm"))}
    return {"setting": setting.spec, "sense_tuned": {**_evaluate(setting.sense(tuned["lamda"], tuned["iterations"]), setting.test),
                                                     **tuned},
            "unrolled_fft": fft, "unrolled_monarch": monarch["exact"], "unrolled_monarch_learned_start": monarch["learned"],
            "monarch_minus_fft": _gain(monarch["exact"]["test"], fft["test"]),
            "monarch_learned_start_minus_fft": _gain(monarch["learned"]["test"], fft["test"]),
            "equal_parameters": "same NormUNet regularizers and step sizes (network counts equal); the Monarch network "
                                "adds only its transform factors (parameters.transforms)"}


def stage_ablations(args) -> dict:
    out: dict = {}
    setting = Setting("poisson", 0.08, 4)
    tuned = setting.tune_sense()
    base = {"lamda": tuned["lamda"], "iterations": tuned["iterations"]}
    out["sense_tuned"] = {**_evaluate(setting.sense(tuned["lamda"], tuned["iterations"]), setting.test), **base}

    def run(group, name, setting_=setting, transform_lr=MSENSE_LR, **options):
        row = _train("ablations", f"{group}-{name}", setting_, "msense", {"learn": "inverse", "structure": "M", **base, **options},
                     args.epochs, transform_lr=transform_lr)
        out.setdefault(group, {})[name] = row
        _save("ablations", out, args)
        print(f"{group} {name}: {row['test']['PSNR']:.2f} dB / {row['test']['SSIM']:.4f}", flush=True)

    for learn in ("inverse", "forward", "both"):
        run("learn", learn, learn=learn)
    for structure in ("MM*", "(MM*)^2"):
        run("structure", structure, structure=structure)
    for lr in (1e-5, 2e-4, 1e-3):
        run("transform_lr", f"{lr:g}", transform_lr=lr)
    run("init", "random", init="random")
    for volumes in (1, 4):
        run("volumes", str(volumes), Setting("poisson", 0.08, 4, volumes=volumes))
    run("mask_seed", "volume", Setting("poisson", 0.08, 4, seed="volume"))
    # the adjoint alone (0 CG iterations, x = S^H G M y): "SENSE" as the coil-combined zero-filled image
    from monarch_sci.mri.models import build_model

    adjoint = build_model("msense", setting.train.shape, learn="none", iterations=0)
    out.setdefault("adjoint", {})["sense_adjoint"] = _evaluate(lambda k, m, s: adjoint(k, m, s), setting.test)
    run("adjoint", "msense_adjoint", iterations=0)
    return out


def stage_figures(args) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    recons = RUNS / "recons"
    test = ReconSlices(DATA / "test", mri.create_mask("poisson", [0.08], [4]), 0, cache_dir=MAPS)
    first = sorted({r.info.path.name for r in test.slices.raw_samples})[0]
    idx = [i for i, r in enumerate(test.slices.raw_samples) if r.info.path.name == first]
    target = test[idx[len(idx) // 2]].target.numpy()
    panels = {
        "msense_vs_sense.png": [("zero-filled", "msense-poisson4x-zero-filled"), ("SENSE (tuned)", "msense-poisson4x-sense-tuned"),
                                ("mSENSE", "msense-poisson4x")],
        "one_volume.png": [("SENSE (tuned)", "one-volume-poisson4x-sense-tuned"), ("U-Net (1 volume)", "one-volume-unet"),
                           ("mSENSE (1 volume)", "one-volume-msense")],
        "unrolled.png": [("SENSE (tuned)", "msense-poisson4x-sense-tuned"), ("unrolled-fft", "unrolled-fft-warm"),
                         ("unrolled-monarch", "unrolled-monarch-exact-start")],
    }
    for fname, items in panels.items():
        items = [(label, recons / f"{key}.npy") for label, key in items if (recons / f"{key}.npy").is_file()]
        if not items:
            continue
        fig, axes = plt.subplots(2, len(items) + 1, figsize=(3 * (len(items) + 1), 6.2))
        axes[0, 0].imshow(target, cmap="gray", vmin=0, vmax=target.max())
        axes[0, 0].set_title("target (RSS)", fontsize=9)
        axes[1, 0].axis("off")
        emax = max(np.abs(np.load(p) - target).max() for _, p in items)
        for j, (label, path) in enumerate(items, start=1):
            img = np.load(path)
            p = 10 * np.log10(target.max() ** 2 / np.mean((img - target) ** 2))
            axes[0, j].imshow(img, cmap="gray", vmin=0, vmax=target.max())
            axes[0, j].set_title(f"{label}\nslice PSNR {p:.2f} dB", fontsize=9)
            axes[1, j].imshow(np.abs(img - target), cmap="magma", vmin=0, vmax=emax / 2)
            axes[1, j].set_title("|error| (x2)", fontsize=9)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(f"{first}, middle slice, Poisson 4x", fontsize=10)
        fig.tight_layout()
        fig.savefig(RESULTS / fname, dpi=90)
        plt.close(fig)
        made.append(fname)
    _gain_figure(plt, made)
    return {"figures": made}


def _gain_figure(plt, made: list) -> None:
    path = RESULTS / "msense_vs_sense.json"
    if not path.is_file():
        return
    rows = json.loads(path.read_text())["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    labels = [f"{r['mask']}\n{r['acceleration']}x" for r in rows]
    x = np.arange(len(rows))
    for ax, metric in zip(axes, ("PSNR", "SSIM")):
        for off, (key, label) in zip((-0.3, -0.1, 0.1, 0.3), (("zero-filled", "zero-filled"), ("sense_default", "SENSE default"),
                                                            ("sense_tuned", "SENSE tuned"), ("msense", "mSENSE"))):
            vals = [(r[key]["test"] if key == "msense" else r[key])[metric] for r in rows]
            ax.bar(x + off, vals, width=0.2, label=label)
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylabel(metric + (" (dB)" if metric == "PSNR" else ""))
        lo = min((r[k]["test"] if k == "msense" else r[k])[metric] for r in rows for k in ("sense_default", "sense_tuned", "msense"))
        ax.set_ylim(lo - (3 if metric == "PSNR" else 0.05), None)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("test volumes: fastMRI volume metrics", fontsize=10)
    fig.tight_layout()
    fig.savefig(RESULTS / "msense_vs_sense_bars.png", dpi=90)
    plt.close(fig)
    made.append("msense_vs_sense_bars.png")


def _save(name: str, payload: dict, args) -> None:
    meta = {"command": "python " + " ".join(sys.argv), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "threads": torch.get_num_threads(),
            "data": {"train": str(DATA / "train"), "test": str(DATA / "test"), "simulate": SIM},
            "metrics": "fastMRI volume metrics (mri eval) on the 2 test volumes, mean over volumes; SSIM = fastMRI's 7x7 uniform"}
    atomic_write_json(RESULTS / f"{name}.json", {**payload, "meta": meta})


def stage_analysis(args) -> dict:
    """Where SENSE's error is (Poisson 4x, first test volume): background floor, noise, systematic unaliasing."""
    clean_dir = ROOT / "out" / "mri" / "sl320_clean"
    _run_cli("mri", "simulate", str(clean_dir), "--volumes", "1", "--seed", "100", "--prefix", "test", "--no-noise",
             *[a for a in SIM if a not in ("--snr", "40")])
    func = mri.create_mask("poisson", [0.08], [4])
    noisy = ReconSlices([DATA / "test" / "test0000.h5"], func, 0, cache_dir=MAPS)
    clean = ReconSlices([clean_dir / "test0000.h5"], func, 0, cache_dir=MAPS)
    from monarch_sci.mri.training_eval import volume_batches

    (_, k, m, maps, target), = volume_batches(noisy)
    (_, kc, _, _, target_clean), = volume_batches(clean)
    target, target_clean = target.numpy(), target_clean.numpy()
    support = ((maps.abs() ** 2).sum(1) > 0.5).numpy()

    def fg_psnr(x, ref):
        return float(10 * np.log10(ref.max() ** 2 / ((x - ref)[support] ** 2).mean()))

    rows = {}
    for lam, iters in ((3e-3, 30), (1e-2, 10)):
        x = mri.sense(k, m, maps, lamda=lam, max_iter=iters, tol=0).abs().numpy()
        xc = mri.sense(kc, m, maps, lamda=lam, max_iter=iters, tol=0).abs().numpy()
        err = (x - target) ** 2
        rows[f"lamda {lam:g}, K {iters}"] = {
            "PSNR": mri.psnr(target, x), "SSIM": mri.ssim(target, x),
            "share_of_squared_error_in_background": float(err[~support].sum() / err.sum()),
            "foreground_PSNR_vs_clean_target_noisy_data": fg_psnr(x, target_clean),
            "foreground_PSNR_vs_clean_target_noise_free_data": fg_psnr(xc, target_clean),
            "PSNR_SSIM_with_background_replaced_by_target": [mri.psnr(target, np.where(support, x, target)),
                                                             mri.ssim(target, np.where(support, x, target))],
        }
    return {
        "setting": "poisson 4x, cf 0.08, mask seed 0, first test volume, ESPIRiT maps (zero outside their support)",
        "support_fraction": float(support.mean()),
        "bound_zero_background": {"PSNR": mri.psnr(target, target * support), "SSIM": mri.ssim(target, target * support),
                                  "what": "the target inside the map support and 0 outside: the best any method whose "
                                          "output lies in the span of the maps (SENSE, mSENSE) can score"},
        "noisy_vs_clean_target": {"PSNR": mri.psnr(target, target_clean), "SSIM": mri.ssim(target, target_clean)},
        "sense": rows,
        "zero_filled": {"PSNR": mri.psnr(target, mri.zero_filled(k).numpy()), "SSIM": mri.ssim(target, mri.zero_filled(k).numpy())},
    }


def stage_tables(args) -> dict:
    """Markdown tables of every results JSON (printed; pasted into README.md)."""
    def load(name):
        path = RESULTS / f"{name}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def cell(m):
        return f"{m['PSNR']:.2f} / {m['SSIM']:.4f}"

    lines = []
    if (data := load("msense_vs_sense")) is not None:
        lines += ["| mask | R | zero-filled | SENSE default | SENSE tuned (λ, K) | mSENSE | Δ vs tuned | Δ vs default |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in data["rows"]:
            t = r["sense_tuned"]
            lines.append(f"| {r['mask']} (cf {r['center_fraction']}) | {r['acceleration']} | {cell(r['zero-filled'])} | "
                         f"{cell(r['sense_default'])} | {cell(t)} ({t['lamda']:g}, {t['iterations']}) | {cell(r['msense']['test'])} | "
                         f"{r['gain_vs_tuned_sense']['dPSNR']:+.2f} dB / {r['gain_vs_tuned_sense']['dSSIM']:+.4f} | "
                         f"{r['gain_vs_default_sense']['dPSNR']:+.2f} dB / {r['gain_vs_default_sense']['dSSIM']:+.4f} |")
        lines.append("")
    if (data := load("one_volume")) is not None:
        lines += ["| method (trained on 1 volume) | PSNR / SSIM | parameters (real) | s / epoch |", "|---|---|---|---|"]
        lines.append(f"| zero-filled | {cell(data['zero-filled'])} | 0 | |")
        lines.append(f"| SENSE tuned | {cell(data['sense_tuned'])} | 0 | |")
        for key, label in (("unet", "U-Net (fastMRI, chans 32, 4 pools)"), ("msense", "mSENSE")):
            row = data[key]
            lines.append(f"| {label} | {cell(row['test'])} | {row['parameters']['total_real']:,} | {row['seconds_per_epoch']:.1f} |")
        lines.append("")
    if (data := load("unrolled")) is not None:
        lines += ["| network | PSNR / SSIM | network params | transform params | s / epoch |", "|---|---|---|---|---|"]
        for key in ("unrolled_fft", "unrolled_monarch", "unrolled_monarch_learned_start"):
            row = data[key]
            start = f", {row['options']['warm_start']} warm start" if "warm_start" in row["options"] else ""
            lines.append(f"| {row['model']}{start} | {cell(row['test'])} | {row['parameters']['network']:,} | "
                         f"{row['parameters']['transforms']:,} | {row['seconds_per_epoch']:.1f} |")
        lines.append("")
    if (data := load("ablations")) is not None:
        lines += ["| ablation | setting | PSNR / SSIM | Δ vs tuned SENSE (dB) | final train loss |", "|---|---|---|---|---|"]
        base = data["sense_tuned"]
        lines.append(f"| baseline | SENSE tuned (λ {base['lamda']:g}, K {base['iterations']}) | {cell(base)} | 0 | |")
        for group in ("learn", "structure", "transform_lr", "init", "volumes", "mask_seed", "adjoint"):
            for name, row in data.get(group, {}).items():
                if "test" not in row:
                    lines.append(f"| {group} | {name} (no training) | {cell(row)} | {row['PSNR'] - base['PSNR']:+.2f} | |")
                    continue
                lines.append(f"| {group} | {name} | {cell(row['test'])} | {row['test']['PSNR'] - base['PSNR']:+.2f} | "
                             f"{row['final_train_loss']:.5f} |")
    print("\n".join(lines))
    return {}


STAGES = {"data": stage_data, "msense": stage_msense, "one-volume": stage_one_volume, "unrolled": stage_unrolled,
          "ablations": stage_ablations, "snr": stage_snr, "figures": stage_figures, "tables": stage_tables, "analysis": stage_analysis}
OUTPUT = {"msense": "msense_vs_sense", "one-volume": "one_volume", "unrolled": "unrolled", "ablations": "ablations",
          "snr": "msense_snr{snr:g}", "figures": "figures", "data": "data", "tables": None, "analysis": "error_budget"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=list(STAGES))
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the mSENSE / unrolled runs (default 10)")
    parser.add_argument("--unet-epochs", type=int, default=40, help="epochs of the U-Net (default 40)")
    parser.add_argument("--cascades", type=int, default=5, help="unrolled cascades (default 5)")
    parser.add_argument("--snr", type=float, default=20.0, help="snr stage: image SNR of the simulated data in dB (default 20)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    payload = STAGES[args.stage](args)
    if OUTPUT[args.stage] is None:
        return 0
    payload["stage_seconds"] = time.perf_counter() - start
    name = OUTPUT[args.stage].format(**vars(args))
    _save(name, payload, args)
    print(f"{args.stage}: done in {payload['stage_seconds']:.0f} s -> results/mri/{name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
