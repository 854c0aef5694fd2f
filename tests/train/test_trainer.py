"""The training loop: learning, files, exact resume (mid-epoch and after a crash), NaN guard, errors."""

import json

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.pde.models import Rollout, build_model
from monarch_sci.train import OptimizerSpec, TrainConfig, Trainer, TrainingDiverged, load_checkpoint
from tests.pde_models.synthetic import rollout_sets

METRICS = ("epoch", "step", "train_loss", "lr", "test_rel_l2", "test_rel_l2_step")


def make_trainer(out_dir, epochs=3, name="monarch-no2d-time", seed=0, callbacks=(), optimizer=None, env=None,
                 **config):
    torch.manual_seed(seed)
    train, test = rollout_sets(n_train=20, n_test=6, frames=13)
    model = build_model(name, grid=(16, 16), modes=3, width=6)
    cfg = TrainConfig(epochs=epochs, batch_size=4, progress=False, **config)
    return Trainer(model, Rollout(), train, test, optimizer or OptimizerSpec(lr=5e-3), cfg, out_dir, env=env,
                   callbacks=callbacks)


def metrics(history):
    return [{k: row[k] for k in METRICS if k in row} for row in history]


class StopAt:
    """Requests a clean stop (as SIGINT / SIGTERM do) after global step ``step``."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, info):
        if info["step"] == self.step:
            trainer.request_stop()


class CrashAt:
    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, info):
        if info["step"] == self.step:
            raise RuntimeError("simulated crash")


def test_training_reduces_the_loss_and_writes_metrics(tmp_path):
    trainer = make_trainer(tmp_path, epochs=8, name="fno2d-time", optimizer=OptimizerSpec(lr=1e-2, schedule="constant"))
    summary = trainer.fit()
    history = trainer.log.history
    assert summary["status"] == "finished" and summary["epoch"] == 8
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["test_rel_l2"] < 0.5 * history[0]["test_rel_l2"]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics(saved["history"]) == metrics(history) and saved["summary"]["status"] == "finished"
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].startswith("epoch,step,train_loss,lr,epoch_seconds")
    assert len(history[-1]["test_rel_l2_step"]) == 3
    assert not list(tmp_path.glob("*.tmp"))


def test_resume_after_a_mid_epoch_stop_reproduces_the_uninterrupted_run_bitwise(tmp_path):
    full = make_trainer(tmp_path / "full")
    full.fit()
    part = make_trainer(tmp_path / "part", callbacks=[StopAt(7)])  # epoch 2 of 3, 2 of 5 steps done
    assert part.fit()["status"] == "interrupted"
    state = load_checkpoint(tmp_path / "part" / "checkpoint.pt")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (1, 2, 7)
    resumed = make_trainer(tmp_path / "part", seed=123)  # a different init: everything comes from the checkpoint
    assert resumed.fit()["status"] == "finished"
    assert metrics(resumed.log.history) == metrics(full.log.history)
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_resume_after_a_crash_from_step_checkpoints(tmp_path):
    full = make_trainer(tmp_path / "full", epochs=2)
    full.fit()
    crashed = make_trainer(tmp_path / "crash", epochs=2, callbacks=[CrashAt(8)], checkpoint_every=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.fit()
    assert load_checkpoint(tmp_path / "crash" / "checkpoint.pt")["global_step"] == 6
    with pytest.raises(MonarchError, match="was written with batch_size=4, this run has 2"):
        Trainer(crashed.model, Rollout(), crashed.train_set, None, config=TrainConfig(batch_size=2),
                out_dir=tmp_path / "crash").fit()
    resumed = make_trainer(tmp_path / "crash", epochs=2, checkpoint_every=3)
    resumed.fit()
    assert metrics(resumed.log.history) == metrics(full.log.history)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (a checkpoint loaded onto the GPU)")
def test_resume_on_the_gpu_reproduces_the_uninterrupted_run(tmp_path):
    """The checkpoint is loaded onto the GPU; its generator states must still go back to the CPU."""
    from monarch_sci.train.distributed import DistEnv

    env = DistEnv(device=torch.device("cuda", torch.cuda.current_device()))
    full = make_trainer(tmp_path / "full", env=env)
    full.fit()
    part = make_trainer(tmp_path / "part", env=env, callbacks=[StopAt(7)])
    assert part.fit()["status"] == "interrupted"
    resumed = make_trainer(tmp_path / "part", env=env, seed=123)
    assert resumed.fit()["status"] == "finished"
    for a, b in zip(metrics(resumed.log.history), metrics(full.log.history)):
        assert a["step"] == b["step"] and a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)


class Poison:
    def on_step_end(self, trainer, info):
        if info["step"] == 7:
            with torch.no_grad():
                next(trainer.model.parameters()).fill_(float("nan"))


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, callbacks=[Poison()])
    with pytest.raises(TrainingDiverged, match=r"non-finite loss or gradient at epoch 2, step 3 .*checkpoint\.pt' \(1 epochs and 0 steps done, global step 5\) is kept"):
        trainer.fit()
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["epoch"] == 1 and state["global_step"] == 5
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point() or v.is_complex())


def test_time_budget_and_amp(tmp_path):
    trainer = make_trainer(tmp_path, epochs=50, time_budget=1e-9, amp="bf16")
    summary = trainer.fit()
    assert summary["status"] == "budget" and summary["epoch"] == 1
    assert torch.isfinite(torch.tensor(trainer.log.history[0]["train_loss"]))


def test_bad_input(tmp_path):
    with pytest.raises(MonarchError, match="amp must be one of"):
        TrainConfig(amp="fp8")
    with pytest.raises(MonarchError, match="epochs and batch_size must be >= 1"):
        TrainConfig(epochs=0)
    with pytest.raises(MonarchError, match="loss_reduction must be 'sum' or 'mean'"):
        TrainConfig(loss_reduction="max")
    with pytest.raises(MonarchError, match="checkpoint '.*missing.pt' does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(MonarchError, match="could not be read"):
        load_checkpoint(tmp_path / "junk.pt")
