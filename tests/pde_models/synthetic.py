"""Tiny synthetic PDE data for model and training tests: advected, diffused band-limited fields.

u(x, t) = Σ_k c_k e^{−ν|k|²t} e^{2πi k·(x − v t)}, real part, on the periodic n×n grid: exactly
solvable, smooth, and learnable from a few samples by a small FNO.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import TensorDataset


def advection_frames(n_samples: int = 24, n: int = 16, frames: int = 14, seed: int = 0, velocity=(0.05, 0.03),
                     nu: float = 0.01) -> torch.Tensor:
    """(n_samples, frames, n, n) float32 trajectories, unit standard deviation."""
    g = torch.Generator().manual_seed(seed)
    k = torch.fft.fftfreq(n, 1 / n)
    kx, ky = torch.meshgrid(k, k, indexing="ij")
    spec = torch.complex(torch.randn(n_samples, n, n, generator=g), torch.randn(n_samples, n, n, generator=g))
    spec = spec * torch.exp(-(kx**2 + ky**2) / 8)
    out = []
    for t in range(frames):
        phase = torch.exp(-2j * torch.pi * (kx * velocity[0] + ky * velocity[1]) * t - nu * (kx**2 + ky**2) * t)
        out.append(torch.fft.ifft2(spec * phase).real)
    u = torch.stack(out, 1).float()
    return u / u.std()


def rollout_sets(n_train: int = 24, n_test: int = 8, n: int = 16, frames: int = 14, in_frames: int = 10):
    """(train, test) TensorDatasets of (x (in_frames, n, n), y (frames − in_frames, n, n))."""
    u = advection_frames(n_train + n_test, n, frames)
    x, y = u[:, :in_frames], u[:, in_frames:]
    return TensorDataset(x[:n_train], y[:n_train]), TensorDataset(x[n_train:], y[n_train:])


def write_fno_mat(path, n_samples: int = 12, n: int = 16, frames: int = 13) -> str:
    """An FNO-style .mat (MATLAB v5): 'a' (N, n, n) initial field, 'u' (N, n, n, T) time last."""
    from scipy.io import savemat

    u = advection_frames(n_samples, n, frames + 1).numpy()
    savemat(str(path), {"a": u[:, 0], "u": np.moveaxis(u[:, 1:], 1, -1)})
    return str(path)
