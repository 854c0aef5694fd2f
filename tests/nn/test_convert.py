"""monarchify / densify on an MLP and transformer layers: counts, reduction, outputs, gradients, errors."""

import pytest
import torch
from torch import nn

from monarch_sci.errors import MonarchError
from monarch_sci.monarch.project import project
from monarch_sci.nn.convert import densify, monarchify
from monarch_sci.nn.linear import MonarchLinear


def numel(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count(model: nn.Module, cls) -> int:
    return sum(type(m) is cls for m in model.modules())


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(256, 512), nn.Linear(512, 256)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(x)))


def mlp() -> nn.Sequential:
    # the 256 -> 10 head is below the default min_features
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), Block(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def encoder_layer(**kwargs) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(128, nhead=4, dim_feedforward=256, dropout=0.0, batch_first=True, **kwargs)


def test_mlp_replaces_every_matching_linear_and_reports_reduction(gen):
    torch.manual_seed(0)
    model = mlp()
    x = torch.randn(16, 64, generator=gen)
    before = numel(model)
    report = monarchify(model)
    assert [c.name for c in report.replaced] == ["0", "2.fc1", "2.fc2", "3"]
    assert list(report.skipped) == ["5"] and "min_features=64" in report.skipped["5"]
    assert count(model, MonarchLinear) == 4 and count(model, nn.Linear) == 1
    weights = 64 * 256 + 2 * 256 * 512 + 256 * 256
    biases = 256 + 512 + 256 + 256
    assert report.params_before == weights + biases
    # min(p, s) square blocks: 31 % for 64 -> 256, 37.5 % for 256 <-> 512, 50 % for 256 -> 256
    monarch_weights = 4 * 16 * (16 + 64) + 2 * 4 * 64 * (64 + 128) + 4 * 64 * (64 + 64)
    assert report.params_after == monarch_weights + biases
    assert report.params_after == sum(numel(m) for m in model.modules() if isinstance(m, MonarchLinear))
    assert report.reduction == pytest.approx(1 - report.params_after / report.params_before)
    assert report.model_params_before == before and report.model_params_after == numel(model)
    assert "fewer" in str(report) and "2.fc1" in str(report)
    assert model(x).shape == (16, 10)


def test_projected_layers_are_the_projection(gen):
    torch.manual_seed(0)
    model = mlp().double()
    W = model[3].weight.detach().clone()
    monarchify(model)
    torch.testing.assert_close(model[3].weight, project(W, 4).to_dense())


def test_fresh_init_keeps_dtype_and_is_not_the_projection():
    torch.manual_seed(0)
    model = mlp().double()
    W = model[3].weight.detach().clone()
    monarchify(model, project=False)
    assert model[3].R.dtype == torch.float64
    assert (model[3].weight - project(W, 4).to_dense()).norm() > 0.1 * W.norm()


def test_densify_gives_the_same_outputs(gen):
    torch.manual_seed(0)
    model = mlp()
    monarchify(model, nblocks=8)
    x = torch.randn(32, 64, generator=gen)
    with torch.no_grad():
        expected = model(x)
    pairs = densify(model)
    assert sorted(pairs) == ["0", "2.fc1", "2.fc2", "3"]
    assert all(isinstance(old, MonarchLinear) and type(new) is nn.Linear for old, new in pairs.values())
    assert count(model, MonarchLinear) == 0
    with torch.no_grad():
        assert (model(x) - expected).abs().max() <= 1e-6


def test_transformer_encoder_layer(gen):
    torch.manual_seed(0)
    layer = encoder_layer()
    report = monarchify(layer)
    assert sorted(c.name for c in report.replaced) == ["linear1", "linear2"]
    assert "MultiheadAttention" in report.skipped["self_attn.out_proj"]
    assert type(layer.self_attn.out_proj) is nn.modules.linear.NonDynamicallyQuantizableLinear
    x = torch.randn(2, 10, 128, generator=gen)
    layer(x).square().mean().backward()
    for m in (layer.linear1, layer.linear2):
        assert m.R.grad.abs().sum() > 0 and m.L.grad.abs().sum() > 0
    # eval without grad takes torch's inference fast path, which reads linear1.weight (dense)
    layer.eval()
    with torch.no_grad():
        fast = layer(x)
    slow = layer(x)  # grad enabled: the regular path through MonarchLinear.forward
    assert (fast - slow).abs().max() <= 1e-5


def test_transformer_out_proj_on_request(gen):
    torch.manual_seed(0)
    layer = encoder_layer()
    report = monarchify(layer, filter=r"linear\d|self_attn\.out_proj")
    assert sorted(c.name for c in report.replaced) == ["linear1", "linear2", "self_attn.out_proj"]
    x = torch.randn(2, 10, 128, generator=gen)
    out = layer(x)
    out.square().mean().backward()
    assert layer.self_attn.out_proj.R.grad.abs().sum() > 0
    densify(layer)
    assert type(layer.self_attn.out_proj) is nn.Linear
    with torch.no_grad():
        assert (layer(x) - out).abs().max() <= 1e-5


def test_transformer_encoder_stack_counts():
    torch.manual_seed(0)
    encoder = nn.TransformerEncoder(encoder_layer(), num_layers=3, enable_nested_tensor=False)
    report = monarchify(encoder)
    assert len(report.replaced) == 6 and len(report.skipped) == 3
    assert count(encoder, MonarchLinear) == 6
    assert encoder(torch.randn(2, 5, 128)).shape == (2, 5, 128)


def test_filters():
    torch.manual_seed(0)
    names = []

    def only_fc2(name, module):
        names.append(name)
        return name.endswith("fc2")

    model = mlp()
    report = monarchify(model, filter=only_fc2)
    assert [c.name for c in report.replaced] == ["2.fc2"]
    assert names == ["0", "2.fc1", "2.fc2", "3", "5"]
    assert "not selected" in report.skipped["2.fc1"]
    assert [c.name for c in monarchify(mlp(), filter="fc").replaced] == []  # fullmatch, not search
    assert [c.name for c in monarchify(mlp(), filter=r"2\..*").replaced] == ["2.fc1", "2.fc2"]


def test_min_features_and_nblocks():
    torch.manual_seed(0)
    report = monarchify(mlp(), min_features=300)
    assert [c.name for c in report.replaced] == []
    report = monarchify(mlp(), min_features=8)
    assert [c.name for c in report.replaced] == ["0", "2.fc1", "2.fc2", "3", "5"]
    # two blocks on a square layer keep as many weights as dense (2 n^2 / nblocks)
    report = monarchify(mlp(), nblocks=2)
    assert [c.name for c in report.replaced] == ["0", "2.fc1", "2.fc2"]
    assert "not fewer than the dense 65536" in report.skipped["3"]


def test_shared_module_is_replaced_once_everywhere():
    shared = nn.Linear(128, 128)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    report = monarchify(model)
    assert len(report.replaced) == 1
    assert isinstance(model[0], MonarchLinear) and model[0] is model[2]
    assert report.model_params_after == numel(model[0])


def test_monarchify_is_idempotent():
    model = mlp()
    monarchify(model)
    again = monarchify(model)
    assert again.replaced == [] and again.model_params_before == again.model_params_after


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"nblocks": 0}, "nblocks"),
        ({"nblocks": 2.0}, "nblocks"),
        ({"filter": 3}, "filter"),
        ({"filter": "(unclosed"}, "regex"),
        ({"min_features": -1}, "min_features"),
        ({"min_features": "64"}, "min_features"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(MonarchError, match=match):
        monarchify(mlp(), **kwargs)


def test_single_layers_are_rejected():
    with pytest.raises(MonarchError, match="from_dense"):
        monarchify(nn.Linear(64, 64))
    with pytest.raises(MonarchError, match="to_dense"):
        densify(MonarchLinear(64, 64))
