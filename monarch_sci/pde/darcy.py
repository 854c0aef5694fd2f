"""2-D Darcy flow −∇·(a ∇u) = f on the unit square, u = 0 on the boundary: FNO's second data set.

Second-order finite differences on the K × K node grid x_i = i / (K − 1) (boundary nodes included), the
5-point stencil with face coefficients the mean of the two nodes (as FNO's MATLAB ``solve_gwf.m``):

    (1/h²) Σ_{faces} a_face (u_P − u_neighbour) = f_P  at each of the (K − 2)² interior nodes,  h = 1/(K−1)

solved by a sparse direct solve (scipy ``spsolve``, SuperLU) per sample: every coefficient gives a
different matrix, so "batched" is a loop of factorizations, on the CPU. The FNO coefficient is
a = 12 where a Neumann GRF N(0, (−Δ + 9I)^{−2}) is ≥ 0 and 3 elsewhere (see :func:`threshold_coefficient`).
FNO's MATLAB script also interpolates the coefficient from cell centres to the nodes and the solution
back; here the thresholded field is taken as the nodal coefficient directly (a sub-cell shift).

>>> a = torch.ones(2, 33, 33, dtype=torch.float64)
>>> u = solve_darcy(a)           # −Δu = 1
>>> u.shape, float(u[0, 16, 16]) > 0.07
(torch.Size([2, 33, 33]), True)
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..errors import MonarchError


def threshold_coefficient(field: torch.Tensor, high: float = 12.0, low: float = 3.0) -> torch.Tensor:
    """ψ(field): ``high`` where field ≥ 0, ``low`` elsewhere (FNO's piecewise-constant coefficient)."""
    return torch.where(field >= 0, torch.as_tensor(high, dtype=field.dtype), torch.as_tensor(low, dtype=field.dtype))


def darcy_matrix(a: np.ndarray):
    """The (K−2)² × (K−2)² scipy CSR matrix of −∇·(a∇·) for one nodal coefficient a (K, K)."""
    import scipy.sparse as sp

    K = a.shape[0]
    m = K - 2
    h2 = (K - 1) ** 2
    ax = 0.5 * (a[1:, 1:-1] + a[:-1, 1:-1])  # faces between nodes (i, j) and (i+1, j): (K-1, K-2)
    ay = 0.5 * (a[1:-1, 1:] + a[1:-1, :-1])  # faces between (i, j) and (i, j+1): (K-2, K-1)
    diag = (ax[:-1] + ax[1:] + ay[:, :-1] + ay[:, 1:]) * h2  # (m, m)
    index = np.arange(m * m).reshape(m, m)
    rows = [index.ravel()]
    cols = [index.ravel()]
    vals = [diag.ravel()]
    # neighbours in x (dim 0) and y (dim 1); each interior face couples two unknowns symmetrically
    for p, q, w in (
        (index[:-1, :], index[1:, :], ax[1:-1, :]),
        (index[:, :-1], index[:, 1:], ay[:, 1:-1]),
    ):
        rows += [p.ravel(), q.ravel()]
        cols += [q.ravel(), p.ravel()]
        vals += [-w.ravel() * h2, -w.ravel() * h2]
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m * m, m * m))


def solve_darcy(
    a: torch.Tensor,
    f: float | torch.Tensor = 1.0,
    callback: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Solve −∇·(a∇u) = f, u|∂Ω = 0 for each nodal coefficient a (B, K, K); returns u (B, K, K) float64.

    f is a number or a tensor (K, K) / (B, K, K) of nodal values (only the interior is used).
    ``callback(i, B)`` runs after each sample.
    """
    from scipy.sparse.linalg import spsolve

    if a.ndim != 3 or a.shape[-1] != a.shape[-2] or a.shape[-1] < 3:
        raise MonarchError(f"Darcy coefficient must have shape (B, K, K) with K >= 3, got {tuple(a.shape)}")
    B, K, _ = a.shape
    a_np = a.detach().cpu().double().numpy()
    if (a_np <= 0).any() or not np.isfinite(a_np).all():
        raise MonarchError(
            "Darcy coefficient must be finite and positive everywhere (the problem is elliptic only then)"
        )
    f_np = np.broadcast_to(
        np.asarray(f.detach().cpu().double() if isinstance(f, torch.Tensor) else f, dtype=np.float64), (B, K, K)
    )
    u = np.zeros((B, K, K))
    for i in range(B):
        rhs = np.ascontiguousarray(f_np[i, 1:-1, 1:-1]).ravel()
        u[i, 1:-1, 1:-1] = spsolve(darcy_matrix(a_np[i]), rhs, permc_spec="MMD_AT_PLUS_A").reshape(K - 2, K - 2)
        if callback is not None:
            callback(i + 1, B)
    return torch.from_numpy(u)
