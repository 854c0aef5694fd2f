"""Two CPU processes (gloo, DDP) follow the one-process loss curve: the same global batches, the
gradient averaged over ranks and rescaled to the global sum, so only summation order differs."""

import json

import torch
import torch.multiprocessing as mp

from monarch_sci.train import DistEnv
from tests.train.test_trainer import make_trainer, metrics


def _worker(rank: int, world: int, init: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    env = DistEnv.setup(rank, world, device="cpu", init_method=init)
    try:
        make_trainer(out_dir, epochs=3, name="fno2d-time", env=env).fit()
    finally:
        env.close()


def test_two_gloo_processes_match_one_process(tmp_path):
    single = make_trainer(tmp_path / "one", epochs=3, name="fno2d-time")
    single.fit()
    mp.spawn(_worker, args=(2, f"file://{tmp_path}/rendezvous", str(tmp_path / "two")), nprocs=2, join=True)
    saved = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert saved["world_size"] == 2
    one, two = metrics(single.log.history), metrics(saved["history"])
    assert [r["step"] for r in one] == [r["step"] for r in two]
    for a, b in zip(one, two):
        for key in ("train_loss", "test_rel_l2"):
            assert abs(a[key] - b[key]) <= 1e-5 * abs(a[key]), (key, a[key], b[key])
