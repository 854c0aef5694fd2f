"""CUDA-graph training steps: the same losses and weights as the eager loop; clear errors elsewhere."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.train import OptimizerSpec, TrainConfig
from monarch_sci.train.graphed import GraphedStep
from tests.train.test_trainer import make_trainer

CUDA = torch.cuda.is_available()


def test_cuda_graph_needs_cuda(tmp_path):
    with pytest.raises(MonarchError, match="cuda_graph needs a CUDA device, got cpu"):
        make_trainer(tmp_path, cuda_graph=True)


def test_graphed_step_rejects_cpu_parameters():
    with pytest.raises(MonarchError, match="one CUDA device"):
        GraphedStep(list(torch.nn.Linear(2, 2).parameters()), lambda batch: batch)


@pytest.mark.skipif(not CUDA, reason="needs CUDA")
@pytest.mark.parametrize("name", ["fno2d-time", "monarch-no2d-time"])
def test_graphed_training_matches_eager(tmp_path, name):
    """Same seed and data, 3 epochs of 5 steps with a step schedule: the same losses and weights."""
    from monarch_sci.train import DistEnv

    env = DistEnv(device=torch.device("cuda"))
    runs = {}
    for graph in (False, True):
        trainer = make_trainer(tmp_path / str(graph), epochs=3, name=name, env=env, cuda_graph=graph,
                               optimizer=OptimizerSpec(lr=5e-3, schedule="step", step_size=1))
        trainer.fit()
        runs[graph] = ([row["train_loss"] for row in trainer.log.history],
                       torch.cat([p.detach().flatten() for p in trainer.model.parameters()]))
    (eager_loss, eager_w), (graph_loss, graph_w) = runs[False], runs[True]
    assert graph_loss == pytest.approx(eager_loss, rel=1e-4)
    assert (graph_w - eager_w).abs().max() <= 1e-4 * eager_w.abs().max()
