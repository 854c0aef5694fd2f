"""Registry, shapes, FNO = Monarch-NO at init with the same weights, bad input."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.pde.models import Persistence, available_models, build_model
from monarch_sci.train import autocast

PAIRS = [
    ("fno2d-time", "monarch-no2d-time", dict(grid=(16, 16), modes=4, width=8), (2, 10, 16, 16), {"steps": 3}),
    ("fno3d", "monarch-no3d", dict(grid=(16, 16), steps=6, modes=3, width=6), (2, 10, 16, 16), {}),
    ("fno2d", "monarch-no2d", dict(grid=(15, 15), modes=4, width=8, padding=3), (2, 1, 15, 15), {}),
    ("fno1d", "monarch-no1d", dict(grid=(32,), modes=6, width=8), (2, 1, 32), {}),
]


@pytest.mark.parametrize("fno,mno,options,shape,call", PAIRS)
@pytest.mark.parametrize("monarch", [dict(), dict(share=True), dict(learn="forward", structure="MM*")])
def test_monarch_no_equals_fno_at_init_with_the_same_weights(fno, mno, options, shape, call, monarch, gen):
    torch.manual_seed(0)
    a = build_model(fno, **options)
    b = build_model(mno, **options, **monarch)
    missing, unexpected = b.load_state_dict(a.state_dict(), strict=False)
    assert not unexpected and all("transforms." in k for k in missing)
    x = torch.randn(*shape, generator=gen)
    ya, yb = a(x, **call), b(x, **call)
    assert ya.shape == yb.shape
    assert (ya - yb).abs().max() <= 2e-5 * ya.abs().max()


def test_random_transform_init_moves_monarch_no_away_from_fno(gen):
    """init="random": the learnable DFTs start at random factors of the DFT's shapes (seeded by torch's
    generator), so the same weights no longer give FNO's output; a bad value is named."""
    torch.manual_seed(0)
    fno = build_model("fno2d-time", grid=(16, 16), modes=4, width=8)
    models = []
    for seed in (1, 1, 2):
        torch.manual_seed(seed)
        models.append(build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8, learn="forward", init="random"))
        models[-1].load_state_dict(fno.state_dict(), strict=False)
    x = torch.randn(2, 10, 16, 16, generator=gen)
    y_fno, (y1, y1_again, y2) = fno(x, steps=2), (m(x, steps=2) for m in models)
    assert torch.equal(y1, y1_again) and not torch.allclose(y1, y2)
    assert (y1 - y_fno).norm() > 1e-3 * y_fno.norm()  # the exact init agrees to ~1e-6
    with pytest.raises(MonarchError, match="init must be one of"):
        build_model("monarch-no2d-time", grid=(16, 16), modes=4, init="dct")


def test_output_shapes_and_gradients(gen):
    model = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8)
    y = model(torch.randn(2, 10, 16, 16, generator=gen), steps=4)
    assert y.shape == (2, 4, 16, 16)
    y.square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert build_model("fno3d", grid=(16, 16), steps=5, modes=3, width=4)(torch.randn(1, 10, 16, 16)).shape == (1, 5, 16, 16)


def test_autoregressive_compile_compiles_the_trunk_in_place(gen):
    """model.compile() keeps the state-dict keys and the values and gradients of the eager rollout."""
    torch.manual_seed(0)
    eager = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8, learn="forward", structure="MM*")
    compiled = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8, learn="forward", structure="MM*")
    compiled.load_state_dict(eager.state_dict())
    compiled.compile()
    assert list(compiled.state_dict()) == list(eager.state_dict())
    x = torch.randn(2, 10, 16, 16, generator=gen)
    ya, yb = eager(x, steps=3), compiled(x, steps=3)
    assert (ya - yb).abs().max() <= 1e-5 * ya.abs().max()
    ya.square().sum().backward()
    yb.square().sum().backward()
    for (name, a), b in zip(eager.named_parameters(), compiled.parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6 * a.grad.abs().max().item()), name


@pytest.mark.parametrize("name", ["fno2d-time", "monarch-no2d-time"])
def test_compiled_graphs_leave_the_spectral_layers_eager(name, gen):
    """Inductor has no complex kernels (on CUDA it fails), so torch.compile gets only the real work:
    no graph it captures holds a complex value, yet it holds the pointwise layers."""
    graphs = []

    def record(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    model = build_model(name, grid=(16, 16), modes=4, width=8)
    x = torch.randn(2, 10, 16, 16, generator=gen)
    torch._dynamo.reset()
    y = torch.compile(model.trunk, backend=record)(x)
    assert torch.allclose(y, model.trunk(x), rtol=1e-5, atol=1e-6)
    values = [n.meta.get("example_value") for gm in graphs for n in gm.graph.nodes]
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    assert tensors and not any(v.is_complex() for v in tensors)
    assert any(n.target is torch.addmm or "gelu" in str(n.target) for gm in graphs for n in gm.graph.nodes)


def test_persistence_repeats_the_last_frame(gen):
    x = torch.randn(2, 10, 8, 8, generator=gen)
    y = Persistence()(x, steps=3)
    assert y.shape == (2, 3, 8, 8) and torch.equal(y[:, 2], x[:, -1])


@pytest.mark.parametrize("name", ["neuralop-fno", "neuralop-monarch"])
def test_neuraloperator_models(name, gen):
    pytest.importorskip("neuralop")
    model = build_model(name, grid=(16, 16), modes=4, width=8)
    assert model(torch.randn(2, 10, 16, 16, generator=gen), steps=2).shape == (2, 2, 16, 16)
    steady = build_model(name, grid=(16, 16), modes=4, width=8, task="steady")
    assert steady(torch.randn(2, 1, 16, 16, generator=gen)).shape == (2, 1, 16, 16)


def test_bf16_autocast_keeps_spectral_layers_in_float32(gen):
    model = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8)
    seen = []
    for layer in model.trunk.spectral:
        layer.register_forward_hook(lambda m, inp, out: seen.append((inp[0].dtype, out.dtype)))
    with autocast("bf16", torch.device("cpu")):
        y = model(torch.randn(2, 10, 16, 16, generator=gen), steps=2)
    assert torch.isfinite(y).all()
    assert seen and all(i == torch.float32 and o == torch.float32 for i, o in seen)


@pytest.mark.parametrize("width", [8, 96], ids=["narrow", "wide"])  # bias gradient: column sum / GEMV
def test_pointwise_equals_conv1d_with_gradients(width, gen):
    from monarch_sci.pde.models.fno import Pointwise

    layer = Pointwise(5, width)
    conv = torch.nn.Conv1d(5, width, 1).double()
    conv.load_state_dict(layer.conv.state_dict())
    x = torch.randn(3, 5, 6, 7, generator=gen, requires_grad=True)
    y = layer(x)
    y64 = conv(x.double().flatten(2)).unflatten(2, (6, 7))
    grad = torch.randn(y64.shape, generator=gen, dtype=torch.float64)
    grads = torch.autograd.grad(y, (x, layer.conv.weight, layer.conv.bias), grad.float())
    grads64 = torch.autograd.grad(y64, (x, conv.weight, conv.bias), grad)
    for a, b in zip((y, *grads), (y64, *grads64)):
        assert a.shape == b.shape and a.dtype == torch.float32
        assert ((a.double() - b).norm() / b.norm()).item() < 1e-6
    with autocast("bf16", torch.device("cpu")):  # GEMMs in bf16, parameter gradients in float32
        y = layer(x)
    grads = torch.autograd.grad(y, (x, layer.conv.weight, layer.conv.bias), grad.to(y.dtype))
    assert y.dtype == torch.bfloat16 and ((y.double() - y64).norm() / y64.norm()).item() < 2e-2
    for a, b in zip(grads, grads64):
        assert a.dtype == torch.float32 and ((a.double() - b).norm() / b.norm()).item() < 2e-2


def test_registry_lists_valid_names_on_unknown():
    assert {"fno2d-time", "monarch-no2d-time", "fno3d", "monarch-no3d", "fno2d", "fno1d", "neuralop-fno",
            "neuralop-monarch"} <= set(available_models())
    with pytest.raises(MonarchError, match="unknown model 'fno9d'; valid models: fno2d-time, fno3d, .*monarch-no2d-time"):
        build_model("fno9d", grid=(16, 16))


def test_bad_input():
    with pytest.raises(MonarchError, match="needs the spatial grid"):
        build_model("monarch-no2d-time")
    with pytest.raises(MonarchError, match="works on 2-D grids, got grid"):
        build_model("fno2d-time", grid=(16,))
    with pytest.raises(MonarchError, match="unknown model options \\['colour'\\]; the Monarch-NO options are init, learn, share, structure"):
        build_model("monarch-no2d-time", grid=(16, 16), colour=1)
    with pytest.raises(MonarchError, match="apply to Monarch-NO models only"):
        build_model("fno2d-time", grid=(16, 16), learn="both")
    with pytest.raises(MonarchError, match="unknown model options \\['nonsense'\\]"):
        build_model("fno1d", grid=(16,), nonsense=3)
    model = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8)
    with pytest.raises(MonarchError, match=r"expects frames \(batch, 10, 2 spatial dims\), got \(2, 9, 16, 16\)"):
        model(torch.randn(2, 9, 16, 16))
    with pytest.raises(MonarchError, match=r"built for grid \(16, 16\), got input grid \(32, 32\)"):
        model(torch.randn(1, 10, 32, 32))
    with pytest.raises(MonarchError, match="steps must be >= 1"):
        model(torch.randn(1, 10, 16, 16), steps=0)
