"""Per-epoch metrics to JSON and CSV (rewritten atomically each epoch) and TensorBoard when installed.

``metrics.json``: {"history": [row, ...], **meta}; ``metrics.csv``: one row per epoch, the union of
the keys as columns (list-valued entries, e.g. per-step errors, only in the JSON).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .checkpoint import atomic_write_json, atomic_write_text


class MetricsLog:
    """Collects rows; ``write()`` puts them on disk. Only the main process writes (``enabled``)."""

    def __init__(self, out_dir: str | Path | None, enabled: bool = True, tensorboard: bool = True,
                 meta: dict | None = None):
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.enabled = enabled and self.out_dir is not None
        self.history: list[dict] = []
        self.meta = dict(meta or {})
        self._writer = None
        if self.enabled and tensorboard:
            try:  # optional: TensorBoard only when its package is installed
                from torch.utils.tensorboard import SummaryWriter
            except Exception:  # ImportError, or tensorboard's own import errors
                SummaryWriter = None
            if SummaryWriter is not None:
                self._writer = SummaryWriter(str(self.out_dir / "tensorboard"))

    def append(self, row: dict) -> None:
        self.history.append(dict(row))
        if self._writer is not None:
            step = row.get("epoch", len(self.history))
            for key, value in row.items():
                if isinstance(value, (int, float)) and key != "epoch":
                    self._writer.add_scalar(key, value, step)
            self._writer.flush()

    def write(self, **extra) -> None:
        if not self.enabled:
            return
        self.meta.update(extra)
        atomic_write_json(self.out_dir / "metrics.json", {**self.meta, "history": self.history})
        atomic_write_text(self.out_dir / "metrics.csv", to_csv(self.history))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def to_csv(rows: list[dict]) -> str:
    """Scalar columns of ``rows`` as CSV text (keys in first-seen order)."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k, v in row.items() if k not in keys and not isinstance(v, (list, tuple, dict))]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
