"""MonarchSpectralConv inside neuraloperator's FNO (neuraloperator >= 1.0, a test dependency)."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.nn.neuralop import NeuralopMonarchSpectralConv, neuralop_conv_module

neuralop = pytest.importorskip("neuralop", reason="neuraloperator is a test dependency")


@pytest.mark.parametrize("grid,n_modes", [((32, 32), (16, 16)), ((32, 30), (13, 12)), ((32, 31), (12, 12)), ((64,), (16,))])
def test_matches_neuralop_spectral_conv_with_the_same_weights(grid, n_modes, gen):
    from neuralop.layers.spectral_convolution import SpectralConv

    torch.manual_seed(0)
    theirs = SpectralConv(3, 4, n_modes)
    ours = NeuralopMonarchSpectralConv(3, 4, n_modes, grid=grid)
    with torch.no_grad():
        ours.weight.copy_(theirs.weight.to_tensor())
        ours.bias.copy_(theirs.bias)
    x = torch.randn(2, 3, *grid, generator=gen)
    a, b = theirs(x), ours(x)
    assert (a - b).abs().max() <= 1e-5 * a.abs().max()


def test_inside_neuralop_fno_forward_and_backward(gen):
    from neuralop.models import FNO

    model = FNO(n_modes=(8, 8), hidden_channels=16, in_channels=3, out_channels=1,
                conv_module=neuralop_conv_module(grid=(32, 32)))
    y = model(torch.randn(2, 3, 32, 32, generator=gen))
    y.square().mean().backward()
    assert y.shape == (2, 1, 32, 32)
    convs = model.fno_blocks.convs
    assert all(isinstance(c, NeuralopMonarchSpectralConv) for c in convs)
    assert all(p.grad is not None for p in convs.parameters())


def test_n_modes_is_settable_up_to_the_maximum():
    layer = NeuralopMonarchSpectralConv(2, 2, (16, 16), grid=(32, 32))
    layer.n_modes = (8, 8)
    assert layer.n_modes == [8, 5] and layer.spectral_weight().shape == (2, 2, 8, 5)
    layer(torch.randn(1, 2, 32, 32))
    with pytest.raises(MonarchError, match="exceed max_n_modes"):
        layer.n_modes = (20, 20)


def test_unsupported_options_are_refused():
    with pytest.raises(MonarchError, match="supports separable=False only"):
        NeuralopMonarchSpectralConv(2, 2, (8, 8), grid=(16, 16), separable=True)
    with pytest.raises(MonarchError, match="supports factorization=None only, got 'tucker'"):
        NeuralopMonarchSpectralConv(2, 2, (8, 8), grid=(16, 16), factorization="tucker")
