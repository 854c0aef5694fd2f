"""PNG plots: loss curves and prediction / truth / error panels (matplotlib, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from ..errors import MonarchError


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MonarchError("plots need matplotlib: pip install 'monarch-sci[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(curves: dict[str, tuple[Sequence[float], Sequence[float]]], path: str | Path,
                ylabel: str = "relative L2", xlabel: str = "epoch", title: str = "", log: bool = True) -> Path:
    """One line per label: curves[label] = (x values, y values). Saved as PNG to ``path``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for label, (xs, ys) in curves.items():
        ax.plot(list(xs), list(ys), label=label, marker="." if len(xs) < 30 else None)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_fields(rows: dict[str, torch.Tensor], truth: torch.Tensor, path: str | Path,
                columns: Sequence[str] | None = None, title: str = "") -> Path:
    """A grid of 2-D fields: first row the truth, then per model its prediction and |error|.

    truth: (k, H, W) fields (e.g. k rollout steps), rows[name]: predictions of the same shape;
    columns: one label per field (e.g. "t = 11").
    """
    plt = _pyplot()
    truth = truth.detach().float().cpu().numpy()
    if truth.ndim != 3:
        raise MonarchError(f"plot_fields expects (k, H, W) fields, got shape {tuple(truth.shape)}")
    k = truth.shape[0]
    names = list(rows)
    nrows = 1 + 2 * len(names)
    fig, axes = plt.subplots(nrows, k, figsize=(2.2 * k, 2.1 * nrows), dpi=110, squeeze=False)
    vmin, vmax = float(truth.min()), float(truth.max())
    preds = {n: rows[n].detach().float().cpu().numpy() for n in names}
    emax = max(float(abs(preds[n] - truth).max()) for n in names) if names else 1.0
    for j in range(k):
        axes[0, j].imshow(truth[j], vmin=vmin, vmax=vmax, cmap="RdBu_r")
        axes[0, j].set_title(columns[j] if columns else f"{j}", fontsize=8)
        for i, name in enumerate(names):
            pred = preds[name]
            axes[1 + 2 * i, j].imshow(pred[j], vmin=vmin, vmax=vmax, cmap="RdBu_r")
            axes[2 + 2 * i, j].imshow(abs(pred[j] - truth[j]), vmin=0, vmax=emax, cmap="magma")
    labels = ["truth"] + [f"{n}\n{what}" for n in names for what in ("prediction", "|error|")]
    for i, label in enumerate(labels):
        axes[i, 0].set_ylabel(label, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
