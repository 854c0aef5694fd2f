"""Train a learned reconstruction through the shared engine, and use the result (``monarch-sci mri train / recon``).

    data = ReconSlices("sim/train", create_mask("poisson", [0.08], [4]))
    result = train_recon("msense", data, "runs/msense", TrainConfig(epochs=50), OptimizerSpec(lr=1e-4),
                         mask={"type": "poisson", "center_fractions": [0.08], "accelerations": [4]})
    model, meta = load_trained("runs/msense/checkpoint.pt")
    reconstruct_dir("sim/test", "recon/msense", Reconstructor(model, meta), mask_from_spec(meta["mask"]))

The run directory holds checkpoint.pt (resumable: the same call continues an interrupted run),
metrics.json / metrics.csv, result.json, loss.png and sample.png (target, zero-filled, the model,
|error| on a validation slice). The checkpoint's ``meta`` records the model name, options and grid,
the mask (type, center fractions, accelerations, seeding) and the map source, so ``load_trained``
rebuilds the model and ``mri recon --checkpoint`` reconstructs new data the same way.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import MonarchError
from ..train import DistEnv, OptimizerSpec, TrainConfig, Trainer, load_checkpoint, seed_everything
from ..train.checkpoint import atomic_write_json
from .masks import MaskFunc, create_mask
from .models import MODELS, build_model, count_parameters, model_entry
from .training_data import ReconSlices
from .training_objective import ReconObjective


def mask_spec(name: str, center_fractions, accelerations, seed: str | int | None = "volume") -> dict:
    """The record of a mask function that ``mask_from_spec`` turns back into one."""
    return {"type": name, "center_fractions": list(center_fractions), "accelerations": list(accelerations), "seed": seed}


def mask_from_spec(spec: dict) -> MaskFunc:
    """The mask function a ``mask_spec`` record describes (seeding is the dataset's business)."""
    try:
        return create_mask(spec["type"], spec["center_fractions"], spec["accelerations"])
    except (KeyError, TypeError):
        raise MonarchError(f"a mask record needs 'type', 'center_fractions' and 'accelerations', got {spec!r}") from None


def train_recon(
    name: str,
    data: ReconSlices,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    optimizer: OptimizerSpec | None = None,
    options: dict | None = None,
    val: ReconSlices | None = None,
    loss: str = "l1",
    mask: dict | None = None,
    env: DistEnv | None = None,
    plots: bool = True,
    command: str = "",
) -> dict:
    """Train (or resume) the registered model ``name`` on ``data`` into ``out_dir``; returns the
    result dict (also written as result.json). ``mask``: the ``mask_spec`` of the data (recorded)."""
    config, optimizer, env = config or TrainConfig(), optimizer or OptimizerSpec(), env or DistEnv()
    if val is not None and val.shape != data.shape:
        raise MonarchError(f"validation k-space grid {val.shape} differs from the training grid {data.shape}")
    seed_everything(config.seed)
    options = dict(options or {})
    model = build_model(name, data.shape, **options)
    counts = count_parameters(model)
    if counts["total"] == 0:
        raise MonarchError(f"model {name!r} with options {options} has no trainable parameters (learn='none'?)")
    meta = {
        "command": command,
        "model": {"name": name, "options": options, "shape": list(data.shape)},
        "data": data.describe(),
        "val": val.describe() if val is not None else None,
        "mask": mask,
        "maps": data.map_source,
        "loss": loss,
        "parameters": counts,
    }
    objective = ReconObjective(loss)
    trainer = Trainer(model, objective, data, val, optimizer, config, out_dir, env, meta=meta)
    summary = trainer.fit()
    history = trainer.log.history
    seconds = [row["epoch_seconds"] for row in history]
    final = {k.removeprefix("test_"): v for k, v in history[-1].items() if k.startswith("test_")} if history else {}
    result = {
        "model": name,
        "options": options,
        "status": summary["status"],
        "epochs": summary["epoch"],
        "parameters": counts,
        "val": final,
        "seconds_per_epoch": statistics.median(seconds) if seconds else None,
        "seconds_total": summary["seconds"],
        "history": history,
        "out_dir": str(out_dir),
    }
    if env.is_main:
        atomic_write_json(Path(out_dir) / "result.json", {**result, "command": command, "meta": meta})
        if plots and history:
            _plot_run(result, Path(out_dir), trainer.model, val if val is not None else data, env.device)
    result["module"] = trainer.model
    return result


def _plot_run(result: dict, out_dir: Path, model: nn.Module, data: ReconSlices, device: torch.device) -> None:
    from torch.utils.data import default_collate

    from ..train.plots import plot_curves
    from ..train.batches import to_device
    from .baselines import zero_filled
    from .crop import center_crop
    from .previews import save_preview

    hist = result["history"]
    curves = {"train loss": ([r["epoch"] for r in hist], [r["train_loss"] for r in hist])}
    if any("test_psnr" in r for r in hist):
        tests = [r for r in hist if "test_psnr" in r]
        plot_curves({"validation slice PSNR (dB)": ([r["epoch"] for r in tests], [r["test_psnr"] for r in tests])},
                    out_dir / "val_psnr.png", ylabel="PSNR (dB)", title=result["model"], log=False)
    plot_curves(curves, out_dir / "loss.png", ylabel="loss", title=result["model"])
    batch = to_device(default_collate([data[len(data) // 2]]), device)
    was_training = model.training
    with torch.no_grad():
        pred = ReconObjective().predict(model.eval(), batch)[0].cpu().numpy()
        zf = zero_filled(batch.kspace).abs()
    model.train(was_training)
    target = batch.target[0].cpu().numpy()
    zf = center_crop(zf, target.shape)[0].cpu().numpy()
    psnr = lambda p: 10 * np.log10(float(batch.max_value[0]) ** 2 / np.mean((p - target) ** 2))  # noqa: E731
    panels = {"target": target, f"zero-filled ({psnr(zf):.2f} dB)": zf, f"{result['model']} ({psnr(pred):.2f} dB)": pred,
              "|error|": np.abs(pred - target)}
    save_preview(out_dir / "sample.png", panels, f"{batch.fname[0]} slice {int(batch.slice_num[0])} (slice PSNR)")


def load_trained(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """(model with the checkpoint's weights, in eval mode, checkpoint meta)."""
    state = load_checkpoint(path, map_location="cpu")
    meta = state.get("meta", {})
    spec = meta.get("model")
    if not isinstance(spec, dict) or "shape" not in spec or spec.get("name") not in MODELS:
        raise MonarchError(f"checkpoint {str(path)!r} was not written by `monarch-sci mri train` (no MRI model in its meta)")
    model = build_model(spec["name"], tuple(spec["shape"]), **spec.get("options", {}))
    model.load_state_dict(state["model"])
    return model.to(device).eval(), meta


class Reconstructor:
    """A trained model as a ``reconstruct_dir`` method: (kspace (S, C, H, W), mask, maps) → images (S, H, W),
    run ``batch_size`` slices at a time without gradients."""

    def __init__(self, model: nn.Module, meta: dict, batch_size: int = 4):
        self.model, self.batch_size = model, int(batch_size)
        self.name = meta["model"]["name"]
        self.needs_maps = model_entry(self.name).needs_maps
        self.shape = tuple(meta["model"]["shape"])

    def __call__(self, kspace: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor | None) -> torch.Tensor:
        if tuple(kspace.shape[-2:]) != self.shape:
            raise MonarchError(f"the {self.name} checkpoint was trained on k-space {self.shape}, got {tuple(kspace.shape[-2:])}")
        device = next(self.model.parameters()).device
        mask = mask.expand(kspace.shape[0], *mask.shape[1:]) if mask.shape[0] == 1 else mask
        out = []
        with torch.no_grad():
            for i in range(0, kspace.shape[0], self.batch_size):
                part = slice(i, i + self.batch_size)
                maps_part = maps[part].to(device) if maps is not None else None
                out.append(self.model(kspace[part].to(device), mask[part].to(device), maps_part).cpu())
        return torch.cat(out)


__all__ = ["Reconstructor", "load_trained", "mask_from_spec", "mask_spec", "train_recon"]
