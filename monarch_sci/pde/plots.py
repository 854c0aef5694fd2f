"""Plot one Navier–Stokes trajectory's energy spectra and energy / enstrophy history (matplotlib, lazily)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import MonarchError
from .data import PDEData
from .spectra import energy, energy_spectrum, enstrophy


def trajectory_statistics(data: PDEData, sample: int = 0) -> dict:
    """E(κ) at every record time, energy(t), enstrophy(t) and the fitted spectral slope of the last frame.

    The slope is the least-squares log-log fit of E(κ) over 2 ≤ κ ≤ min(10, n/3) (κ⁻³ for a 2-D enstrophy
    cascade; much steeper for the smooth ν = 1e-3 flows); "decades" is log10 E(1)/E(⌊n/3⌋) of the last frame.
    """
    if not data.time_dependent or len(data.space_shape) != 2:
        raise MonarchError(f"{data.source}: spectra need 2-D trajectories (N, R, n, n), got u {tuple(data.u.shape)}")
    if not 0 <= sample < data.n:
        raise MonarchError(f"{data.source}: sample {sample} out of range for {data.n} samples")
    frames = data.u[sample].to(torch.float64)
    if data.a is not None:
        frames = torch.cat([data.a[sample, None].to(torch.float64), frames])
        times = torch.cat([torch.zeros(1, dtype=torch.float64), data.t.to(torch.float64)])
    else:
        times = data.t.to(torch.float64)
    k, E = energy_spectrum(frames)
    n = frames.shape[-1]
    fit = (k >= 2) & (k <= min(10, n // 3))
    slope = (
        float(np.polyfit(np.log(k[fit].numpy()), np.log(E[-1, fit].numpy()), 1)[0]) if fit.sum() >= 2 else float("nan")
    )
    decades = float(torch.log10(E[-1, 1] / E[-1, n // 3]))
    return {
        "times": times.tolist(),
        "k": k.tolist(),
        "spectra": E.tolist(),
        "energy": energy(frames).tolist(),
        "enstrophy": enstrophy(frames).tolist(),
        "slope_last": slope,
        "decades_last": decades,
        "grid": n,
    }


def plot_trajectory(data: PDEData, out: str | Path, sample: int = 0, title: str = "") -> dict:
    """Write a PNG with E(κ) at a few times (log-log) and energy/enstrophy versus t; returns the statistics."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MonarchError("plotting needs matplotlib: pip install 'monarch-sci[plot]'") from None
    stats = trajectory_statistics(data, sample)
    k = np.asarray(stats["k"])
    E = np.asarray(stats["spectra"])
    times = np.asarray(stats["times"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    picks = sorted(set(np.linspace(0, len(times) - 1, 6).round().astype(int)))
    colors = plt.cm.viridis(np.linspace(0, 1, len(picks)))
    for color, i in zip(colors, picks, strict=True):
        left.loglog(k[1:], E[i, 1:], color=color, label=f"t = {times[i]:g}")
    ref_k = k[(k >= 2) & (k <= min(10, stats["grid"] // 3))]
    if len(ref_k):
        anchor = E[-1, ref_k[0]]
        left.loglog(ref_k, anchor * (ref_k / ref_k[0]) ** -3.0, "k--", lw=1, label="κ⁻³")
    solver_grid = (data.attrs.get("params") or {}).get("solver_grid")
    if solver_grid and solver_grid / 3 <= k[-1]:
        left.axvline(solver_grid / 3, color="gray", lw=0.8, ls=":", label="solver's 2/3-rule cutoff")
    left.set(
        xlabel="wavenumber κ",
        ylabel="E(κ)",
        title=f"energy spectrum (last frame: slope {stats['slope_last']:.1f} on 2 ≤ κ ≤ 10)",
    )
    left.legend(fontsize=8)
    right.plot(times, stats["enstrophy"], "C0", label="enstrophy ½⟨w²⟩")
    right.set(xlabel="t", ylabel="enstrophy", title="enstrophy and energy")
    twin = right.twinx()
    twin.plot(times, stats["energy"], "C1", label="energy ½⟨|u|²⟩")
    twin.set_ylabel("energy")
    lines = right.get_lines() + twin.get_lines()
    right.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="best")
    fig.suptitle(title or f"{Path(data.source).name}, sample {sample}, {stats['grid']}² grid")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return stats
