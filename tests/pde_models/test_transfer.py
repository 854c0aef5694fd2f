"""Resolution transfer: resampling maps, FNO at the new grid at init, consistency after training."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.nn import MonarchSpectralConv
from monarch_sci.pde.models import build_model
from monarch_sci.pde.models.transfer import Resampled, at_resolution, spectral_resample


@pytest.mark.parametrize("n,N", [(16, 32), (15, 32), (16, 33), (15, 31), (16, 24), (8, 8)])
def test_sampling_is_the_left_inverse_of_interpolation(n, N, gen):
    x = torch.randn(3, n, n, generator=gen, dtype=torch.float64)
    up = spectral_resample(x, (N, N))
    assert up.dtype == x.dtype and up.shape == (3, N, N)
    assert torch.allclose(spectral_resample(up, (n, n)), x, atol=1e-12)
    if N % n == 0:  # interpolation keeps the values at the old points
        assert torch.allclose(up[:, :: N // n, :: N // n], x, atol=1e-12)


def test_interpolation_is_exact_for_band_limited_fields():
    n, N = 12, 36
    grid = lambda s: torch.arange(s, dtype=torch.float64) / s  # noqa: E731
    f = lambda x: torch.sin(2 * torch.pi * 3 * x) + torch.cos(2 * torch.pi * 5 * x)  # noqa: E731
    assert torch.allclose(spectral_resample(f(grid(n))[None], (N,))[0], f(grid(N)), atol=1e-12)


def test_rebuilt_rows_are_the_interpolated_learned_rows(gen):
    """For rows without Nyquist content: (N/n) A_n S x = A_N x with A_N the rows' interpolant on the N-grid."""
    n, N, m = 16, 40, 5
    rows = torch.randn(m, n, generator=gen, dtype=torch.complex128)
    spectrum = torch.fft.fft(rows)
    spectrum[:, n // 2] = 0
    rows = torch.fft.ifft(spectrum)
    rebuilt = spectral_resample(rows, (N,))  # each row's trigonometric interpolant on the N-grid
    x = torch.randn(N, generator=gen, dtype=torch.float64).to(torch.complex128)
    assert torch.allclose(rebuilt @ x, (N / n) * rows @ spectral_resample(x[None], (n,))[0], atol=1e-10)


@pytest.mark.parametrize("fno,mno,options,shape,fine,call", [
    ("fno2d-time", "monarch-no2d-time", dict(grid=(16, 16), modes=4, width=8), (2, 10, 32, 32), None, {"steps": 2}),
    ("fno2d-time", "monarch-no2d-time", dict(grid=(16, 16), modes=4, width=8), (2, 10, 24, 20), None, {"steps": 2}),
    ("fno1d", "monarch-no1d", dict(grid=(32,), modes=6, width=8), (2, 1, 64), None, {}),
    ("fno3d", "monarch-no3d", dict(grid=(12, 12), steps=6, modes=3, width=4), (1, 10, 24, 24), None, {}),
])
def test_transferred_monarch_no_is_fno_at_the_new_resolution_at_init(fno, mno, options, shape, fine, call, gen):
    torch.manual_seed(0)
    a = build_model(fno, **options)
    b = build_model(mno, **options)
    b.load_state_dict(a.state_dict(), strict=False)
    x = torch.randn(*shape, generator=gen)
    ya, yb = a(x, **call), at_resolution(b)(x, **call)
    assert (ya - yb).abs().max() <= 2e-5 * ya.abs().max()


def _perturb(module, scale=0.05):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "transforms." in name:
                p.add_(scale * p.abs().mean() * torch.randn_like(p))


def test_trained_layer_commutes_with_refinement(gen):
    """K_N(U x) = U K_n(x) for a layer whose transforms moved away from the DFT."""
    torch.manual_seed(0)
    layer = MonarchSpectralConv(3, 2, (4, 5), (16, 16), bias=True)
    _perturb(layer)
    x = torch.randn(2, 3, 16, 16, generator=gen)
    fine = Resampled(layer)
    for N in [(32, 32), (24, 40)]:
        expected = spectral_resample(layer(x), N)
        assert (fine(spectral_resample(x, N)) - expected).abs().max() <= 1e-5 * expected.abs().max()


def test_transfer_keeps_the_trained_model_on_its_grid_and_copies(gen):
    model = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8)
    _perturb(model)
    moved = at_resolution(model)
    x = torch.randn(2, 10, 16, 16, generator=gen)
    assert torch.equal(moved(x, steps=2), model(x, steps=2))
    assert moved is not model and sum(isinstance(m, Resampled) for m in moved.modules()) == 4
    y = moved(torch.randn(1, 10, 32, 32, generator=gen), steps=2)
    assert y.shape == (1, 2, 32, 32) and torch.isfinite(y).all()


def test_transfer_refuses_modes_at_the_nyquist_frequency():
    with pytest.raises(MonarchError, match="resolution transfer needs kept modes below n/2"):
        Resampled(MonarchSpectralConv(2, 2, (8, 4), (16, 16)))
