"""PNG previews: images side by side with a shared gray scale (matplotlib, imported lazily)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MonarchError


def save_preview(path: str | os.PathLike, panels: dict[str, np.ndarray], title: str | None = None, vmax: float | None = None) -> Path:
    """Write ``panels`` (label → 2-D magnitude image) as one PNG row; error maps use their own scale
    when the label starts with "|error|"."""
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend state
    except ImportError:
        raise MonarchError("PNG previews need matplotlib (pip install 'monarch-sci[plot]'), or pass --no-preview") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in panels.items()}
    vmax = vmax if vmax is not None else max(float(v.max()) for k, v in images.items() if not k.startswith("|error|"))
    fig = Figure(figsize=(3.2 * len(images), 3.6))
    axes = fig.subplots(1, len(images), squeeze=False)
    for ax, (label, img) in zip(axes[0], images.items()):
        top = float(img.max()) if label.startswith("|error|") else vmax
        ax.imshow(img, cmap="gray", vmin=0, vmax=top or 1.0)
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)
    return path


__all__ = ["save_preview"]
