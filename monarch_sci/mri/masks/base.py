"""The mask-function protocol shared by every sampling pattern (fastMRI's ``MaskFunc``).

A mask function holds lists of center fractions and accelerations and its own
``numpy.random.RandomState``. Calling it with a k-space shape (..., H, W) picks one
(center fraction, acceleration) pair, draws a mask, and returns it with the number of fully
sampled low-frequency lines. Passing ``seed`` (an int or a tuple of ints, e.g. fastMRI's
per-volume ``tuple(map(ord, fname))``) reseeds the generator for that call only and restores its
state afterwards, so the same seed always gives the same mask and leaves the stream untouched.

Shapes follow complex-valued k-space: columns (phase-encode lines) are the last dim W, not
fastMRI's dim -2 (which sits before its real/imaginary channel).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import contextlib
from typing import NamedTuple, Sequence

import numpy as np
import torch

from ...errors import MonarchError

Seed = int | tuple[int, ...] | None


class SampledMask(NamedTuple):
    """A drawn mask (float32 0/1, broadcasting against the k-space shape) and its center lines."""

    mask: torch.Tensor
    num_low_frequencies: int


@contextlib.contextmanager
def temp_seed(rng: np.random.RandomState, seed: Seed):
    """Reseed ``rng`` for the duration of the block (nothing if seed is None), then restore it."""
    if seed is None:
        yield
        return
    state = rng.get_state()
    rng.seed(seed)
    try:
        yield
    finally:
        rng.set_state(state)


def center_mask(num_cols: int, num_low: int) -> np.ndarray:
    """0/1 float32 vector with ``num_low`` ones starting at (num_cols − num_low + 1) // 2."""
    mask = np.zeros(num_cols, dtype=np.float32)
    pad = (num_cols - num_low + 1) // 2
    mask[pad : pad + num_low] = 1
    return mask


class MaskFunc(ABC):
    """Base of all mask functions: parameter checks, the choice of acceleration, seeding.

    center_fractions, accelerations: equal-length sequences; one index is drawn per call
    (``rng.randint(len)``), or with ``allow_any_combination`` one value from each
    (``rng.choice`` twice), exactly as fastMRI. seed: seeds the function's own RandomState.
    Subclasses implement ``sample(shape, offset, center_fraction, acceleration)``.
    """

    name = "mask"
    integer_accelerations = False

    def __init__(
        self,
        center_fractions: Sequence[float],
        accelerations: Sequence[float],
        allow_any_combination: bool = False,
        seed: int | None = None,
    ):
        cf, acc = _as_list(center_fractions, "center_fractions"), _as_list(accelerations, "accelerations")
        if len(cf) != len(acc) and not allow_any_combination:
            raise MonarchError(
                f"{self.name} mask: {len(cf)} center_fractions {cf} and {len(acc)} accelerations {acc} must have "
                "the same length (or pass allow_any_combination=True)"
            )
        for f in cf:
            if not 0 <= f < 1:
                raise MonarchError(f"{self.name} mask: center fractions must be in [0, 1), got {f!r}")
        for a in acc:
            if not a > 1:
                raise MonarchError(f"{self.name} mask: accelerations must be > 1, got {a!r}")
            if self.integer_accelerations and int(a) != a:
                raise MonarchError(f"{self.name} mask: accelerations must be integers (line spacing), got {a!r}")
        self.center_fractions, self.accelerations = cf, acc
        self.allow_any_combination = bool(allow_any_combination)
        self.rng = np.random.RandomState(seed)

    def choose_acceleration(self) -> tuple[float, float]:
        """One (center fraction, acceleration) pair drawn from the function's generator."""
        if self.allow_any_combination:
            return self.rng.choice(self.center_fractions), self.rng.choice(self.accelerations)
        choice = self.rng.randint(len(self.center_fractions))
        return self.center_fractions[choice], self.accelerations[choice]

    def __call__(self, shape: Sequence[int], offset: int | None = None, seed: Seed = None) -> SampledMask:
        """Draw a mask for k-space of ``shape`` (..., H, W); returns (mask, num_low_frequencies)."""
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2 or min(shape[-2:]) < 1:
            raise MonarchError(f"{self.name} mask: k-space shape must be (..., H, W) with H, W ≥ 1, got {shape}")
        with temp_seed(self.rng, seed):
            mask, num_low = self.sample(shape, offset)
        return SampledMask(mask, int(num_low))

    @abstractmethod
    def sample(self, shape: tuple[int, ...], offset: int | None) -> tuple[torch.Tensor, int]:
        """(mask broadcastable to ``shape``, number of fully sampled center lines)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(center_fractions={self.center_fractions}, accelerations={self.accelerations})"


def column_mask(values: np.ndarray, shape: tuple[int, ...]) -> torch.Tensor:
    """A length-W vector as a float32 tensor of shape (1, ..., 1, W) with len(shape) dims."""
    return torch.from_numpy(np.asarray(values, dtype=np.float32).reshape((1,) * (len(shape) - 1) + (shape[-1],)))


def _as_list(values, what: str) -> list[float]:
    """Values kept as given (ints stay ints: fastMRI slices with them), checked to be real numbers."""
    values = [values] if isinstance(values, (int, float)) else values
    try:
        out = list(values)
    except TypeError:
        raise MonarchError(f"{what} must be a number or a sequence of numbers, got {values!r}") from None
    if not out or not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in out):
        raise MonarchError(f"{what} must be a non-empty sequence of numbers, got {values!r}")
    return out


__all__ = ["MaskFunc", "SampledMask", "center_mask", "column_mask", "temp_seed"]
