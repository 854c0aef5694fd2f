"""The learned 2-D DFT kernels (``kernels.learned_rfft2``) against a complex128 reference: outputs and
the gradients of x, D and W, on the GPU and in Triton's interpreter; the spectral layer's dispatch."""

import pytest
import torch

from monarch_sci.kernels import learned_rfft2_supported
from monarch_sci.nn.spectral import FourierTransforms, MonarchSpectralConv, real_input_columns
from tests.interpreted import needs_triton, run_interpreted

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device (the kernels are Triton on GPU)")

# (B, C, n1, n2, m1, m2): the FNO-2D layer (64², 12 modes), non-powers of two, a wide grid, one sample
SHAPES = [(3, 5, 64, 64, 24, 13), (2, 3, 20, 36, 10, 7), (1, 2, 128, 96, 40, 33), (1, 1, 8, 12, 3, 2)]


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a = a.detach().to(torch.complex128 if b.is_complex() else torch.float64)
    return ((a - b.detach()).norm() / b.detach().norm()).item()


def check(shape, device: str, strided: bool = False, tol: float = 1e-5) -> None:
    """learned_rfft2's Z and its x, D, W gradients against Z = D x (W_re + i W_im) in complex128; with
    ``strided`` a non-contiguous x and a mode-major output gradient, as in the FNO layer."""
    from monarch_sci.kernels.learned_dft import learned_rfft2

    B, C, n1, n2, m1, m2 = shape
    g = torch.Generator(device=device).manual_seed(sum(shape))
    x64 = torch.randn(B, C, n1, n2, dtype=torch.float64, device=device, generator=g)
    D64 = torch.randn(m1, n1, dtype=torch.complex128, device=device, generator=g) / n1 ** 0.5
    W64 = real_input_columns(torch.randn(m2, n2, dtype=torch.complex128, device=device, generator=g) / n2 ** 0.5)
    gz = torch.randn(m1, m2, B, C, dtype=torch.complex128, device=device, generator=g).permute(2, 3, 0, 1)
    x = x64.float()
    if strided:
        x = x.transpose(0, 1).contiguous().transpose(0, 1)
    x, D, W = (t.requires_grad_() for t in (x, D64.to(torch.complex64), W64.float()))
    x64, D64, W64 = (t.requires_grad_() for t in (x64, D64, W64))
    z = learned_rfft2(x, D, W)
    z64 = D64 @ (x64.to(torch.complex128) @ torch.view_as_complex(W64.unflatten(1, (m2, 2)).contiguous()))
    assert z.shape == (B, C, m1, m2) and z.dtype == torch.complex64
    assert z.permute(2, 3, 0, 1).is_contiguous(), "the output is a view of a mode-major tensor"
    assert rel(z, z64) < tol
    out = gz.to(torch.complex64)
    grads = torch.autograd.grad(z, (x, D, W), out if strided else out.contiguous())
    grads64 = torch.autograd.grad(z64, (x64, D64, W64), gz)
    for name, a, b in zip("xDW", grads, grads64):
        assert rel(a, b) < tol, f"gradient of {name}: {rel(a, b):.2e}"


INTERPRETED = """
from tests.kernels.test_learned_dft import SHAPES, check
for shape in SHAPES[1:]:
    check(shape, "cpu", strided=True)
check((2, 2, 16, 16, 5, 4), "cpu")
print("ok")
"""


@needs_triton
def test_kernels_match_reference_in_the_triton_interpreter():
    """Index arithmetic, masks, strides and the per-program gradient partials, without a GPU."""
    run_interpreted(INTERPRETED)


def test_cpu_tensors_take_the_torch_path():
    D = torch.zeros(3, 8, dtype=torch.complex64)
    W = torch.zeros(8, 4)
    assert not learned_rfft2_supported(torch.zeros(1, 1, 8, 8), D, W)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
def test_matches_reference_on_the_gpu(shape, strided, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    check(shape, "cuda", strided)


@pytest.mark.gpu
@needs_cuda
def test_spectral_layer_dispatches_to_the_kernel_and_agrees_with_the_torch_path(monkeypatch):
    """A Monarch-NO layer on CUDA runs the kernel; the same layer with the kernel switched off gives the
    same output and gradients."""
    from monarch_sci import kernels
    from monarch_sci.nn import spectral

    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    torch.manual_seed(0)
    layer = MonarchSpectralConv(6, 5, (12, 12), (64, 64), learn="forward", structure="MM*").cuda()
    x = torch.randn(4, 6, 64, 64, device="cuda", requires_grad=True)
    calls = []
    monkeypatch.setattr(spectral, "learned_rfft2", lambda *a: calls.append(1) or kernels.learned_rfft2(*a))
    results = []
    for fused in (True, False):
        monkeypatch.setattr(spectral, "learned_rfft2_supported", lambda *a, on=fused: on)
        y = layer(x)
        results.append((y, *torch.autograd.grad(y.square().sum(), (x, *layer.transforms.parameters()))))
    assert len(calls) == 1
    for a, b in zip(*results):
        assert rel(a, b) < 1e-5
    assert isinstance(layer.transforms, FourierTransforms)
