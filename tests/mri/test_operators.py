"""SENSE = Mask ∘ F ∘ CoilMaps: adjoint tests (FFT and Monarch F), normal operator Hermitian PSD,
coil combination, RSS, batching, learnability and shape errors."""

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.linops import FFT
from monarch_sci.mri import coil_combine, kspace_to_images, monarch_fft2, rss, sense_adjoint, sense_operator

CD = torch.complex128


def _maps(*shape, seed=0):
    return torch.randn(*shape, dtype=CD, generator=torch.Generator().manual_seed(seed))


def _mask(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.5


CASES = {
    "fft-column-mask": lambda: sense_operator(_maps(4, 16, 12), _mask(1, 1, 12)),
    "fft-2d-mask": lambda: sense_operator(_maps(4, 16, 12), _mask(1, 16, 12)),
    "fft-no-mask": lambda: sense_operator(_maps(4, 16, 12)),
    "fft-batched-slices": lambda: sense_operator(_maps(3, 4, 16, 12), _mask(3, 1, 1, 12)),
    "fft-shared-mask-over-slices": lambda: sense_operator(_maps(3, 4, 16, 12), _mask(1, 1, 12)),
    "fft-odd-sizes": lambda: sense_operator(_maps(2, 9, 7), _mask(1, 1, 7)),
    "monarch": lambda: sense_operator(_maps(4, 16, 12), _mask(1, 1, 12), fourier="monarch"),
    "monarch-batched": lambda: sense_operator(_maps(2, 3, 16, 16), _mask(2, 1, 1, 16), fourier="monarch"),
    "monarch-injected": lambda: sense_operator(_maps(4, 16, 12), _mask(1, 1, 12), fourier=monarch_fft2((4, 16, 12), dtype=CD)),
}


@pytest.mark.parametrize("name", CASES)
def test_sense_adjoint(name):
    A = CASES[name]()
    assert A.adjoint_test(generator=torch.Generator().manual_seed(2)) < 1e-10
    assert A.normal().adjoint_test(generator=torch.Generator().manual_seed(3)) < 1e-10


@pytest.mark.parametrize("coils", [1, 3])
@pytest.mark.parametrize("fourier", ["fft", "monarch"])
def test_normal_operator_hermitian_psd(fourier, coils):
    A = sense_operator(_maps(coils, 8, 8), _mask(1, 1, 8), fourier=fourier)
    N = A.normal().to_dense(CD)
    assert (N - N.conj().T).abs().max().item() < 1e-10
    eig = torch.linalg.eigvalsh(N)
    assert eig.min().item() > -1e-10
    if coils == 1:  # one coil, half the lines: rank deficient, PSD but not PD
        assert eig.min().item() < 1e-8 < eig.max().item()


def test_adjoint_is_coil_combination_of_zero_filled_images():
    maps, mask = _maps(4, 16, 12), _mask(1, 1, 12)
    y = _maps(4, 16, 12, seed=5)
    expected = coil_combine(kspace_to_images(y * mask), maps, dim=0)
    assert torch.allclose(sense_adjoint(y, maps, mask), expected, atol=1e-12)


def test_forward_matches_explicit_model():
    maps, mask = _maps(2, 4, 16, 12), _mask(2, 1, 1, 12)
    x = _maps(2, 16, 12, seed=7)
    F = FFT((16, 12), (-2, -1), centered=True)
    assert torch.allclose(sense_operator(maps, mask)(x), mask * F(maps * x[:, None]), atol=1e-12)


def test_rss():
    imgs = _maps(5, 4, 6)
    assert torch.allclose(rss(imgs, dim=0), imgs.abs().pow(2).sum(0).sqrt())


def test_monarch_sense_is_learnable():
    F = monarch_fft2((4, 16, 12), dtype=CD)
    A = sense_operator(_maps(4, 16, 12), _mask(1, 1, 12), fourier=F)
    A.H(A(_maps(16, 12, seed=3))).abs().pow(2).sum().backward()
    grads = [p.grad for stage in F.stages for p in stage.parameters()]
    assert grads and all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)


def test_shape_errors():
    with pytest.raises(MonarchError, match="complex"):
        sense_operator(torch.randn(4, 16, 12), None)
    with pytest.raises(MonarchError, match="does not broadcast"):
        sense_operator(_maps(4, 16, 12), _mask(1, 1, 10))
    with pytest.raises(MonarchError, match="slice dims"):
        sense_operator(_maps(3, 4, 16, 12), _mask(2, 1, 1, 12))
    with pytest.raises(MonarchError, match="coil images are"):
        sense_operator(_maps(4, 16, 12), None, fourier=FFT((3, 16, 12), (-2, -1), centered=True))
    with pytest.raises(MonarchError, match="valid names"):
        sense_operator(_maps(4, 16, 12), None, fourier="dct")
    with pytest.raises(MonarchError, match="coil images"):
        coil_combine(_maps(3, 8, 8), _maps(4, 8, 8), dim=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("fourier", ["fft", "monarch"])
def test_sense_on_gpu_matches_cpu(fourier):
    from monarch_sci.mri import sense

    maps, mask = _maps(2, 4, 16, 12), _mask(2, 1, 1, 12)
    A_gpu = sense_operator(maps.cuda(), mask.cuda(), fourier=fourier)
    assert A_gpu.adjoint_test() < 1e-10
    x = _maps(2, 16, 12, seed=9)
    y_cpu = sense_operator(maps, mask, fourier=fourier)(x)
    assert torch.allclose(A_gpu(x.cuda()).cpu(), y_cpu, atol=1e-10)
    k = y_cpu.to(torch.complex64)
    x_gpu = sense(k.cuda(), mask.float().cuda(), maps.to(torch.complex64).cuda(), max_iter=5, fourier=fourier)
    x_cpu = sense(k, mask.float(), maps.to(torch.complex64), max_iter=5, fourier=fourier)
    assert x_gpu.is_cuda and ((x_gpu.cpu() - x_cpu).abs().max() / x_cpu.abs().max()).item() < 1e-4


@pytest.mark.parametrize("shape", [(6, 8), (5, 7)])
@pytest.mark.parametrize("masked", [True, False])
def test_centered_fft_ramps_folded_into_maps_and_mask_keep_the_values(shape, masked):
    from monarch_sci.linops import Mask, Multiply

    g = torch.Generator().manual_seed(3)
    maps = torch.randn(2, 3, *shape, generator=g, dtype=torch.complex128)
    mask = (torch.rand(2, 1, 1, shape[1], generator=g) < 0.6).double()
    x = torch.randn(2, *shape, generator=g, dtype=torch.complex128)
    y = torch.randn(2, 3, *shape, generator=g, dtype=torch.complex128)
    A = sense_operator(maps, mask if masked else None)
    explicit = FFT((3, *shape), dims=(-2, -1), centered=True) @ Multiply(maps, shape, batch_dims=1)
    if masked:
        explicit = Mask(mask, (3, *shape), batch_dims=1) @ explicit
    assert "FFT2c" not in A.name  # the centering lives in the maps and the mask
    tol = 0 if shape[0] % 2 == 0 else 1e-13  # ±1 ramps for even sizes: bitwise equal
    assert (A(x) - explicit(x)).abs().max() <= tol * explicit(x).abs().max()
    assert (A.H(y) - explicit.H(y)).abs().max() <= max(tol, 1e-15) * explicit.H(y).abs().max()
