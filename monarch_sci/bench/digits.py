"""Benchmark: an MLP on scikit-learn's digits, dense vs Monarch vs reverse-sparsified.

Data: ``sklearn.datasets.load_digits`` (1797 real 8x8 images shipped with scikit-learn, pixel
values / 16), split 50/50 into train and test by a seeded permutation. Model:
64 -> 128 -> 128 -> 10 with ReLU. The Monarch twin is the same model after
``monarchify(model, nblocks=4, project=False)`` (both hidden layers become MonarchLinear, fresh init;
the 128 -> 10 head stays dense). Training: full batch, Adam, cross-entropy, cosine-decayed learning
rate. Reverse sparsification branches off the Monarch run at 90 % of the steps and trains the
densified model for the last 10 % (``ReverseSparsification``), so its first 90 % is the Monarch run.
Needs scikit-learn (the ``test`` extra). Run: ``python -m monarch_sci.bench.digits``.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ..nn.convert import monarchify
from ..nn.sparsify import ReverseSparsification

HIDDEN = 128
NBLOCKS = 4
STEPS = 300
LR = 3e-3
DENSIFY_AT = 0.9


def run(seed: int = 0) -> dict:
    """Train the three models with this seed and print and return their test accuracies.

    Returns {"seed", "train_size", "test_size", "steps", "lr", "hidden", "nblocks", "densify_at",
    "accuracy": {"dense", "monarch", "reverse"} (percent), "replaced" (layer names),
    "params": {"replaced_dense", "replaced_monarch", "fraction", "model_dense", "model_monarch"},
    "torch"}; "fraction" = replaced_monarch / replaced_dense (weights and biases).
    """
    X_train, y_train, X_test, y_test = _digits(seed)

    def fit(model, optimizer, start, stop, schedule=None):
        for step in range(start, stop):
            if schedule is not None:
                schedule.step(step)
            for group in optimizer.param_groups:
                group["lr"] = LR * 0.5 * (1 + math.cos(math.pi * step / STEPS))
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train), y_train).backward()
            optimizer.step()

    def accuracy(model):
        with torch.no_grad():
            return 100 * (model(X_test).argmax(-1) == y_test).double().mean().item()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        dense = _mlp()
        optimizer = torch.optim.Adam(dense.parameters(), lr=LR)
        fit(dense, optimizer, 0, STEPS)

        torch.manual_seed(seed)
        monarch = _mlp()
        report = monarchify(monarch, nblocks=NBLOCKS, project=False)
        optimizer = torch.optim.Adam(monarch.parameters(), lr=LR)
        schedule = ReverseSparsification(monarch, optimizer, STEPS, DENSIFY_AT)
        switch = schedule.densify_step
        fit(monarch, optimizer, 0, switch, schedule)
        reverse, reverse_optimizer, schedule = copy.deepcopy((monarch, optimizer, schedule))
        fit(monarch, optimizer, switch, STEPS)
        fit(reverse, reverse_optimizer, switch, STEPS, schedule)

    result = {
        "seed": seed,
        "train_size": len(y_train),
        "test_size": len(y_test),
        "steps": STEPS,
        "lr": LR,
        "hidden": HIDDEN,
        "nblocks": NBLOCKS,
        "densify_at": DENSIFY_AT,
        "accuracy": {"dense": accuracy(dense), "monarch": accuracy(monarch), "reverse": accuracy(reverse)},
        "replaced": [change.name for change in report.replaced],
        "params": {
            "replaced_dense": report.params_before,
            "replaced_monarch": report.params_after,
            "fraction": report.params_after / report.params_before,
            "model_dense": report.model_params_before,
            "model_monarch": report.model_params_after,
        },
        "torch": torch.__version__,
    }
    acc, params = result["accuracy"], result["params"]
    print(
        f"digits seed {seed}: test accuracy dense {acc['dense']:.2f}%, monarch {acc['monarch']:.2f}%, "
        f"reverse-sparsified {acc['reverse']:.2f}%\n"
        f"replaced layers {result['replaced']}: {params['replaced_dense']} -> {params['replaced_monarch']} "
        f"parameters ({100 * params['fraction']:.1f}%); whole model {params['model_dense']} -> "
        f"{params['model_monarch']}"
    )
    return result


def _digits(seed: int):
    """(X_train, y_train, X_test, y_test): float32 pixels / 16 of shape (N, 64), int64 labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError("the digits benchmark needs scikit-learn: pip install 'monarch-sci[test]'") from err
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32) / 16
    y = torch.tensor(y, dtype=torch.int64)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    test, train = perm[: len(y) // 2], perm[len(y) // 2 :]
    return X[train], y[train], X[test], y[test]


def _mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10)
    )


if __name__ == "__main__":
    run()
