"""MonarchLinear: init variance vs nn.Linear, dense reference, projection, densify, gradients, errors."""

import pytest
import torch
from torch import nn

from monarch_sci.errors import MonarchError
from monarch_sci.monarch.project import project
from monarch_sci.nn.linear import MonarchLinear, layer_shape

# (in, out, nblocks): square, expanding, shrinking, more blocks, and sizes nblocks does not divide.
SIZES = [(256, 256, 4), (128, 512, 4), (512, 128, 8), (100, 70, 4), (30, 50, 4)]


def output_variance(layer: nn.Module, x: torch.Tensor) -> float:
    """Variance over the batch of each output unit, averaged over units."""
    with torch.no_grad():
        return layer(x).var(dim=0).mean().item()


@pytest.mark.parametrize("in_features, out_features, nblocks", SIZES)
@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_init_output_variance_matches_nn_linear(in_features, out_features, nblocks, distribution, gen):
    torch.manual_seed(0)
    draw = torch.randn if distribution == "normal" else torch.rand
    x = draw(8192, in_features, generator=gen)
    monarch = [output_variance(MonarchLinear(in_features, out_features, nblocks=nblocks), x) for _ in range(4)]
    dense = [output_variance(nn.Linear(in_features, out_features), x) for _ in range(4)]
    ratio = sum(monarch) / sum(dense)
    assert 0.9 < ratio < 1.1, f"Monarch / nn.Linear output variance {ratio:.3f}"


def test_bias_init_like_nn_linear():
    torch.manual_seed(0)
    bias = MonarchLinear(400, 4000).bias
    bound = 400**-0.5
    assert bias.abs().max() <= bound and bias.abs().max() > 0.99 * bound
    assert abs(bias.var().item() - bound**2 / 3) < 0.1 * bound**2 / 3


@pytest.mark.parametrize("in_features, out_features, nblocks", [(16, 16, 4), (12, 20, 4), (10, 7, 3), (9, 14, 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_matches_dense_reference(in_features, out_features, nblocks, bias, gen):
    layer = MonarchLinear(in_features, out_features, bias=bias, nblocks=nblocks, dtype=torch.float64)
    x = torch.randn(2, 3, in_features, dtype=torch.float64, generator=gen)
    # weight through the einsum reference path, R and L read back as the canonical layout
    (k, q, p), (l, s, r) = layer_shape(in_features, out_features, nblocks)
    assert layer.R.shape == (k, q, p) and layer.L.shape == (l, s, r)
    expected = x @ layer.weight.T + (layer.bias if bias else 0)
    torch.testing.assert_close(layer(x), expected)
    torch.testing.assert_close(layer(x[0, 0]), expected[0, 0])  # unbatched input


def test_padding_zero_pads_input_and_truncates_output(gen):
    layer = MonarchLinear(10, 7, nblocks=4, dtype=torch.float64)  # padded to 12 -> 8
    assert layer.monarch.n_in == 12 and layer.monarch.n_out == 8
    x = torch.randn(5, 10, dtype=torch.float64, generator=gen)
    padded = torch.cat([x, torch.zeros(5, 2, dtype=torch.float64)], dim=1)
    torch.testing.assert_close(layer(x), layer.monarch(padded)[:, :7] + layer.bias)


@pytest.mark.parametrize("in_features, out_features, nblocks", [(64, 64, 4), (32, 48, 4), (48, 24, 2), (64, 64, 8)])
def test_from_dense_error_is_the_projection_error(in_features, out_features, nblocks, gen):
    linear = nn.Linear(in_features, out_features, dtype=torch.float64)
    W = linear.weight.detach()
    layer = MonarchLinear.from_dense(linear, nblocks=nblocks)
    best = (W - project(W, shape=layer_shape(in_features, out_features, nblocks)).to_dense()).norm()
    if in_features == out_features:  # square: the default layout of project
        assert abs((W - project(W, nblocks).to_dense()).norm() - best) < 1e-10 * best
    assert abs((W - layer.weight).norm() - best) < 1e-10 * best
    torch.testing.assert_close(layer.bias, linear.bias)
    # any other Monarch layer of this shape is further away (Theorem 1 optimality)
    other = MonarchLinear(in_features, out_features, nblocks=nblocks, dtype=torch.float64)
    with torch.no_grad():
        other.R.copy_(layer.R + 1e-3 * torch.randn(layer.R.shape, dtype=torch.float64, generator=gen))
        other.L.copy_(layer.L)
    assert (W - other.weight).norm() > best


def test_from_dense_with_padding_is_optimal_and_recovers_monarch_layers(gen):
    linear = nn.Linear(30, 21, dtype=torch.float64)  # nblocks=4 pads to 32 -> 24
    W = linear.weight.detach()
    layer = MonarchLinear.from_dense(linear, nblocks=4)
    padded = torch.zeros(24, 32, dtype=torch.float64)
    padded[:21, :30] = W
    best = (padded - project(padded, shape=layer_shape(30, 21, 4)).to_dense()).norm()
    assert abs((W - layer.weight).norm() - best) < 1e-10 * best
    # a padded Monarch layer's own weight is recovered exactly
    source = MonarchLinear(30, 21, nblocks=4, dtype=torch.float64)
    torch.testing.assert_close(MonarchLinear.from_dense(source.to_dense(), nblocks=4).weight, source.weight)


def test_from_dense_half_precision_projects_in_float32():
    linear = nn.Linear(64, 64, dtype=torch.bfloat16)
    layer = MonarchLinear.from_dense(linear)
    assert layer.R.dtype == torch.bfloat16
    expected = project(linear.weight.detach().float(), 4).to_dense()
    assert (layer.weight.float() - expected).norm() < 1e-2 * expected.norm()


@pytest.mark.parametrize("in_features, out_features, nblocks", [(64, 64, 4), (30, 50, 4)])
def test_to_dense_is_exact(in_features, out_features, nblocks, gen):
    layer = MonarchLinear(in_features, out_features, nblocks=nblocks)
    dense = layer.to_dense()
    assert type(dense) is nn.Linear and dense.weight.dtype == layer.R.dtype
    assert dense.weight.shape == (out_features, in_features)
    x = torch.randn(32, in_features, generator=gen)
    with torch.no_grad():
        assert (dense(x) - layer(x)).abs().max() <= 1e-6
    assert dense.bias is not layer.bias  # new parameters


def test_requires_grad_carries_over():
    frozen = nn.Linear(32, 32).requires_grad_(False)
    layer = MonarchLinear.from_dense(frozen)
    assert not any(p.requires_grad for p in layer.parameters())
    assert not any(p.requires_grad for p in layer.to_dense().parameters())
    assert all(p.requires_grad for p in MonarchLinear(32, 32).to_dense().parameters())


def test_no_bias_round_trip(gen):
    layer = MonarchLinear(32, 32, bias=False)
    assert layer.bias is None and "bias" not in dict(layer.named_parameters())
    dense = layer.to_dense()
    assert dense.bias is None
    assert MonarchLinear.from_dense(dense).bias is None


def test_gradients_flow_and_gradcheck(gen):
    layer = MonarchLinear(64, 48, nblocks=4)
    x = torch.randn(8, 64, generator=gen, requires_grad=True)
    layer(x).square().sum().backward()
    for tensor in (x, layer.R, layer.L, layer.bias):
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0
    small = MonarchLinear(10, 7, nblocks=4, dtype=torch.float64)
    xs = torch.randn(3, 10, dtype=torch.float64, generator=gen, requires_grad=True)
    call = lambda x, R, L, b: torch.func.functional_call(small, {"R": R, "L": L, "bias": b}, (x,))  # noqa: E731
    assert torch.autograd.gradcheck(call, (xs, small.R, small.L, small.bias))


def test_autocast_runs_the_layer_in_its_dtype_like_nn_linear(gen):
    layer, dense = MonarchLinear(64, 48, nblocks=4), torch.nn.Linear(64, 48)
    x = torch.randn(5, 64, generator=gen)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y, y_dense = layer(x), dense(x)
    assert y.dtype == y_dense.dtype == torch.bfloat16
    expected = layer(x)
    assert ((y.float() - expected).norm() / expected.norm()).item() < 2e-2  # bfloat16 rounding, not another map
    y.float().sum().backward()
    assert layer.R.grad.dtype == layer.L.grad.dtype == torch.float32 and layer.R.grad.abs().sum() > 0


def test_weight_property_is_differentiable():
    layer = MonarchLinear(16, 16)
    layer.weight.sum().backward()
    assert layer.R.grad is not None and layer.L.grad is not None


def test_parameter_count_and_repr():
    layer = MonarchLinear(256, 256, nblocks=4)
    assert sum(p.numel() for p in layer.parameters()) == 2 * 4 * 64 * 64 + 256
    text = repr(layer)
    for part in ("in_features=256", "out_features=256", "nblocks=4", "R=(4, 64, 64)", "50.2% of dense"):
        assert part in text


def test_device_and_dtype_arguments():
    layer = MonarchLinear(32, 16, device="cpu", dtype=torch.float64)
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in layer.parameters())


@pytest.mark.parametrize("nblocks", [0, -2, 2.5, True, None])
def test_bad_nblocks(nblocks):
    with pytest.raises(MonarchError, match="nblocks"):
        MonarchLinear(64, 64, nblocks=nblocks)


def test_bad_sizes():
    with pytest.raises(MonarchError, match="in_features"):
        MonarchLinear(0, 64)
    with pytest.raises(MonarchError, match="out_features"):
        MonarchLinear(64, 3.0)


@pytest.mark.parametrize("shape", [(4, 63), (4, 65), (64, 4), ()])
def test_wrong_input_width_names_expected_shape(shape):
    layer = MonarchLinear(64, 32)
    with pytest.raises(MonarchError, match=r"\(\.\.\., 64\)") as info:
        layer(torch.randn(shape))
    assert str(tuple(shape)) in str(info.value)


def test_from_dense_rejects_other_modules():
    with pytest.raises(MonarchError, match="nn.Linear"):
        MonarchLinear.from_dense(nn.Conv1d(4, 4, 1))
