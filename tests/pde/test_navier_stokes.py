import math
import os

import pytest
import torch

from monarch_sci.bench import ns_resolution, ns_step
from monarch_sci.errors import MonarchError
from monarch_sci.pde.grf import GaussianRandomField
from monarch_sci.pde.navier_stokes import NavierStokes2d, fno_forcing
from monarch_sci.pde.resample import downsample_periodic
from tests.interpreted import needs_triton, run_interpreted

FNO_SIGMA = math.sqrt(2) * 7**1.5


def grid(n):
    x = torch.arange(n, dtype=torch.float64) / n
    return x[:, None], x[None, :]


@pytest.mark.parametrize("scheme", ["euler", "heun"])
@pytest.mark.parametrize("k", [(1, 0), (2, -3), (5, 4)])
def test_unforced_single_mode_decays_exactly(scheme, k):
    """u·∇w vanishes for one Fourier mode; Crank–Nicolson's error t·dt²(νλ)³/12 is below 1e-8 here."""
    n, visc, dt, T = 32, 2e-4, 1e-3, 1.0
    x, y = grid(n)
    w0 = torch.cos(2 * math.pi * (k[0] * x + k[1] * y) + 0.3)[None]
    frames, times = NavierStokes2d(n, visc, dt, scheme=scheme).solve(w0, T, record_every=0.5)
    lam = 4 * math.pi**2 * (k[0] ** 2 + k[1] ** 2)
    for r, t in enumerate(times.tolist()):
        exact = w0[0] * math.exp(-visc * lam * t)
        assert (frames[0, r] - exact).norm() / exact.norm() <= 1e-8


def test_crank_nicolson_is_second_order_for_the_linear_part():
    n, visc, T = 16, 0.05, 1.0
    x, y = grid(n)
    w0 = torch.sin(2 * math.pi * x + 0 * y)[None]
    exact = w0[0] * math.exp(-visc * 4 * math.pi**2 * T)
    errors = [(NavierStokes2d(n, visc, dt).solve(w0, T, T)[0][0, -1] - exact).norm() for dt in (0.05, 0.025)]
    assert 3.8 < errors[0] / errors[1] < 4.2


@pytest.fixture(scope="module")
def forced_run():
    n = 64
    w0 = GaussianRandomField((n, n), 2.5, 7.0, sigma=FNO_SIGMA).sample(2, torch.Generator().manual_seed(0))
    return w0, NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n)).solve(w0, T=2.0, record_every=0.5)


def test_vorticity_mean_stays_zero(forced_run):
    w0, (frames, _) = forced_run
    assert w0.mean(dim=(-2, -1)).abs().max() < 1e-14
    assert frames.mean(dim=(-2, -1)).abs().max() < 1e-13 * frames.abs().max()


def test_solution_is_finite_and_evolves(forced_run):
    w0, (frames, times) = forced_run
    assert torch.isfinite(frames).all() and times.tolist() == [0.5, 1.0, 1.5, 2.0]
    assert (frames[:, -1] - w0).norm() / w0.norm() > 0.05


def test_two_solver_grids_agree_on_the_output_grid():
    """Short horizon of the 128² vs 256² check (the full one is bench.ns_resolution.run)."""
    result = ns_resolution.run(configs=[(128, 1e-3, "euler"), (64, 1e-3, "euler")], T=0.5, output_grid=32, n_samples=1)
    assert result["rows"][1]["rel_max"] < 1e-4


def test_heun_is_closer_than_euler_at_equal_dt():
    result = ns_resolution.run(
        configs=[(32, 2.5e-4, "heun"), (32, 5e-3, "euler"), (32, 5e-3, "heun")], T=1.0, output_grid=32, n_samples=1
    )
    euler, heun = result["rows"][1]["rel_final"], result["rows"][2]["rel_final"]
    assert heun < euler / 10


def test_batch_equals_single_samples():
    n = 32
    w0 = GaussianRandomField((n, n), 2.5, 7.0, sigma=FNO_SIGMA).sample(3, torch.Generator().manual_seed(3))
    solver = NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n))
    batch, _ = solver.solve(w0, 0.1, 0.1)
    single, _ = solver.solve(w0[1:2], 0.1, 0.1)
    assert torch.allclose(batch[1:2], single, rtol=0, atol=1e-13)


@pytest.mark.parametrize("scheme", ["euler", "heun"])
def test_buffered_step_equals_the_reference_step(scheme):
    solver = NavierStokes2d(32, 1e-3, 1e-2, fno_forcing(32), scheme=scheme)
    a = b = solver.to_spectral(torch.randn(3, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    for _ in range(10):
        a, b = solver._step_reference(a), solver._step_buffered(b)
    assert torch.allclose(a, b, rtol=0, atol=1e-12 * a.abs().max().item())
    c = solver._step_buffered(b[:1])  # a new batch size gets new buffers
    assert torch.allclose(c, solver._step_reference(b[:1]), rtol=0, atol=1e-12 * a.abs().max().item())


def test_float32_tracks_float64():
    n = 32
    w0 = GaussianRandomField((n, n), 2.5, 7.0, sigma=FNO_SIGMA).sample(1, torch.Generator().manual_seed(3))
    f64, _ = NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n)).solve(w0, 1.0)
    f32, _ = NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n), dtype=torch.float32).solve(w0, 1.0)
    assert f32.dtype == torch.float32 and (f32.double() - f64).norm() / f64.norm() < 1e-4


@pytest.mark.parametrize("method", ["subsample", "spectral"])
def test_downsampling_band_limited_fields_is_exact(method):
    x, y = grid(64)
    field = lambda x, y: torch.sin(2 * math.pi * (3 * x - 5 * y)) + torch.cos(2 * math.pi * 7 * x) + 0 * y  # noqa: E731
    xs, ys = grid(16)
    assert torch.allclose(downsample_periodic(field(x, y), 16, method), field(xs, ys), atol=1e-12)


def test_bad_settings_are_named():
    with pytest.raises(MonarchError, match="even"):
        NavierStokes2d(33, 1e-3, 1e-3)
    with pytest.raises(MonarchError, match="scheme 'rk4'"):
        NavierStokes2d(32, 1e-3, 1e-3, scheme="rk4")
    with pytest.raises(MonarchError, match=r"forcing must have shape \(32, 32\)"):
        NavierStokes2d(32, 1e-3, 1e-3, forcing=torch.zeros(16, 16))
    solver = NavierStokes2d(32, 1e-3, 1e-3)
    with pytest.raises(MonarchError, match="whole number of steps"):
        solver.solve(torch.zeros(1, 32, 32), T=1.0, record_every=0.0015)
    with pytest.raises(MonarchError, match=r"shape \(B, 32, 32\)"):
        solver.solve(torch.zeros(1, 16, 16), T=1.0)
    with pytest.raises(MonarchError, match="multiple of the output grid"):
        solver.solve(torch.zeros(1, 32, 32), T=0.001, record_every=0.001, output_grid=12)
    with pytest.raises(MonarchError, match=r"impl must be one of \('auto', 'torch', 'triton'\), got 'cufft'"):
        NavierStokes2d(32, 1e-3, 1e-3, impl="cufft")
    if os.environ.get("TRITON_INTERPRET") != "1":
        with pytest.raises(MonarchError, match="impl='triton' needs a CUDA device"):
            NavierStokes2d(32, 1e-3, 1e-3, impl="triton")
    assert NavierStokes2d(32, 1e-3, 1e-3).impl == "torch"  # "auto" on the CPU


TRITON_STEPS = """
import torch
from tests.pde.test_navier_stokes import compare_impls
for dtype, tol in ((torch.float64, 1e-14), (torch.float32, 1e-6)):
    for scheme in ("euler", "heun"):
        for n in (16, 12):  # 12: a row narrower than the kernel's power-of-two tile
            compare_impls(n, dtype, scheme, tol, device="cpu")
print("ok")
"""


def compare_impls(n, dtype, scheme, tol, device, steps=5):
    """``steps`` Triton steps in one call (each update packs the next evaluation) against as many
    ``_step_reference`` steps from one random state."""
    forcing = fno_forcing(n)
    torch_path = NavierStokes2d(n, 1e-3, 1e-2, forcing, device=device, dtype=dtype, scheme=scheme, impl="torch")
    triton_path = NavierStokes2d(n, 1e-3, 1e-2, forcing, device=device, dtype=dtype, scheme=scheme, impl="triton")
    w = torch.randn(3, n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(n))
    a = torch_path.to_spectral(w)
    b = triton_path.step(a, steps)
    for _ in range(steps):
        a = torch_path._step_reference(a)
    error = ((a - b).abs().max() / a.abs().max()).item()
    assert b.dtype == a.dtype and error <= tol, f"{dtype} {scheme} n={n}: Triton step differs by {error:.1e}"


@needs_triton
def test_triton_step_matches_the_reference_in_the_interpreter():
    """The kernels' index arithmetic (the mirrored half of the spectrum, masks, complex pairs) without a GPU."""
    run_interpreted(TRITON_STEPS)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("scheme", ["euler", "heun"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_triton_step_matches_the_reference_on_cuda(dtype, scheme):
    compare_impls(64, dtype, scheme, 1e-14 if dtype == torch.float64 else 1e-6, device="cuda", steps=20)
    assert NavierStokes2d(64, 1e-3, 1e-3, device="cuda").impl == "triton"  # "auto" on CUDA


def test_step_benchmark_counts_bytes_and_times():
    result = ns_step.run(n=32, batch=2, steps=2, warmup=1)
    assert result["floor_bytes_per_step"] == 2 * (8 * 32 * 17 * 8 + 10 * 32 * 32 * 4)
    assert result["eager_bytes_per_step"] > result["triton_bytes_per_step"] > result["floor_bytes_per_step"]
    assert result["seconds_per_step"] > 0 and 0 < result["fraction_of_floor"]
    assert ns_step.step_bytes(256, 1)["floor"] == 4_734_976  # ≈ 4.73 MB per sample-step, float32


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("compile", [False, True])
def test_cuda_matches_cpu(compile):
    n = 64
    w0 = GaussianRandomField((n, n), 2.5, 7.0, sigma=FNO_SIGMA).sample(4, torch.Generator().manual_seed(0))
    cpu, _ = NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n)).solve(w0, 0.2, 0.1)
    gpu, _ = NavierStokes2d(n, 1e-3, 1e-3, fno_forcing(n), device="cuda", compile=compile).solve(w0, 0.2, 0.1)
    assert gpu.is_cuda and torch.allclose(gpu.cpu(), cpu, atol=1e-10)


def test_saved_reference_and_file_comparison(tmp_path):
    path = str(tmp_path / "ref.h5")
    ns_resolution.run(
        configs=[(32, 1e-2, "heun"), (16, 1e-2, "heun")], T=1.0, output_grid=16, n_samples=1, save_reference=path
    )
    result = ns_resolution.compare_files(path, path, output_grid=16)
    assert result["rel_max"] == 0.0 and result["params"]["solver_grid"] == 32
