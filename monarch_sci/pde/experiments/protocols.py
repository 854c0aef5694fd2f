"""Named comparison protocols: the settings behind ``monarch-sci fno compare --protocol NAME``.

Any command-line flag given explicitly overrides the protocol's value. The H200 protocols are the
issue's measurement: FNO-2D settings (modes 12, width 20, Adam 1e-3, weight decay 1e-4, batch 20,
loss summed over the batch, trained through the rollout), 1000 train / 200 test, the paper's step
schedule compressed to the epoch budget (x0.5 every epochs / 5). Monarch-NO's learnable transforms
train at the full learning rate, initialized at the exact DFT; at nu = 1e-3 only the forward DFTs learn,
as (M M*)^2 factors: Monarch-NO / FNO = 0.548 after 40 epochs (0.547 at seed 1), against 0.71 /
0.67 at a tenth of the rate (the CPU ablation's best, results/ns-v1e-3-small-cpu/README.md) and 0.63 at
twice it (results/ns-v1e-3-h200). At nu = 1e-5 both DFTs learn as single M factors: 0.91 / 0.94 after
100 epochs (seeds 0 / 1), against 0.99 for the forward DFTs at a tenth of the rate, M M* or (M M*)^2
(results/ns-v1e-5-h200); the same at nu = 1e-3 gave 1.11. Random factors instead of the exact DFT
leave Monarch-NO at the persistence baseline. Training resumes from the run directory, so a command
cut short (time limit, SIGTERM) is continued by running it again.

On H200s (commands of at most 10 minutes; each rerun continues where the last stopped):

    monarch-sci data generate ns-v1e-3 --device cuda --set scheme=heun dt=5e-3 --out out/ns3.h5  # 70 s
    monarch-sci fno compare --protocol ns-v1e-3-h200 --data out/ns3.h5 --jobs 2 \
        --out results/ns-v1e-3-h200                       # 2 GPUs: both models at once, ~2.5 min
    monarch-sci fno speed --device cuda --cuda-graph      # step-time ratio at the same width and modes

(without the ``--set`` option the recipe's published Euler dt = 1e-4 scheme takes ~42 minutes; see
results/pde_data.md), and the same with ns-v1e-5 (``--set scheme=heun dt=1e-3``) / ns-v1e-5-h200.
The full paper protocol is ``--protocol ns-v1e-3-paper`` (500 epochs). Two GPUs, data parallel:
``torchrun --nproc_per_node=2 -m monarch_sci.cli.main fno train --data out/ns3.h5 --model fno2d-time
--epochs 3 --n-train 1000 --n-test 200 --cuda-graph --out runs/ddp2`` against the same without
torchrun; the ratio of the epoch times is the speedup (1.8x on two H200s with CUDA graphs, 1.06x
eager: results/ns-v1e-3-h200/README.md).
"""

from __future__ import annotations

from ...errors import MonarchError

FNO_VS_MONARCH = ["fno2d-time", "monarch-no2d-time"]

PROTOCOLS: dict[str, dict] = {
    "ns-v1e-3-cpu": {
        "summary": "2 CPU cores, < 5 min: ns-v1e-3-small (32^2, 10 -> 40), 100 / 33 samples, width 12, modes 8, "
        "8 epochs, batch 5, cosine lr 2e-3 (transforms 2e-4); both models side by side (--jobs 2)",
        "data": "ns-v1e-3-small",
        "models": FNO_VS_MONARCH,
        "epochs": 8,
        "batch_size": 5,
        "n_train": 100,
        "n_test": 33,
        "modes": 8,
        "width": 12,
        "lr": 2e-3,
        "schedule": "cosine",
        "transform_lr": 2e-4,
        "eval_every": 4,
        "jobs": 2,
        "device": "cpu",
    },
    "ns-v1e-3-h200": {
        "summary": "one H200, <= 10 min per model: nu=1e-3, 64^2, 1000/200, 10 -> 40 steps, 40 epochs, CUDA graphs",
        "data": "ns-v1e-3",
        "models": FNO_VS_MONARCH,
        "epochs": 40,
        "batch_size": 20,
        "n_train": 1000,
        "n_test": 200,
        "steps": 40,
        "modes": 12,
        "width": 20,
        "eval_every": 5,
        "cuda_graph": True,
        "learn": "forward",
        "structure": "(MM*)^2",
        "device": "cuda",
    },
    "ns-v1e-5-h200": {
        "summary": "one H200, <= 10 min per model: nu=1e-5, 64^2, 1000/200, 10 -> 10 steps (T = 20), 100 epochs, CUDA graphs",
        "data": "ns-v1e-5",
        "models": FNO_VS_MONARCH,
        "epochs": 100,
        "batch_size": 20,
        "n_train": 1000,
        "n_test": 200,
        "steps": 10,
        "modes": 12,
        "width": 20,
        "eval_every": 5,
        "cuda_graph": True,
        "learn": "both",
        "structure": "M",
        "device": "cuda",
    },
    "ns-v1e-3-paper": {
        "summary": "the paper protocol: nu=1e-3, 500 epochs, x0.5 every 100 (about 2 h per model at 13.5 s / epoch)",
        "data": "ns-v1e-3",
        "models": FNO_VS_MONARCH,
        "epochs": 500,
        "batch_size": 20,
        "n_train": 1000,
        "n_test": 200,
        "steps": 40,
        "modes": 12,
        "width": 20,
        "eval_every": 5,
        "cuda_graph": True,
        "learn": "forward",
        "structure": "(MM*)^2",
        "device": "cuda",
    },
    "ns-v1e-5-paper": {
        "summary": "the paper protocol at nu=1e-5 (T = 20: 10 -> 10), 500 epochs",
        "data": "ns-v1e-5",
        "models": FNO_VS_MONARCH,
        "epochs": 500,
        "batch_size": 20,
        "n_train": 1000,
        "n_test": 200,
        "steps": 10,
        "modes": 12,
        "width": 20,
        "eval_every": 5,
        "cuda_graph": True,
        "learn": "both",
        "structure": "M",
        "device": "cuda",
    },
}


def get_protocol(name: str) -> dict:
    if name not in PROTOCOLS:
        raise MonarchError(f"unknown protocol {name!r}; valid protocols: {', '.join(PROTOCOLS)}")
    return dict(PROTOCOLS[name])
