"""Two CPU processes (gloo, DDP) follow the one-process loss curve: the same global batches, the
gradient averaged over ranks and rescaled to the global sum, so only summation order differs."""

import json

import pytest
import torch
import torch.multiprocessing as mp

from monarch_sci.train import DistEnv
from tests.train.test_trainer import make_trainer, metrics


def _worker(rank: int, world: int, init: str, out_dir: str, device: str = "cpu", cuda_graph: bool = False) -> None:
    torch.set_num_threads(1)
    env = DistEnv.setup(rank, world, device=device, init_method=init)
    try:
        make_trainer(out_dir, epochs=3, name="fno2d-time", env=env, cuda_graph=cuda_graph).fit()
    finally:
        env.close()


def test_two_gloo_processes_match_one_process(tmp_path):
    single = make_trainer(tmp_path / "one", epochs=3, name="fno2d-time")
    single.fit()
    mp.spawn(_worker, args=(2, f"file://{tmp_path}/rendezvous", str(tmp_path / "two")), nprocs=2, join=True)
    _assert_same_curves(single, tmp_path / "two")


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 GPUs")
def test_two_nccl_processes_with_cuda_graphs_match_one_eager_process(tmp_path):
    """DDP's all-reduce captured with forward and backward in each rank's CUDA graph."""
    single = make_trainer(tmp_path / "one", epochs=3, name="fno2d-time", env=DistEnv(device=torch.device("cuda")))
    single.fit()
    mp.spawn(_worker, args=(2, f"file://{tmp_path}/rendezvous", str(tmp_path / "two"), "cuda", True), nprocs=2, join=True)
    _assert_same_curves(single, tmp_path / "two", rtol=1e-4)


def _assert_same_curves(single, two_dir, rtol: float = 1e-5) -> None:
    saved = json.loads((two_dir / "metrics.json").read_text())
    assert saved["world_size"] == 2
    one, two = metrics(single.log.history), metrics(saved["history"])
    assert [r["step"] for r in one] == [r["step"] for r in two]
    for a, b in zip(one, two):
        for key in ("train_loss", "test_rel_l2"):
            assert abs(a[key] - b[key]) <= rtol * abs(a[key]), (key, a[key], b[key])
