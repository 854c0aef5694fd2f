"""Training data, objective, exact resume and reuse of learned reconstructions (tiny simulated volumes)."""

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.mri import create_mask, psnr, sense
from monarch_sci.mri.training import Reconstructor, load_trained, mask_from_spec, mask_spec, train_recon
from monarch_sci.mri.training_data import ReconSlices
from monarch_sci.mri.training_eval import evaluate_slices, mean_metrics
from monarch_sci.mri.training_objective import ReconObjective
from monarch_sci.train import OptimizerSpec, TrainConfig, save_checkpoint

MASK = mask_spec("equispaced", [0.08], [4])


@pytest.fixture(scope="module")
def data(sim_dir):
    return ReconSlices(sim_dir, mask_from_spec(MASK), maps="file")


def test_samples_hold_masked_kspace_maps_and_targets(data):
    s = data[4]
    assert s.kspace.shape == s.maps.shape == (8, 96, 48) and s.mask.shape == (1, 1, 48) and s.target.shape == (48, 48)
    assert s.kspace.dtype == s.maps.dtype == torch.complex64 and s.mask.dtype == torch.float32
    assert (s.kspace[..., s.mask[0, 0] == 0] == 0).all() and s.max_value > 0
    assert data.shape == (96, 48) and data.describe()["slices"] == 6 and data.num_volumes == 2


def test_mask_seeding_per_volume_or_fixed(sim_dir):
    func = create_mask("random", [0.08], [4])
    per_volume = ReconSlices(sim_dir, func, maps="file")
    fixed = ReconSlices(sim_dir, func, mask_seed=3, maps="file")
    assert torch.equal(per_volume[0].mask, per_volume[2].mask) and not torch.equal(per_volume[0].mask, per_volume[3].mask)
    assert torch.equal(fixed[0].mask, fixed[3].mask)
    assert len(ReconSlices(sim_dir, func, maps="file", volumes=1)) == 3


def test_maps_cache_is_reused(sim_dir, tmp_path):
    func = create_mask("equispaced", [0.25], [4])
    first = ReconSlices(sim_dir, func, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 2  # one file per volume
    again = ReconSlices(sim_dir, func, cache_dir=tmp_path)
    assert all(torch.equal(first._maps[k], again._maps[k]) for k in first._maps)


def test_dataset_errors(sim_dir, tmp_path):
    func = mask_from_spec(MASK)
    with pytest.raises(MonarchError, match="needs a mask function"):
        ReconSlices(sim_dir, None)
    with pytest.raises(MonarchError, match="valid sources: espirit, file"):
        ReconSlices(sim_dir, func, maps="truth")
    with pytest.raises(MonarchError, match="mask_seed must be"):
        ReconSlices(sim_dir, func, mask_seed="slice", maps="file")
    with pytest.raises(MonarchError, match="volumes must be between 1 and the 2 files"):
        ReconSlices(sim_dir, func, maps="file", volumes=3)
    with pytest.raises(MonarchError, match="no .h5 files"):
        ReconSlices(tmp_path, func)
    with pytest.raises(MonarchError, match="'type', 'center_fractions' and 'accelerations'"):
        mask_from_spec({"type": "random"})


def test_objective_losses_and_metrics_match_their_definitions(data):
    batch = torch.utils.data.default_collate([data[0], data[1]])

    class Exact(torch.nn.Module):  # a "model" returning the target padded to the k-space grid
        def forward(self, kspace, mask, maps):
            return torch.nn.functional.pad(batch.target, (0, 0, 24, 24)) * 1.1

    for loss in ("l1", "ssim", "ssim-l1"):
        values = ReconObjective(loss).losses(Exact(), batch)
        assert values.shape == (2,) and (values > 0).all()
    l1 = ReconObjective("l1").losses(Exact(), batch)
    assert torch.allclose(l1, 0.1 * batch.target.flatten(1).mean(1) / batch.max_value)
    m = ReconObjective().metrics(Exact(), batch)
    ref = psnr(batch.target[0].numpy(), 1.1 * batch.target[0].numpy(), maxval=float(batch.max_value[0]))
    assert abs(m["psnr"][0].item() - ref) < 1e-4
    with pytest.raises(MonarchError, match="valid losses: l1, ssim, ssim-l1"):
        ReconObjective("l2")


def test_msense_trains_resumes_exactly_and_reconstructs(data, tmp_path):
    config = TrainConfig(epochs=2, batch_size=2, progress=False, loss_reduction="mean")
    spec = OptimizerSpec(lr=1e-3, weight_decay=0.0, schedule="constant")
    options = {"iterations": 3}
    full = train_recon("msense", data, tmp_path / "full", config, spec, options, val=data, mask=MASK, plots=False)
    once = TrainConfig(epochs=1, batch_size=2, progress=False, loss_reduction="mean")
    train_recon("msense", data, tmp_path / "resumed", once, spec, options, mask=MASK, plots=False)
    resumed = train_recon("msense", data, tmp_path / "resumed", config, spec, options, val=data, mask=MASK, plots=False)
    assert resumed["epochs"] == 2 and [h["train_loss"] for h in resumed["history"]] == [h["train_loss"] for h in full["history"]]
    for a, b in zip(full["module"].state_dict().values(), resumed["module"].state_dict().values()):
        assert torch.equal(a, b)
    model, meta = load_trained(tmp_path / "full" / "checkpoint.pt")
    assert meta["mask"] == MASK and meta["model"]["options"] == options and meta["maps"] == "file"
    learned = mean_metrics(evaluate_slices(Reconstructor(model, meta), data))
    baseline = mean_metrics(evaluate_slices(lambda k, m, s: sense(k, m, s, max_iter=3, tol=0), data))
    assert learned["NMSE"] < baseline["NMSE"]  # two epochs on the training slices already help
    assert abs(full["val"]["psnr"] - resumed["val"]["psnr"]) < 1e-9


def test_training_errors(data, tmp_path):
    with pytest.raises(MonarchError, match="no trainable parameters"):
        train_recon("msense", data, tmp_path / "none", options={"learn": "none"}, plots=False)
    save_checkpoint(tmp_path / "other.pt", {"model": {}, "meta": {"model": {"name": "fno2d-time"}}})
    with pytest.raises(MonarchError, match="not written by `monarch-sci mri train`"):
        load_trained(tmp_path / "other.pt")
    model = torch.nn.Linear(1, 1)
    rec = Reconstructor(model, {"model": {"name": "msense", "shape": [32, 32]}})
    with pytest.raises(MonarchError, match="trained on k-space \\(32, 32\\)"):
        rec(data[0].kspace[None], data[0].mask[None], data[0].maps[None])
