import contextlib

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.nn import FourierTransforms, KeptModes, MonarchSpectralConv, SpectralConv
from monarch_sci.nn.spectral import cached_spectral


def original_fno_2d(x, w1, w2, m1, m2):
    """The original FNO SpectralConv2d, written from the paper: two corners of the rfft2 spectrum."""
    ft = torch.fft.rfft2(x)
    out = torch.zeros(x.shape[0], w1.shape[1], x.shape[-2], x.shape[-1] // 2 + 1, dtype=ft.dtype)
    out[:, :, :m1, :m2] = torch.einsum("bixy,ioxy->boxy", ft[:, :, :m1, :m2], w1)
    out[:, :, -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", ft[:, :, -m1:, :m2], w2)
    return torch.fft.irfft2(out, s=x.shape[-2:])


@pytest.mark.parametrize("negative,positive", [((3, 2, 0), (3, 2, 4)), ((0, 3, 0), (3, 2, 7)), ((4, 0, 0), (1, 5, 2))])
def test_kept_modes_gather_and_scatter_are_adjoint_selections(negative, positive, gen):
    """gather = the kept frequencies by explicit index; scatter = zeros elsewhere; <gather S, B> = <S, scatter B>."""
    kept = KeptModes((8, 10, 12), negative, positive)
    spectrum = torch.randn(2, 3, *kept.spectrum_shape, dtype=torch.complex128, generator=gen)
    index = torch.meshgrid(*(kept.indices(i) for i in range(3)), indexing="ij")
    assert torch.equal(kept.gather(spectrum), spectrum[(Ellipsis, *index)])
    block = torch.randn(2, 3, *kept.shape, dtype=torch.complex128, generator=gen)
    full = kept.scatter(block)
    expected = torch.zeros_like(spectrum)
    expected[(Ellipsis, *index)] = block
    assert torch.equal(full, expected)
    assert torch.allclose(torch.vdot(kept.gather(spectrum).flatten(), block.flatten()),
                          torch.vdot(spectrum.flatten(), full.flatten()))
    small = KeptModes((6, 5, 8), negative[:2] + (0,), (2, 1, 3))
    for fn, shape in ((small.gather, small.spectrum_shape), (small.scatter, small.shape)):
        x = torch.randn(1, 2, *shape, dtype=torch.complex128, generator=gen, requires_grad=True)
        assert torch.autograd.gradcheck(fn, (x,)) and torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("grid", [(16, 16), (15, 17), (21, 20)])
def test_spectral_conv_is_the_original_fno_layer(grid, gen):
    m1, m2 = 4, 5
    layer = SpectralConv(3, 2, (m1, m2))
    x = torch.randn(2, 3, *grid, generator=gen)
    w = layer.weight.detach()
    w2, w1 = w[:, :, :m1], w[:, :, m1:]  # stored in ascending frequency: negative rows first
    assert torch.allclose(layer(x), original_fno_2d(x, w1, w2, m1, m2), atol=1e-6)


@pytest.mark.parametrize(
    "grid,modes",
    [((16, 16), (4, 4)), ((15, 17), (5, 6)), ((64,), (16,)), ((8, 10, 12), (3, 3, 4)), ((16, 16), (8, 9))],
)
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
@pytest.mark.parametrize("truncate", [True, False])
def test_monarch_equals_fft_version_at_init(grid, modes, norm, truncate, gen):
    torch.manual_seed(0)
    fft = SpectralConv(3, 5, modes, fft_norm=norm, bias=True)
    monarch = MonarchSpectralConv(3, 5, modes, grid, fft_norm=norm, bias=True, truncate=truncate)
    monarch.load_state_dict(fft.state_dict(), strict=False)
    x = torch.randn(2, 3, *grid, generator=gen)
    a, b = fft(x), monarch(x)
    assert (a - b).abs().max() <= 1e-5 * a.abs().max()


@pytest.mark.parametrize("grid,modes", [((16, 16), (4, 4)), ((15, 17), (5, 6)), ((64,), (16,)), ((8, 10, 12), (3, 3, 4))])
@pytest.mark.parametrize("truncate", [True, False])
def test_materialized_transforms_match_the_factored_apply(grid, modes, truncate, gen):
    """Dense matrices from the live factors (per call and cached for several calls) = factor-by-factor
    apply, in values and in the gradients of the factors, after the factors moved off the DFT."""
    torch.manual_seed(0)
    dense = MonarchSpectralConv(3, 2, modes, grid, structure="MM*", truncate=truncate, bias=True)
    for p in dense.transforms.parameters():
        p.data += 0.1 * torch.randn_like(p)
    factored = MonarchSpectralConv(3, 2, modes, grid, structure="MM*", truncate=truncate, bias=True,
                                   materialize=False)
    factored.load_state_dict(dense.state_dict())
    x = torch.randn(2, 3, *grid, generator=gen)
    results = []
    for layer, cache in ((factored, False), (dense, False), (dense, True)):
        layer.zero_grad()
        with cached_spectral(layer) if cache else contextlib.nullcontext():
            y = layer(x) + layer(x).square()  # two calls: the cached matrices serve both
        y.sum().backward()
        results.append((y.detach(), [p.grad.clone() for p in layer.transforms.parameters()]))
    (y0, g0), *rest = results
    for y, g in rest:
        assert (y - y0).abs().max() <= 1e-5 * y0.abs().max()
        assert all((a - b).abs().max() <= 1e-4 * b.abs().max() for a, b in zip(g, g0))


@pytest.mark.parametrize("grid,modes", [((16, 16), (4, 4)), ((64,), (16,)), ((8, 10, 12), (3, 3, 4))])
def test_cached_mode_major_weight_keeps_values_and_gradients(grid, modes, gen):
    """Inside ``cached_spectral`` the weight is permuted once for all calls; values and the weight's
    gradient (summed over the calls) are those of the uncached layer."""
    layer = SpectralConv(3, 2, modes, bias=True)
    x = torch.randn(2, 3, *grid, generator=gen)
    results = []
    for cache in (False, True):
        layer.zero_grad()
        with cached_spectral(layer) if cache else contextlib.nullcontext():
            y = layer(x) + layer(2 * x).square()
            if cache:
                assert layer._mode_major is not None and layer._mode_major.is_contiguous()
        y.sum().backward()
        results.append((y.detach(), layer.weight.grad.clone()))
    assert layer._mode_major is None
    (y0, g0), (y1, g1) = results
    assert torch.allclose(y1, y0, rtol=1e-5, atol=1e-6 * y0.abs().max().item())
    assert torch.allclose(g1, g0, rtol=1e-4, atol=1e-6 * g0.abs().max().item())


def test_truncated_transforms_compute_fewer_rows():
    full = MonarchSpectralConv(2, 2, (4, 4), (64, 64), truncate=False).transforms
    truncated = MonarchSpectralConv(2, 2, (4, 4), (64, 64)).transforms
    count = lambda t: sum(p.numel() for p in t.parameters())  # noqa: E731
    assert count(truncated) < 0.7 * count(full)


@pytest.mark.parametrize("learn", ["both", "forward", "inverse", "none"])
def test_learn_options_and_gradients(learn, gen):
    layer = MonarchSpectralConv(2, 2, (4, 4), (16, 16), learn=learn)
    layer(torch.randn(1, 2, 16, 16, generator=gen)).square().sum().backward()
    transforms = [p for n, p in layer.named_parameters() if n.startswith("transforms.")]
    assert len(transforms) == {"both": 8, "forward": 4, "inverse": 4, "none": 0}[learn]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())


def test_shared_transforms_across_layers():
    shared = FourierTransforms(KeptModes.fno((16, 16), (4, 4)))
    layers = torch.nn.ModuleList(MonarchSpectralConv(4, 4, (4, 4), (16, 16), transforms=shared) for _ in range(3))
    per_layer = sum(p.numel() for p in MonarchSpectralConv(4, 4, (4, 4), (16, 16), learn="none").parameters())
    assert sum(p.numel() for p in layers.parameters()) == 3 * per_layer + sum(p.numel() for p in shared.parameters())


def test_repeated_calls_build_no_index_tensors(gen):
    """After the first call a layer's gather / scatter indices and irfft weights are reused: a rollout
    step launches no arange / remainder kernels (counted at the dispatcher, forward and backward)."""
    from tests.dispatched import DispatchedOps

    x = torch.randn(2, 3, 16, 16, generator=gen, requires_grad=True)
    for layer in (SpectralConv(3, 3, (4, 4)), MonarchSpectralConv(3, 3, (4, 4), grid=(16, 16), learn="both")):
        layer(x).sum().backward()
        with DispatchedOps() as ops:
            layer(x).sum().backward()
        assert not {"arange", "remainder", "where"} & ops.names, type(layer).__name__


def test_bad_input():
    layer = MonarchSpectralConv(3, 3, (4, 4), (16, 16))
    with pytest.raises(MonarchError, match=r"built for grid \(16, 16\), got input grid \(32, 32\)"):
        layer(torch.randn(1, 3, 32, 32))
    with pytest.raises(MonarchError, match=r"expects input \(batch, 3, 2 spatial dims\), got \(1, 2, 16, 16\)"):
        layer(torch.randn(1, 2, 16, 16))
    with pytest.raises(MonarchError, match="dim 0 of grid .* keeps 9 negative and 9 non-negative modes; at most 16 modes fit"):
        SpectralConv(3, 3, (9, 4))(torch.randn(1, 3, 16, 16))
    with pytest.raises(MonarchError, match=r"shared transforms keep \(8, 4\) modes of grid \(32, 32\)"):
        MonarchSpectralConv(3, 3, (4, 4), (16, 16), transforms=FourierTransforms(KeptModes.fno((32, 32), (4, 4))))
