import h5py
import numpy as np
import pytest

MATLAB_73_HEADER = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."


def write_v73(path, arrays: dict[str, np.ndarray]) -> None:
    """An HDF5 file as MATLAB -v7.3 writes it: 512-byte user block with the MAT header, axes reversed."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=np.asarray(value).T)
    header = MATLAB_73_HEADER.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as handle:
        handle.write(header)


@pytest.fixture
def ns_arrays():
    """FNO Navier–Stokes-shaped arrays: a (N, s, s), u (N, s, s, T), t (1, T)."""
    rng = np.random.default_rng(0)
    return {
        "a": rng.standard_normal((3, 8, 8)).astype(np.float32),
        "u": rng.standard_normal((3, 8, 8, 5)).astype(np.float32),
        "t": np.arange(1.0, 6.0)[None],
    }


@pytest.fixture
def darcy_arrays():
    rng = np.random.default_rng(1)
    return {"coeff": np.where(rng.standard_normal((4, 9, 9)) > 0, 12.0, 3.0), "sol": rng.random((4, 9, 9))}
